"""Call recording's application layer and sweep on both engines: policies and options refused with
the field named and nothing stored, files filed only against their own tenant's call, who sees which
recording (admin: the tenant's; a user: the calls in their own log; another tenant: nothing), the
download's file, deletion, and retention."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from fs_plugins.access.principal import TENANT_ADMIN, USER, Principal
from fs_plugins.application import AppContext
from fs_plugins.billing import app as billing
from fs_plugins.config import Config
from fs_plugins.errors import Forbidden, InvalidInput, NotFound
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.recording import Recording, RecordingPolicy, RecordingSettings
from fs_plugins.recording import app as recording
from fs_plugins.recording.sweep import sweep
from tests import provision
from tests.provision import OPERATOR

CALL_A, CALL_B, FOREIGN = "0a1b2c3d-0000-4000-8000-00000000000a", "0a1b2c3d-0000-4000-8000-00000000000b", \
    "0a1b2c3d-0000-4000-8000-00000000000f"


@pytest.fixture
def world(db, tmp_path):
    acme = provision.tenant("Acme", "acme.example")
    globex = provision.tenant("Globex", "globex.example")
    users = {ext: provision.user(acme, ext, f"User {ext}") for ext in ("1001", "1002", "1003")}
    users["g"] = provision.user(globex, "1001", "Gina")
    provision.group(acme, "Ventas", members=("1002",))
    config = Config(recordings_dir=str(tmp_path / "rec"))
    return acme, globex, users, config


def context(config, row, role=USER) -> AppContext:
    return AppContext(Principal(role, row.tenant.id, row.tenant.domain, row.id if role == USER else None,
                                row.extension if role == USER else "", name="test"), config)


def entry(tenant, user, call_id, kind, started):
    CallEntry.create(tenant=tenant, user=user, call_id=call_id, kind=kind, status="answered",
                     direction="internal", started_at=started)


def wav(config, tenant, call_id, size=44) -> None:
    folder = Path(config.recordings_dir) / str(tenant.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{call_id}.wav").write_bytes(b"R" * size)


@pytest.mark.parametrize("kwargs, field", [
    ({"mode": "sometimes", "user": "1001"}, "mode"),
    ({"mode": "all"}, "user"),
    ({"mode": "all", "user": "1001", "group": "Ventas"}, "user"),
    ({"mode": "outbound", "group": "Ventas"}, "mode"),  # a group makes no calls
    ({"mode": "all", "user": "9999"}, "user"),
    ({"mode": "inbound", "group": "Nadie"}, "group"),
])
def test_a_bad_policy_is_refused_naming_the_field_and_nothing_is_stored(world, kwargs, field):
    with pytest.raises((InvalidInput, NotFound)) as refused:
        recording.set_policy(OPERATOR, "acme.example", **kwargs)
    assert refused.value.field == field
    assert RecordingPolicy.select().count() == 0


@pytest.mark.parametrize("kwargs, field", [({"retention_days": 0}, "retention_days"),
                                           ({"retention_days": 4000}, "retention_days"),
                                           ({"retention_days": "30"}, "retention_days"),
                                           ({"announce": "yes"}, "announce")])
def test_bad_options_are_refused_and_nothing_is_stored(world, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        recording.set_settings(OPERATOR, "acme.example", **kwargs)
    assert refused.value.field == field
    assert RecordingSettings.select().count() == 0


def test_users_may_not_set_policies_and_another_tenants_admin_does_not_see_the_tenant(world):
    acme, globex, users, config = world
    with pytest.raises(Forbidden):
        recording.set_policy(context(config, users["1001"]), "acme.example", "never", user="1001")
    with pytest.raises(NotFound):
        recording.set_policy(context(config, users["g"], TENANT_ADMIN), "acme.example", "all", user="1001")
    assert RecordingPolicy.select().count() == 0


def test_the_sweep_files_a_recording_only_against_a_call_of_its_own_tenant(world):
    acme, globex, users, config = world
    entry(acme, users["1001"], CALL_A, "made", 1_700_000_000)
    entry(acme, users["1002"], CALL_A, "received", 1_700_000_000)
    entry(globex, users["g"], FOREIGN, "made", 1_700_000_000)
    wav(config, acme, CALL_A, 1000)
    wav(config, acme, FOREIGN)  # globex's call in acme's folder: never filed
    wav(config, acme, CALL_B)  # no call-log entry yet: waits
    result = sweep(config.recordings_dir, now=1_700_000_100)
    assert (result.filed, result.waiting) == (1, 2)
    [row] = Recording.select()
    assert (row.tenant_id, row.call_id, row.size, row.started_at) == (acme.id, CALL_A, 1000, 1_700_000_000)
    assert sweep(config.recordings_dir, now=1_700_000_200).filed == 0  # filed once


def test_each_party_sees_the_recording_of_their_call_and_nobody_else_does(world):
    acme, globex, users, config = world
    entry(acme, users["1001"], CALL_A, "made", 1_700_000_000)
    entry(acme, users["1002"], CALL_A, "received", 1_700_000_000)
    wav(config, acme, CALL_A)
    sweep(config.recordings_dir, now=1_700_000_100)
    [seen] = recording.list_recordings(context(config, users["1001"]), "acme.example")
    assert seen.parties == ("1001", "1002") and seen.call_id == CALL_A
    assert [v.id for v in recording.list_recordings(context(config, users["1002"]), "acme.example")] == [seen.id]
    assert recording.list_recordings(context(config, users["1003"]), "acme.example") == []
    with pytest.raises(NotFound):
        recording.recording_path(context(config, users["1003"]), "acme.example", seen.id)
    with pytest.raises(NotFound):
        recording.list_recordings(context(config, users["1003"]), "acme.example", user="1001")
    with pytest.raises(NotFound):
        recording.recording_path(context(config, users["g"], TENANT_ADMIN), "acme.example", seen.id)
    with pytest.raises(NotFound):  # the id under another tenant's domain
        recording.recording_path(context(config, users["g"], TENANT_ADMIN), "globex.example", seen.id)
    view, path = recording.recording_path(context(config, users["1002"]), "acme.example", seen.id)
    assert path.read_bytes() == b"R" * 44 and view.id == seen.id
    admin = context(config, users["1003"], TENANT_ADMIN)
    assert [v.id for v in recording.list_recordings(admin, "acme.example")] == [seen.id]


def test_deleting_a_recording_removes_row_and_file_and_only_an_admin_may(world):
    acme, _, users, config = world
    entry(acme, users["1001"], CALL_A, "made", 1_700_000_000)
    wav(config, acme, CALL_A)
    sweep(config.recordings_dir, now=1_700_000_100)
    [seen] = recording.list_recordings(OPERATOR.__class__(OPERATOR.principal, config), "acme.example")
    with pytest.raises(Forbidden):
        recording.remove_recording(context(config, users["1001"]), "acme.example", seen.id)
    _, path = recording.recording_path(context(config, users["1001"]), "acme.example", seen.id)
    recording.remove_recording(context(config, users["1003"], TENANT_ADMIN), "acme.example", seen.id)
    assert not path.exists() and Recording.select().count() == 0


def test_retention_deletes_only_recordings_older_than_the_tenants_days(world):
    acme, globex, users, config = world
    now = time.time()
    recording.set_settings(OPERATOR, "acme.example", retention_days=7)
    entry(acme, users["1001"], CALL_A, "made", int(now - 8 * 86400))
    entry(acme, users["1001"], CALL_B, "made", int(now - 6 * 86400))
    entry(globex, users["g"], FOREIGN, "made", int(now - 8 * 86400))  # globex keeps the default 90 days
    wav(config, acme, CALL_A)
    wav(config, acme, CALL_B)
    wav(config, globex, FOREIGN)
    result = sweep(config.recordings_dir, now=now)
    assert (result.filed, result.expired) == (3, 1)
    assert sorted(r.call_id for r in Recording.select()) == sorted([CALL_B, FOREIGN])
    assert not (Path(config.recordings_dir) / str(acme.id) / f"{CALL_A}.wav").exists()


def test_the_billing_report_counts_each_tenants_recordings_of_the_months_calls(world):
    acme, globex, users, config = world
    november, december = 1_793_491_200, 1_796_083_200  # 2026-11-01 and 2026-12-01 00:00 UTC
    for call_id, tenant, user, started in ((CALL_A, acme, users["1001"], november + 10),
                                           (CALL_B, acme, users["1001"], december + 10),
                                           (FOREIGN, globex, users["g"], november + 20)):
        entry(tenant, user, call_id, "made", started)
        wav(config, tenant, call_id, size=100)
    sweep(config.recordings_dir, now=december + 100)
    rows = billing.recordings_report(OPERATOR, "2026-11")
    assert [(r.tenant, r.recordings, r.size) for r in rows] == [("acme.example", 1, 100), ("globex.example", 1, 100)]
    admin = context(config, users["1003"], TENANT_ADMIN)
    assert [r.tenant for r in billing.recordings_report(admin, "2026-11", "acme.example")] == ["acme.example"]
    with pytest.raises(NotFound):
        billing.recordings_report(admin, "2026-11", "globex.example")
    with pytest.raises(Forbidden):
        billing.recordings_report(admin, "2026-11")
