"""A menu created with the service is reached by its short number through the xml_curl dialplan,
and the `ivr` flow of the default registry runs it from the database over TCP."""
from __future__ import annotations

from fs_plugins.config import Config
from fs_plugins.esl.server import EslServer
from fs_plugins.models import User
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
from tests import provision
from tests.audio_helpers import sine
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.test_xml_curl import actions, app, dialplan_fields, pbx, post  # noqa: F401  (fixtures)
from tests.flows import installed_flows


def test_the_short_number_of_a_menu_hands_the_call_to_the_ivr_session(app, pbx):
    acme, _ = pbx
    row = provision.menu(acme, "Main", options={"1": "user:1002"}, short_number="800")
    steps = actions(post(app, dialplan_fields(destination="800")))
    assert ("socket", "127.0.0.1:18084 async full") in steps
    assert ("set", "pbx_flow=ivr") in steps and ("set", f"pbx_flow_object={row.id}") in steps
    assert steps[-1][0] == "hangup"  # the fallback after the socket


def test_the_installed_flows_run_a_stored_menu_with_its_uploaded_welcome(pbx, tmp_path):
    from fs_plugins.audio import library

    acme, _ = pbx
    welcome = library.upload(Config(data_dir=str(tmp_path)), acme, "Hola", sine(tmp_path / "w.wav", 1, 8000))
    row = provision.menu(acme, "Main", welcome="Hola", options={"1": "user:1002", "2": "message:Hola"})
    server = EslServer(Config(esl_port=0), installed_flows())
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "ivr", "pbx_flow_object": str(row.id),
                                     "pbx_tenant": "acme.example"})
        report = Emulator(server.address, setup, CallerScript(digits=["1"]), idle_timeout=2).run()
    finally:
        server.stop(timeout=1)
    bob = User.get(User.tenant == acme, User.extension == "1002")
    assert report.played[0] == welcome.path
    assert report.transfer == (f"pbx-user-{bob.id}", "acme.example")
