"""Several FreeSWITCH servers (media servers) and Centralita nodes (issue 17 [14] items 1 and 4):
registered by the operator, a password never shown, and every cache flush sent to every enabled
server, so a changed password stops working on all of them at once."""
from __future__ import annotations

import datetime as dt
import io
import socket
import time

import pytest

from fs_plugins.cli import main
from fs_plugins.cluster import app, nodes
from fs_plugins.errors import Forbidden, InvalidInput
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.cluster import MediaServer, Node
from tests.conftest import pg_schema_url
from tests.fake_event_socket import FakeEventSocket
from tests.serve_process import ServeProcess
from tests.test_core_app import admin_of, operator_principal, pbx  # noqa: F401 (fixture)

SECRET = "s3cret-Event-pw"


@pytest.fixture
def two_servers():
    """Two emulated FreeSWITCH event sockets on their own loopback addresses, each with its password."""
    servers = [FakeEventSocket(password=f"{SECRET}-{n}", host=f"127.0.0.{n}") for n in (2, 3)]
    ports = [server.start() for server in servers]
    yield list(zip(servers, ports))
    for server in servers:
        server.stop()


@pytest.fixture
def cli(db_url, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "1")  # the configured socket: nobody there

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--database", db_url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("tenant", "add", "acme.example", "--name", "Acme")[0] == 0
    assert run("user", "add", "--tenant", "acme.example", "1001", "--name", "Ana", "--password", "sip-pass-1")[0] == 0
    return run


def test_a_password_change_flushes_every_enabled_media_server_and_none_other(cli, two_servers):
    (first, port1), (second, port2) = two_servers
    assert cli("media-server", "add", "fs1", "--host", "127.0.0.2", "--port", str(port1), stdin=f"{SECRET}-2\n")[0] == 0
    assert cli("media-server", "add", "fs2", "--host", "127.0.0.3", "--port", str(port2), stdin=f"{SECRET}-3\n")[0] == 0
    code, _, err = cli("user", "set", "--tenant", "acme.example", "1001", "--password", "sip-pass-2")
    assert code == 0 and err == ""  # the configured socket (port 1) is not asked: the media servers are
    assert first.commands == second.commands == ["xml_flush_cache id 1001 acme.example"]
    assert cli("media-server", "set", "fs2", "--enabled", "no")[0] == 0
    cli("user", "remove", "--tenant", "acme.example", "1001")
    assert len(first.commands) == 2 and len(second.commands) == 1


def test_a_server_that_does_not_answer_is_named_and_the_others_still_flush(cli, two_servers):
    (first, port1), _ = two_servers
    cli("media-server", "add", "fs1", "--host", "127.0.0.2", "--port", str(port1), stdin=f"{SECRET}-2\n")
    cli("media-server", "add", "fs-down", "--host", "127.0.0.4", "--port", "1", stdin=f"{SECRET}-4\n")
    cli("media-server", "add", "fs-wrong", "--host", "127.0.0.2", "--port", str(port1), stdin="not-the-password\n")
    code, out, err = cli("user", "set", "--tenant", "acme.example", "1001", "--enabled", "no")
    assert code == 0 and "updated" in out and first.commands == ["xml_flush_cache id 1001 acme.example"]
    warnings = err.strip().splitlines()
    assert len(warnings) == 2 and "fs-down (127.0.0.4:1)" in warnings[0] and "300 s" in warnings[0]
    assert "fs-wrong (127.0.0.2" in warnings[1] and "refused the password" in warnings[1]
    assert "not-the-password" not in err


def test_the_event_socket_password_is_never_printed_nor_audited_in_clear(cli):
    assert cli("media-server", "add", "fs1", "--host", "fs1.example.net", "--socket-address", "10.0.0.5:18084",
               stdin=f"{SECRET}\n")[0] == 0
    code, out, _ = cli("media-server", "list")
    assert code == 0 and "fs1.example.net:8021" in out and "10.0.0.5:18084" in out and SECRET not in out
    assert cli("media-server", "set", "fs1", "--password-stdin", stdin="an0ther-pw\n")[0] == 0
    assert MediaServer.get().esl_password == "an0ther-pw"
    entries = list(AuditEntry.select().where(AuditEntry.action.startswith("media-server.")).order_by(AuditEntry.id))
    assert [e.action for e in entries] == ["media-server.create", "media-server.update"]
    assert SECRET not in str([e.detail for e in entries]) and "(changed)" in entries[1].detail
    assert cli("media-server", "remove", "fs1")[1].strip() == "media server fs1 removed"
    assert cli("media-server", "list")[1].strip() == "NAME  EVENT SOCKET  SOCKET ADDRESS  SIP  ENABLED  ADDED"


