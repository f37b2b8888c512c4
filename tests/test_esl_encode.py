"""The one encoder between flows and FreeSWITCH, and the frame parser."""
from __future__ import annotations

import pytest

from fs_plugins.esl import encode
from fs_plugins.esl.framing import FrameBuffer, ProtocolError, parse_headers


@pytest.mark.parametrize("bad", ["${system rm -rf /}", "$${hostname}", "a\nb", "a\rb", "nul\x00"])
def test_values_that_would_expand_or_inject_a_command_are_refused(bad):
    with pytest.raises(encode.UnsafeArgument):
        encode.value(bad)


def test_ordinary_values_pass_unchanged():
    assert encode.value("tone_stream://%(500,0,640)") == "tone_stream://%(500,0,640)"
    assert encode.assignment("pbx_choice", "Ñandú 1") == "pbx_choice=Ñandú 1"


@pytest.mark.parametrize("bad", ["", "two words", "tab\there"])
def test_space_separated_arguments_must_be_single_words(bad):
    with pytest.raises(encode.UnsafeArgument):
        encode.args("1", bad)


@pytest.mark.parametrize("bad", ["a,b", "a|b", "[x=1]a", "{x=1}a", "a^b", "a b", ""])
def test_a_dial_target_cannot_add_legs_or_leg_variables(bad):
    with pytest.raises(encode.UnsafeArgument):
        encode.dial_target(bad)


@pytest.mark.parametrize("bad", ["1abc", "a-b", "a=b", "", "x" * 65])
def test_variable_names_are_plain_identifiers(bad):
    with pytest.raises(encode.UnsafeArgument):
        encode.var_name(bad)


def test_the_error_names_the_field():
    with pytest.raises(encode.UnsafeArgument) as caught:
        encode.assignment("pbx_note", "${x}")
    assert caught.value.field == "pbx_note"


def test_frames_split_across_reads_and_several_in_one_read_are_parsed():
    body = b"Event-Name: DTMF\nDTMF-Digit: %23\nX: a%0Ab\n\n"
    frame = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body
    buffer = FrameBuffer()
    assert buffer.feed(frame[:10]) == []
    frames = buffer.feed(frame[10:] + b"Content-Type: command/reply\nReply-Text: +OK\n\n")
    assert [h["Content-Type"] for h, _ in frames] == ["text/event-plain", "command/reply"]
    assert parse_headers(frames[0][1]) == {"Event-Name": "DTMF", "DTMF-Digit": "#", "X": "a\nb"}


@pytest.mark.parametrize("garbage", [b"Content-Length: -1\n\n", b"Content-Length: 99999999999\n\n", b"no colon\n\n"])
def test_malformed_frames_raise_protocol_error(garbage):
    with pytest.raises(ProtocolError):
        FrameBuffer().feed(garbage)
