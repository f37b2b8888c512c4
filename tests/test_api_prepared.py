"""What every API request and portal page asks PostgreSQL (the key or the session, the tenant and
user in scope, the row changed and its audit entry, the call-log page, the user list) runs as
statements prepared on serve's connection, once each: PostgreSQL spent more CPU planning them than
running them, on the cores the xml_curl handler shares (benches/b6_api.py, B7)."""
from __future__ import annotations

import pytest

from fs_plugins import db as dbmod
from fs_plugins import fsapi, prepared
from fs_plugins.access import apikeys, sessions
from fs_plugins.application import AppContext
from fs_plugins.callhandling import app as callhandling
from fs_plugins.calllog import log
from fs_plugins.config import Config
from fs_plugins.core import app
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.models import Tenant, User
from fs_plugins.models.access import Login
from fs_plugins.models.callhandling import CallHandling
from test_xml_curl_prepared import pooled, prepared_texts  # noqa: F401  (serve's pool of one connection)

pytestmark = pytest.mark.postgres


def test_an_api_request_and_a_portal_page_read_and_write_through_statements_prepared_once(pooled):
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    user = User.create(tenant=tenant, extension="1001", display_name="Ana", a1_hash="0" * 32)
    key = apikeys.create("billing", "user", tenant, "1001").key
    login = Login.create(username="ana@acme.example", password_hash="-", role="user", tenant=tenant, user=user)
    session = sessions.open_session(login)
    operator = AppContext.operator()
    for round_ in range(2):  # the second time each is only executed
        assert apikeys.authenticate(key, "203.0.113.9").user_id == user.id
        assert sessions.resume_with_rows(session.token).principal.user_id == user.id
        assert prepared.get_or_none(CallHandling, user=user) is None
        assert app.set_user(operator, "acme.example", "1001", name=f"Ana {round_}").value.name == f"Ana {round_}"
        assert [view.extension for view in app.list_users(operator, "acme.example", None, 100)] == ["1001"]
        assert log.page_after(pooled, log.LogQuery(tenant="acme.example", user="1001"), None) == ((), None)
    texts = prepared_texts(pooled)
    for what in ("FROM api_key", 'FROM "session"', 'FROM "call_handling"', 'FROM "tenant"', 'UPDATE "user"',
                 'INSERT INTO "audit_entry"', 'ORDER BY "extension"', "FROM call_entry", "FROM tenant t"):
        assert sum(what in text for text in texts) == 1, (what, texts)
    assert len(texts) == len(set(texts))  # prepared once each, not again on the second round


def test_the_forwards_page_reads_through_statements_prepared_once(pooled):
    # GET /api/v1/me/call-handling and the portal's /me/forwards: the forwards (each target's user
    # read to name it), the simultaneous rings, the feature codes; a change reads the media servers.
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for extension in ("1001", "1002"):
        User.create(tenant=tenant, extension=extension, display_name=extension, a1_hash="0" * 32)
    operator = AppContext.operator()
    callhandling.set_forward(operator, "acme.example", "1001", "busy", "user:1002")
    for _ in range(2):
        assert callhandling.show(operator, "acme.example", "1001").forward_busy.label == "user:1002 (1002)"
        assert isinstance(featurecodes.codes_of(tenant), dict)
        assert fsapi.event_sockets(Config()) is not None
    texts = prepared_texts(pooled)
    for what in ('FROM "user" WHERE "tenant_id" = $1 AND "id" = $2', 'FROM "sim_ring"', 'FROM "feature_code"',
                 "FROM media_server"):
        assert sum(what in text for text in texts) == 1, (what, texts)
    assert len(texts) == len(set(texts))


def _statistics(db) -> list[str]:
    return [row[0] for row in db.execute_sql(
        "SELECT stxname FROM pg_statistic_ext WHERE stxnamespace = current_schema()::regnamespace").fetchall()]


def test_postgresql_knows_a_call_entrys_user_decides_its_tenant_fresh_or_upgraded(pg_db):
    # Without it, a user's call-log page read the tenant's whole index beside the user's.
    assert _statistics(pg_db) == ["call_entry_tenant_user"]
    pg_db.execute_sql("DROP STATISTICS call_entry_tenant_user")
    pg_db.execute_sql("UPDATE schema_version SET version = 2 WHERE component = 'calls'")
    assert ("calls", 2, 4) in dbmod.upgrade(pg_db)  # and on to 4 (drop_entry_kind_index)
    assert _statistics(pg_db) == ["call_entry_tenant_user"]
