"""The example flows (examples/flows/), each tested the way a flow author would: with the helper
fs_plugins.callflows.testing.flow_world, on the FreeSWITCH emulator through the real ESL server."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from fs_plugins.callflows.catalog import load_catalog
from fs_plugins.callflows.testing import flow_world

EXAMPLES = load_catalog(str(Path(__file__).resolve().parents[1] / "examples" / "flows"), packages=False)
PIN_LINE, SURVEY, CRM_ROUTER = (EXAMPLES.get(name) for name in ("pin_line", "survey", "crm_router"))


# --- a PIN-protected line ---------------------------------------------------------------------
@pytest.fixture
def pin_world(tmp_path):
    with flow_world(PIN_LINE, tmp_path, users={"1001": "Boss"}, fallback="hangup:USER_BUSY",
                    settings={"pin": "4321", "target": "user:1001", "tries": "2"}) as world:
        yield world


def test_the_right_pin_reaches_the_target(pin_world):
    call = pin_world.call(digits=["4321"])
    assert call.handed_to == "user:1001 (Boss)" and call.note == "PIN accepted"


def test_wrong_pins_are_turned_away_after_the_last_try(pin_world):
    call = pin_world.call(digits=["1111", "4320"])
    assert call.handed_to is None and call.hangup_cause == "CALL_REJECTED"
    assert call.played.count("voicemail/vm-fail_auth.wav") == 2 and call.note == "wrong PIN"


# --- a post-call survey -----------------------------------------------------------------------
@pytest.fixture
def survey_world(tmp_path):
    with flow_world(SURVEY, tmp_path, users={"1001": "Agent"}, settings={"agent": "1001"}) as world:
        yield world


def test_after_the_agent_hangs_up_the_callers_rating_is_stored_and_noted(survey_world):
    call = survey_world.call(digits=["4"], caller="+34600111222")
    assert call.report.bridges == [("user/1001@flows.test", "SUCCESS")]
    assert survey_world.records() == [{"agent": "1001", "score": 4}]
    assert call.note == "survey: 4/5" and call.hangup_cause == "NORMAL_CLEARING"


def test_a_key_outside_1_to_5_is_asked_again_and_nothing_is_stored_without_a_rating(survey_world):
    survey_world.call(digits=["9", "2"])
    survey_world.call(digits=["", ""])
    assert survey_world.records() == [{"agent": "1001", "score": 2}]


def test_when_the_agent_does_not_answer_the_caller_goes_to_voicemail_and_no_survey_runs(survey_world):
    call = survey_world.call(legs={"1001": "no_answer"})
    assert call.handed_to == "voicemail: (general box)" and survey_world.records() == []


def test_survey_answers_export_as_csv(survey_world, capsys):
    from fs_plugins.cli import main

    survey_world.call(digits=["5"], caller="=cmd|' /C calc'!A0")
    assert main(["--database", f"sqlite:///{survey_world.config.data_dir}/flows-test.db", "flow", "records",
                 "--tenant", "flows.test", "--flow", "survey"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "time_utc,flow,route,call_uuid,caller,agent,score"
    assert lines[1].split(",")[1:3] == ["survey", "survey"] and lines[1].endswith(",1001,5")
    assert ",'=cmd" in lines[1]  # a caller id that looks like a formula stays text in a spreadsheet


# --- a caller-lookup router (HTTP to a CRM) --------------------------------------------------
class Crm(BaseHTTPRequestHandler):
    customers = {"+34600000001": {"name": "Ana", "segment": "vip"}, "+34600000002": {"name": "Luis"}}
    delay = 0.0

    def do_GET(self):  # noqa: N802 (http.server's name)
        time.sleep(self.delay)
        number = parse_qs(urlsplit(self.path).query).get("number", [""])[0]
        found = self.customers.get(number)
        body = json.dumps(found).encode() if found else b"null"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def crm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    Crm.delay = 0.0


@pytest.fixture
def crm_world(tmp_path, crm):
    settings = {"crm_url": f"http://127.0.0.1:{crm.server_address[1]}/lookup", "timeout": "1",
                "vip": "user:1001", "customers": "user:1002"}
    with flow_world(CRM_ROUTER, tmp_path, users={"1001": "Key accounts", "1002": "Sales"}, settings=settings) as world:
        yield world


@pytest.mark.parametrize("caller, handed_to, note", [
    ("+34600000001", "user:1001 (Key accounts)", "CRM: VIP Ana"),
    ("+34600000002", "user:1002 (Sales)", "CRM: Luis"),
    ("+34600000003", "voicemail: (general box)", "CRM: no answer"),  # the CRM's 404
])
def test_the_crm_answer_decides_where_the_call_goes(crm_world, caller, handed_to, note):
    call = crm_world.call(caller=caller)
    assert (call.handed_to, call.note) == (handed_to, note)


def test_a_crm_slower_than_its_timeout_sends_the_caller_to_the_others_destination(crm_world):
    Crm.delay = 3.0
    started = time.monotonic()
    call = crm_world.call(caller="+34600000001")
    assert call.handed_to == "voicemail: (general box)" and call.note == "CRM: no answer"
    assert time.monotonic() - started < 2.5