def test_an_ipv6_socket_address_is_given_in_brackets_and_kept_so(cli):
    assert cli("media-server", "add", "fs1", "--host", "10.0.0.1", "--socket-address", "[2001:DB8::5]:18084",
               stdin=f"{SECRET}\n")[0] == 0
    assert MediaServer.get().socket_address == "[2001:db8::5]:18084"


@pytest.mark.parametrize("args,stdin,field", [
    (("fs 1", "--host", "10.0.0.1"), SECRET, "name"),
    (("fs1", "--host", "bad host"), SECRET, "--host"),
    (("fs1", "--host", "10.0.0.1", "--port", "70000"), SECRET, "--port"),
    (("fs1", "--host", "10.0.0.1"), "two words", "password"),
    (("fs1", "--host", "10.0.0.1"), "", "password"),
    (("fs1", "--host", "10.0.0.1", "--socket-address", "10.0.0.2"), SECRET, "--socket-address"),
    # which colon sets the port apart? An IPv6 address takes brackets when a port follows
    (("fs1", "--host", "10.0.0.1", "--socket-address", "2001:db8::5:8021"), SECRET, "--socket-address"),
    (("fs1", "--host", "10.0.0.1", "--socket-address", "[2001:db8::5]8021"), SECRET, "--socket-address"),
])
def test_a_bad_media_server_names_the_field_and_stores_nothing(cli, args, stdin, field):
    code, _, err = cli("media-server", "add", *args, stdin=stdin + "\n")
    assert code == 2 and f"error: {field}:" in err
    assert MediaServer.select().count() == 0 and not AuditEntry.select().where(
        AuditEntry.action == "media-server.create").exists()


def test_a_password_with_a_line_break_never_reaches_an_event_socket(pbx):
    context, _, _ = pbx
    with pytest.raises(InvalidInput) as refused:
        app.add_media_server(context(operator_principal()), "fs1", "10.0.0.1", "pw\nbgapi system")
    assert refused.value.field == "password" and MediaServer.select().count() == 0


def test_only_the_operator_sees_or_changes_media_servers_and_nodes(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    for attempt in (lambda: app.list_media_servers(admin), lambda: app.list_nodes(admin),
                    lambda: app.add_media_server(admin, "fs1", "10.0.0.1", SECRET),
                    lambda: app.remove_node(admin, "x")):
        with pytest.raises(Forbidden):
            attempt()
    assert MediaServer.select().count() == 0 and events == []


def test_a_node_beats_and_is_shown_gone_once_silent(pbx, monkeypatch):
    context, _, _ = pbx
    operator = context(operator_principal())
    nodes.beat("node-a:18084", "10.0.0.4:18084", started=True)
    nodes.beat("node-b:18084", "10.0.0.5:18084", started=True)
    Node.update(heartbeat_at=nodes.now() - nodes.DEAD_AFTER - dt.timedelta(seconds=1)).where(
        Node.name == "node-b:18084").execute()
    nodes.beat("node-a:18084", "ignored after start")
    listed = {n.name: (n.address, n.alive) for n in app.list_nodes(operator)}
    assert listed == {"node-a:18084": ("10.0.0.4:18084", True), "node-b:18084": ("10.0.0.5:18084", False)}
    app.remove_node(operator, "node-b:18084")
    assert [n.name for n in app.list_nodes(operator)] == ["node-a:18084"]


@pytest.mark.postgres
def test_serve_on_postgresql_announces_its_node(tmp_path, capsys):
    with pg_schema_url("nodes_") as url:
        with ServeProcess(tmp_path, only=("xml_curl",), database_url=url):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                code = main(["--database", url, "node"])
                out = capsys.readouterr().out
                if "alive" in out:
                    break
                time.sleep(0.2)
        assert code == 0 and f"{socket.gethostname()}:pid" in out and "alive" in out


def test_kamailios_dispatcher_list_holds_the_enabled_media_servers_only(cli, tmp_path):
    assert cli("media-server", "add", "fs2", "--host", "10.0.0.12", stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "fs1", "--host", "10.0.0.11", stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "fs6", "--host", "2001:db8::6", stdin=SECRET)[0] == 0
    assert cli("media-server", "add", "off", "--host", "10.0.0.13", "--enabled", "no", stdin=SECRET)[0] == 0
    code, out, _ = cli("media-server", "dispatcher-list", "--sip-port", "5080")
    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith("#")] == [
        "1 sip:10.0.0.11:5080 0 0", "1 sip:10.0.0.12:5080 0 0", "1 sip:[2001:db8::6]:5080 0 0"]
    assert SECRET not in out
    (tmp_path / "kamailio").mkdir()
    target = tmp_path / "kamailio" / "dispatcher.list"
    code, out, _ = cli("media-server", "dispatcher-list", "--output", str(target))
    assert code == 0 and "3 media servers" in out
    assert target.read_text().splitlines()[-1] == "1 sip:[2001:db8::6]:5060 0 0"
    assert [path.name for path in target.parent.iterdir()] == ["dispatcher.list"]  # no temporary left


