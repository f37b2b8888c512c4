"""Kamailio in front (kamailio/kamailio.cfg, shipped) with Centralita's users: sipp phones register through it
against the view `centralita kamailio install-view` keeps, and calls are spread over two sipp "media servers".

Each test starts the real kamailio on 127.0.0.1 (free ports), on a temporary PostgreSQL schema for
Centralita and another, with a login role, for Kamailio.
"""
from __future__ import annotations

import collections
import shutil
import subprocess

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.core import app as core
from fs_plugins.kamailio import app as kamailio_app
from tests import provision
from tests import sipp_scenarios as scenarios
from tests.conftest import PG_URL, pg_schema_url
from tests.kamailio_world import (SHIPPED, free_udp_port, invites_received, kamailio, kamailio_schema, require_tools,
                                  run_sipp, sipp_uas)

pytestmark = pytest.mark.postgres

TENANTS = [f"t{n:02d}.example" for n in range(24)]


@pytest.fixture
def centralita():
    """Centralita's database with two tenants (acme, other) and their users, on PostgreSQL."""
    require_tools()
    with pg_schema_url("kc_") as url:
        database = dbmod.connect(url)
        acme = provision.tenant("Acme", "acme.example")
        other = provision.tenant("Other", "other.example")
        provision.user(acme, "1001", "Ana", password="right-horse-1001")
        provision.user(acme, "1002", "Bruno", password="right-horse-1002")
        provision.user(other, "2001", "Olga", password="other-horse-2001")
        for domain in TENANTS:
            provision.tenant(domain, domain)
        yield database
        database.close()


@pytest.fixture
def kamailio_role(centralita):
    with kamailio_schema() as (schema, role):
        kamailio_app.install_view(provision.OPERATOR, centralita, schema, grant_to=role)
        yield role


def contacts(centralita: peewee.Database, role: str) -> set[tuple[str, str]]:
    """What usrloc wrote in Kamailio's location table (the test reads it; Centralita never does)."""
    rows = centralita.execute_sql(f'SELECT username, domain FROM "{role}".location').fetchall()
    return {(user, domain) for user, domain in rows}


def register(tmp_path, proxy, user, domain, auth_user, password, expected):
    done = run_sipp(tmp_path, proxy, scenarios.register(user, domain, auth_user, password, expected),
                    f"register-{user}-{domain}-{expected}", "-m", "1")
    assert done.returncode == 0, f"REGISTER {user}@{domain} did not end in {expected}:\n{done.stdout[-2000:]}" \
                                 f"\n{proxy.log()[-2000:]}"


def test_a_phone_registers_through_kamailio_with_its_centralita_password(tmp_path, centralita, kamailio_role):
    with kamailio(tmp_path / "kamailio", kamailio_role, [free_udp_port()]) as proxy:
        register(tmp_path, proxy, "1001", "acme.example", "1001", "right-horse-1001", 200)
        assert contacts(centralita, kamailio_role) == {("1001", "acme.example")}


@pytest.mark.parametrize("user, domain, auth_user, password, why", [
    ("1001", "acme.example", "1001", "wrong-horse-1001", "a wrong password"),
    ("1001", "other.example", "1001", "right-horse-1001", "acme's user at another tenant's domain"),
    ("2001", "acme.example", "2001", "other-horse-2001", "another tenant's user at acme's domain"),
    ("1002", "acme.example", "1001", "right-horse-1001", "1001's credentials registering as 1002"),
])
def test_a_register_is_refused_403(tmp_path, centralita, kamailio_role, user, domain, auth_user, password, why):
    with kamailio(tmp_path / "kamailio", kamailio_role, [free_udp_port()]) as proxy:
        register(tmp_path, proxy, user, domain, auth_user, password, 403)
        assert contacts(centralita, kamailio_role) == set(), why


def test_a_disabled_user_and_a_suspended_tenant_no_longer_register(tmp_path, centralita, kamailio_role):
    core.set_user(provision.OPERATOR, "acme.example", "1002", enabled=False)
    core.suspend_tenant(provision.OPERATOR, "other.example")
    with kamailio(tmp_path / "kamailio", kamailio_role, [free_udp_port()]) as proxy:
        register(tmp_path, proxy, "1002", "acme.example", "1002", "right-horse-1002", 403)
        register(tmp_path, proxy, "2001", "other.example", "2001", "other-horse-2001", 403)
        core.set_user(provision.OPERATOR, "acme.example", "1002", enabled=True)  # the view follows at once
        register(tmp_path, proxy, "1002", "acme.example", "1002", "right-horse-1002", 200)


