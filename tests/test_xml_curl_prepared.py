"""The reads a call's routing makes when its answer is not kept run as statements prepared on
serve's PostgreSQL connection (prepared.run_planned): PostgreSQL planned each for 1-2 ms against
0.1-0.2 ms of running it, most of an uncached extension-to-user route."""
from __future__ import annotations

import pytest

from fs_plugins import db as dbmod
from fs_plugins.callhandling import loader as callhandling
from fs_plugins.contacts.caller_name import caller_name
from fs_plugins.dbpool import release
from fs_plugins.featurecodes import loader as featurecodes
from fs_plugins.models import Tenant, User
from fs_plugins.recording.loader import tenant_recording
from fs_plugins.voicemail.boxes import box_info
from xml_curl.lookups import Lookups

pytestmark = pytest.mark.postgres


@pytest.fixture
def pooled(pg_url):
    database = dbmod.connect(pg_url, pool=dbmod.PoolSettings(size=1))  # one connection: the one inspected
    yield database
    release(database)
    database.close_all()


def prepared_texts(db) -> list[str]:
    return [row[0] for row in db.execute_sql("SELECT statement FROM pg_prepared_statements").fetchall()]


def test_every_routing_read_is_prepared_once_on_the_connection_and_answers_as_before(pooled):
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    user = User.create(tenant=tenant, extension="1001", display_name="Ana", a1_hash="0" * 32)
    lookups = Lookups(pooled)
    for _ in range(2):  # the second time each is only executed
        assert lookups.user("acme.example", "1001").extension == "1001"
        assert callhandling.user_call(pooled, tenant.id, user.id) is not None
        assert callhandling.outbound(pooled, tenant.id, "1001") is not None
        assert caller_name(pooled, tenant.id, user.id, "+34911000000") is None
        assert box_info(pooled, user.id) is None and box_info(pooled, None, tenant.id) is None
        assert isinstance(featurecodes.codes(pooled, tenant.id), dict)
        assert tenant_recording(pooled, tenant.id) is not None
    texts = prepared_texts(pooled)
    for table in ('"user"', "call_handling", "contact_number", "voicemail_box", "feature_code", "recording_policy"):
        assert sum(table in text for text in texts) >= 1, (table, texts)
    assert len(texts) == len(set(texts))  # prepared once each, not again on the second call
