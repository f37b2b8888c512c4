"""xml_curl/pgchanges.py's triggers under a bulk write: a contact import inserts thousands of rows a
statement, and a trigger per row made PostgreSQL run the notifying function for each (11-15 µs a
row on top of a 12 µs insert, 80 µs where the parent's tenant was looked up). Now it runs once per
statement, over the statement's transition tables, whose tenants it notifies."""
from __future__ import annotations

import pytest

from fs_plugins.models import Tenant
from fs_plugins.models.contacts import Contact
from xml_curl.pgchanges import install_triggers

pytestmark = pytest.mark.postgres


def notifying_calls(db) -> int:
    """How many times this transaction ran the notifying functions (track_functions set for it)."""
    return db.execute_sql("SELECT COALESCE(SUM(calls), 0) FROM pg_stat_xact_user_functions"
                          " WHERE funcname LIKE 'centralita_changed%%'").fetchone()[0]


def test_a_bulk_insert_runs_the_notifying_trigger_once_not_once_per_row(pg_db):
    install_triggers(pg_db)
    tenants = [Tenant.create(name=name, domain=f"{name}.example", timezone="Europe/Madrid") for name in ("a", "b")]
    with pg_db.atomic():
        pg_db.execute_sql("SET LOCAL track_functions = 'pl'")
        Contact.insert_many([{"tenant": tenants[n % 2], "name": f"Contact {n}"} for n in range(200)]).execute()
        assert notifying_calls(pg_db) == 1
        Contact.update(name="Renamed").where(Contact.tenant == tenants[0]).execute()
        assert notifying_calls(pg_db) == 2
        Contact.delete().where(Contact.tenant == tenants[1]).execute()
        assert notifying_calls(pg_db) == 4  # the contacts', and their numbers' (the cascade's statement)
