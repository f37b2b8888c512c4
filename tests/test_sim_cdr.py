"""The emulator's mod_json_cdr post: the recorded HTTP shape, and the real receiver files it."""
from __future__ import annotations

import json
from pathlib import Path

from fs_plugins.application import AppContext
from fs_plugins.config import Config
from fs_plugins.sim import cdr
from fs_plugins.web import make_web_app

RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "json_cdr" / "incoming_answered.json"


def body(**changes):
    values = dict(uuid="0a0a0a0a-0000-4000-8000-000000000001", variables={"pbx_tenant": "acme.example",
                  "pbx_call_type": "internal", "pbx_user_id": "1001@acme.example"}, hangup_cause="NORMAL_CLEARING",
                  start=1795658400.0, answered=1795658401.5, end=1795658430.0,
                  app_log=[{"app_name": "answer", "app_data": "", "app_stamp": "1"}], callflow=[{"dialplan": "XML"}])
    values.update(changes)
    return cdr.cdr_body(**values)


def test_the_post_has_freeswitchs_headers_and_a_compact_json_body():
    seen = {}

    def receiver(environ, start_response):
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [])
        return [b""]

    assert cdr.post(receiver, body(), "0a0a") == "200 OK"
    recorded = json.loads(RECORDED.read_text())["legs"][0]
    assert [name for name, _ in recorded["http"]["headers"]] == ["Host", "User-Agent", "Accept", "Content-Type",
                                                                 "Content-Length"]
    assert (seen["HTTP_USER_AGENT"], seen["HTTP_ACCEPT"], seen["CONTENT_TYPE"], seen["QUERY_STRING"]) == (
        "freeswitch-json/1.0", "*/*", "application/json", "uuid=0a0a")
    sent = json.loads(seen["body"])
    assert seen["body"] == json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode()
    assert list(sent) == list(recorded["body"])
    assert all(isinstance(v, str) for v in sent["variables"].values())


def test_times_and_causes_are_derived_like_freeswitch():
    variables = body()["variables"]
    assert (variables["duration"], variables["billsec"], variables["answersec"]) == ("30", "28", "1")
    assert (variables["hangup_cause"], variables["hangup_cause_q850"]) == ("NORMAL_CLEARING", "16")
    missed = body(answered=None, hangup_cause="NO_ANSWER")["variables"]
    assert (missed["billsec"], missed["answer_epoch"], missed["hangup_cause_q850"]) == ("0", "0", "19")


def test_the_real_cdr_receiver_files_the_emulated_call(db):
    from fs_plugins import demo

    demo.create_demo(AppContext.operator())
    variables = {"pbx_tenant": demo.DEMO_DOMAIN, "pbx_call_type": "internal",
                 "pbx_user_id": f"1001@{demo.DEMO_DOMAIN}", "direction": "inbound"}
    status = cdr.post(make_web_app(Config()), body(variables=variables), "0a0a0a0a-0000-4000-8000-000000000001")
    assert status.startswith("200")
