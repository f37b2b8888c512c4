"""Log lines: one per event on stderr, text or JSON, naming the call they are about."""
from __future__ import annotations

import io
import json
import logging

import gevent
import pytest

from fs_plugins import logs
from fs_plugins.cli import main


@pytest.fixture
def captured():
    stream = io.StringIO()
    yield stream
    logs.configure("WARNING", "text")  # back to what the other tests expect


def during_a_call(log, uuid: str, tenant: str, flow: str):
    logs.bind_call(uuid=uuid, tenant=tenant, flow=flow)
    gevent.sleep(0)  # the other call runs meanwhile: each keeps its own context
    log.warning("caller pressed %s", "1")


def test_json_lines_carry_the_call_uuid_tenant_and_flow_of_each_concurrent_call(captured):
    logs.configure("INFO", "json", stream=captured)
    log = logging.getLogger("fs_plugins.ivr.flow")
    gevent.joinall([gevent.spawn(during_a_call, log, "uuid-a", "acme.example", "ivr"),
                    gevent.spawn(during_a_call, log, "uuid-b", "globex.example", "group")])
    log.warning("not about a call")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [(line["call_uuid"], line["tenant"], line["flow"]) for line in lines] == [
        ("uuid-a", "acme.example", "ivr"), ("uuid-b", "globex.example", "group"), ("", "", "")]
    assert lines[0]["message"] == "caller pressed 1" and lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "fs_plugins.ivr.flow" and "asctime" in lines[0]


def test_a_traceback_or_a_forged_line_break_stays_on_one_text_line(captured):
    logs.configure("INFO", "text", stream=captured)
    log = logging.getLogger("fs_plugins.esl.server")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("flow failed for caller %s", "1001\n2026-12-03 00:00:00 INFO fake: admin logged in")
    output = captured.getvalue()
    assert output.count("\n") == 1 and "Traceback" in output and "RuntimeError: boom" in output


def test_text_lines_say_which_call_they_are_about(captured):
    logs.configure("INFO", "text", stream=captured)
    gevent.spawn(during_a_call, logging.getLogger("x"), "uuid-c", "acme.example", "ivr").get()
    assert captured.getvalue().rstrip().endswith("caller pressed 1 [call=uuid-c tenant=acme.example flow=ivr]")


def test_an_unknown_log_format_is_refused_naming_the_setting(tmp_path, capsys):
    config = tmp_path / "centralita.toml"
    config.write_text('log_format = "xml"\n')
    assert main(["--config", str(config), "--data-dir", str(tmp_path), "db", "status"]) == 2
    assert "log_format: must be one of text, json" in capsys.readouterr().err