def test_a_bad_dispatcher_port_names_the_field_and_writes_nothing(cli, tmp_path):
    target = tmp_path / "dispatcher.list"
    code, _, err = cli("media-server", "dispatcher-list", "--sip-port", "70000", "--output", str(target))
    assert code != 0 and "--sip-port: 70000 is not a port" in err and not target.exists()


def test_a_call_to_a_phone_is_originated_where_it_is_registered_else_on_the_first_server_answering():
    from fs_plugins.cluster.originate import route
    from fs_plugins.fsapi import EventSocket, FreeswitchUnavailable

    fs1, fs2, fs3 = (EventSocket(f"127.0.0.{n}", 8021, "pw", f"fs{n}") for n in (1, 2, 3))
    contacts = {"fs2": "sofia/internal/sip:1001@192.0.2.7:5060", "fs1": "error/user_not_registered"}
    asked = []

    def ask(server, command):
        asked.append((server.name, command))
        if server.name == "fs3":
            raise FreeswitchUnavailable("fs3: connection refused")
        return contacts.get(server.name, "error/user_not_registered") if command.startswith("sofia_contact") else "UP"

    assert route("user/1001@acme.example", [fs3, fs2, fs1], ask) is fs2
    assert asked[0] == ("fs1", "sofia_contact */1001@acme.example")
    contacts.pop("fs2")
    assert route("user/1001@acme.example", [fs3, fs2, fs1], ask) is fs1  # registered nowhere: the first up
    asked.clear()
    assert route("sofia/gateway/carrier/+34910000000", [fs3, fs2, fs1], ask) is fs1 and len(asked) == 1
    assert route("user/1001@acme.example", [fs3], ask) is None  # none answers: the configured FreeSWITCH


@pytest.mark.postgres
def test_a_queue_callback_rings_the_member_on_the_server_where_the_phone_is_registered(pg_db, two_servers):
    from fs_plugins.config import Config
    from fs_plugins.groups import wiring

    (fs2, port2), (fs3, port3) = two_servers
    for name, server, port in (("fs2", fs2, port2), ("fs3", fs3, port3)):
        MediaServer.create(name=name, esl_host=server.server.address[0], esl_port=port, esl_password=server.password)
    fs3.answers["sofia_contact"] = "sofia/internal/sip:1001@192.0.2.7:5060"
    fs2.answers["sofia_contact"] = "error/user_not_registered"
    services = wiring.production_flow(Config(fs_event_socket_port=1)).services  # configured: nobody there
    from tests.test_groups_flow import advanced

    assert services.originate("user/1001@acme.example", "user/1002@acme.example", advanced(), 10)
    assert [c.split(" ", 1)[0] for c in fs3.commands] == ["sofia_contact", "originate"]
    assert not any(command.startswith("originate") for command in fs2.commands)


def test_a_dispatcher_destination_reads_its_sip_address_as_every_other_address_is_read():
    """hostport's one reading: a bare IPv6 sip_address (stored before addresses were normalised)
    is all host and gets brackets and the SIP port; a bracketed one keeps its port."""
    from types import SimpleNamespace

    from fs_plugins.cluster import dispatcher

    def server(sip_address):
        return SimpleNamespace(host="10.0.0.9", sip_address=sip_address)

    assert dispatcher.destination(server("2001:db8::5")) == "sip:[2001:db8::5]:5060"
    assert dispatcher.destination(server("[2001:db8::5]:5070")) == "sip:[2001:db8::5]:5070"
    assert dispatcher.destination(server("[2001:db8::5]")) == "sip:[2001:db8::5]:5060"
    assert dispatcher.destination(server("10.0.0.5")) == "sip:10.0.0.5:5060"
    assert dispatcher.destination(server("10.0.0.5:5080")) == "sip:10.0.0.5:5080"
    assert dispatcher.destination(server("")) == "sip:10.0.0.9:5060"