def test_kamailio_role_reads_the_view_but_not_centralita_tables(centralita, kamailio_role):
    reader = dbmod.open_database(dbmod_url_for(kamailio_role))
    try:
        rows = reader.execute_sql("SELECT username, domain, ha1 FROM subscriber ORDER BY username").fetchall()
        assert [(u, d) for u, d, _ in rows] == [("1001", "acme.example"), ("1002", "acme.example"),
                                                ("2001", "other.example")]
        with pytest.raises(peewee.ProgrammingError, match="permission denied"):
            reader.execute_sql(f'SELECT a1_hash FROM {centralita_schema(centralita)}."user"')
    finally:
        reader.close()


def test_calls_are_spread_over_two_media_servers_with_each_tenant_on_one(tmp_path, centralita, kamailio_role):
    first, second = free_udp_port(), free_udp_port()
    with sipp_uas(tmp_path, "media1", first) as log1, sipp_uas(tmp_path, "media2", second) as log2:
        with kamailio(tmp_path / "kamailio", kamailio_role, [first, second]) as proxy:
            calls = [f"{domain};5000" for domain in TENANTS for _ in range(3)]
            done = run_sipp(tmp_path, proxy, scenarios.call(), "calls", "-m", str(len(calls)), "-r", "20",
                            inject=calls)
            assert done.returncode == 0, f"not every call was answered:\n{done.stdout[-3000:]}"
    at = {"media1": collections.Counter(invites_received(log1)), "media2": collections.Counter(invites_received(log2))}
    split = {name: sum(counter.values()) for name, counter in at.items()}
    print(f"INVITEs per media server: {split} ({len(TENANTS)} tenants, 3 calls each)")
    assert sum(split.values()) == len(calls)
    assert min(split.values()) >= len(calls) // 5, f"one media server got almost nothing: {split}"
    assert not set(at["media1"]) & set(at["media2"]), "a tenant's calls went to both media servers"


def test_freeswitch_reaches_a_registered_phone_through_kamailio(tmp_path, centralita, kamailio_role):
    media, phone = free_udp_port(), free_udp_port()
    with sipp_uas(tmp_path, "phone", phone) as phone_log:
        with kamailio(tmp_path / "kamailio", kamailio_role, [media]) as proxy:
            register_as = scenarios.register("1001", "acme.example", "1001", "right-horse-1001", 200, str(phone))
            assert run_sipp(tmp_path, proxy, register_as, "register", "-m", "1").returncode == 0
            reached = run_sipp(tmp_path, proxy, scenarios.call(), "to-phone", "-m", "1", "-p", str(media),
                               inject=["acme.example;1001"])
            assert reached.returncode == 0, reached.stdout[-3000:]
            absent = run_sipp(tmp_path, proxy, scenarios.call_refused(480, "cause=20"), "to-absent", "-m", "1",
                              "-p", str(media), inject=["acme.example;1002"])
            assert absent.returncode == 0, f"1002 is not registered: 480 with Q.850 cause 20\n{absent.stdout[-3000:]}"
    assert invites_received(phone_log) == ["acme.example"]


def dbmod_url_for(role: str) -> str:
    return PG_URL.replace("://postgres@", f"://{role}@", 1)


def centralita_schema(database: peewee.Database) -> str:
    return database.execute_sql("SELECT current_schema()").fetchone()[0]


def test_a_tenant_whose_media_server_is_dead_is_answered_by_the_other_one(tmp_path, centralita, kamailio_role):
    dead, alive = free_udp_port(), free_udp_port()  # nobody listens on `dead`
    with sipp_uas(tmp_path, "alive", alive) as log:
        with kamailio(tmp_path / "kamailio", kamailio_role, [dead, alive]) as proxy:
            calls = [f"{domain};5000" for domain in TENANTS]
            done = run_sipp(tmp_path, proxy, scenarios.call(), "calls", "-m", str(len(calls)), "-r", "8",
                            inject=calls, timeout=90)
            assert done.returncode == 0, f"a call was lost with one media server dead:\n{done.stdout[-3000:]}"
            assert f"FreeSWITCH sip:127.0.0.1:{dead} failed" in proxy.log(), "no call was hashed to the dead server"
    assert sorted(invites_received(log)) == sorted(TENANTS)


def test_the_shipped_configuration_with_the_example_values_passes_kamailios_check(tmp_path):
    require_tools()
    shutil.copy(SHIPPED / "kamailio.cfg", tmp_path / "kamailio.cfg")
    shutil.copy(SHIPPED / "centralita-local.cfg.example", tmp_path / "centralita-local.cfg")
    checked = subprocess.run(["kamailio", "-c", "-f", str(tmp_path / "kamailio.cfg")], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0 and "config file ok" in checked.stdout + checked.stderr, checked.stderr[-2000:]
    assert "sip.pbx.example.net" in checked.stdout  # the example's alias was read, not skipped
