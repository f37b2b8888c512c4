"""Where Kamailio's dispatcher reaches each media server (media_server.sip_address): given with
`media-server add|set --sip HOST[:PORT]`, validated naming the field, written into the dispatcher
list instead of the guess from the event socket's host, and added to older databases on upgrade."""
from __future__ import annotations

import pytest

from fs_plugins.cluster import app, dispatcher
from fs_plugins.errors import InvalidInput
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.cluster import MediaServer
from tests.test_cluster import SECRET, cli  # noqa: F401 (fixture)
from tests.test_core_app import operator_principal, pbx  # noqa: F401 (fixture)


def _listed(cli, *args: str) -> list[str]:
    code, out, _ = cli("media-server", "dispatcher-list", *args)
    assert code == 0
    return [line for line in out.splitlines() if not line.startswith("#")]


def test_the_dispatcher_list_reaches_each_server_at_its_sip_address_else_its_event_socket_host(cli):
    assert cli("media-server", "add", "fs1", "--host", "10.0.0.11", "--sip", "10.0.1.11:5070", stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "fs2", "--host", "10.0.0.12", "--sip", "sip:FS2.example.net",
               stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "fs3", "--host", "10.0.0.13", stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "fs6", "--host", "10.0.0.16", "--sip", "[2001:db8::6]:5062",
               stdin=SECRET)[0] == 0
    assert _listed(cli, "--sip-port", "5080") == [
        "1 sip:10.0.1.11:5070 0 0",  # its own port wins over --sip-port
        "1 sip:fs2.example.net:5080 0 0",  # no port given: the list's
        "1 sip:10.0.0.13:5080 0 0",  # none given: the event socket's host, as before
        "1 sip:[2001:db8::6]:5062 0 0"]
    code, out, _ = cli("media-server", "list")
    assert code == 0 and "10.0.1.11:5070" in out and "10.0.0.13 (guessed)" in out


def test_set_changes_the_sip_address_and_empty_goes_back_to_the_event_socket_host(cli):
    assert cli("media-server", "add", "fs1", "--host", "10.0.0.11", stdin=SECRET)[0] == 0
    assert cli("media-server", "set", "fs1", "--sip", "2001:db8::1")[0] == 0
    assert MediaServer.get().sip_address == "[2001:db8::1]"
    assert _listed(cli) == ["1 sip:[2001:db8::1]:5060 0 0"]
    assert cli("media-server", "set", "fs1", "--sip", "")[0] == 0
    assert _listed(cli) == ["1 sip:10.0.0.11:5060 0 0"]
    entries = AuditEntry.select().where(AuditEntry.action == "media-server.update").order_by(AuditEntry.id)
    assert ["sip_address" in entry.detail for entry in entries] == [True, True]


@pytest.mark.parametrize("value", ["10.0.0.5;transport=tcp", "10.0.0.5 5060", "10.0.0.5,10.0.0.6",
                                   "10.0.0.5:70000", "10.0.0.5:sip", "[2001:db8::1]5060", "${x}",
                                   "host\nname", "fs1.example.net>"])
def test_a_bad_sip_address_names_the_field_and_stores_nothing(cli, value):
    code, _, err = cli("media-server", "add", "fs1", "--host", "10.0.0.11", "--sip", value, stdin=SECRET)
    assert code == 2 and "error: --sip:" in err
    assert MediaServer.select().count() == 0
    assert cli("media-server", "add", "fs1", "--host", "10.0.0.11", stdin=SECRET)[0] == 0
    code, _, err = cli("media-server", "set", "fs1", "--sip", value)
    assert code == 2 and "error: --sip:" in err and MediaServer.get().sip_address == ""


def test_the_application_layer_names_the_field_sip_address(pbx):  # noqa: F811
    context, _, _ = pbx
    operator = context(operator_principal())
    with pytest.raises(InvalidInput) as caught:
        app.add_media_server(operator, "fs1", "10.0.0.11", SECRET, sip_address="10.0.0.5;lr")
    assert caught.value.field == "sip_address"
    view = app.add_media_server(operator, "fs1", "10.0.0.11", SECRET, sip_address=" 10.0.0.5:5060 ").value
    assert view.sip_address == "10.0.0.5:5060"
    assert dispatcher.destination(view) == "sip:10.0.0.5:5060"


def test_a_cluster_schema_3_database_gets_sip_address_on_upgrade_with_the_old_guess_kept(db):
    from fs_plugins import db as dbmod

    MediaServer.create(name="fs1", esl_host="10.0.0.11", esl_password=SECRET)
    db.execute_sql("ALTER TABLE media_server DROP COLUMN sip_address")  # as version 3 of "cluster" made it
    db.execute_sql("UPDATE schema_version SET version = 3 WHERE component = 'cluster'")
    assert ("cluster", 3, 4) in dbmod.upgrade(db)
    assert MediaServer.get().sip_address == "" and dbmod.schema_versions(db)["cluster"] == 4
    assert dispatcher.destination(app._view(MediaServer.get())) == "sip:10.0.0.11:5060"
    assert dbmod.upgrade(db) == []
