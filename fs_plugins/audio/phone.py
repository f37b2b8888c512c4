"""Record a message by phone: Centralita calls the user, who hears mod_voicemail's own
instructions in the tenant's language, dictates after the beep, presses # to end, and then 1 to
listen, 3 to keep it, anything else (or nothing) to record again.

How the call is made: this process opens a short-lived outbound ESL server on `esl_host` (port
chosen by the system) and asks FreeSWITCH (with several media servers, the one chosen by name,
else the one fs_plugins/cluster/originate.py routes the call to) over its inbound event socket to
``originate {pbx_flow=record,…}<dial string> &socket(<host>:<port> async full)``, the host being where
that server reaches this machine (a media server's socket_address, else esl_advertise_host or
esl_host). When the phone answers, FreeSWITCH connects to our server and the `record` flow below runs on the Channel.
FreeSWITCH writes the recording itself, so the path is under data_dir, which it must share (as it
must to play the library's files). A confirmed recording joins the audio library.

The spoken parts are mod_voicemail's phrase macros (`phrase:NAME:ARGS`), which FreeSWITCH has in
every language it ships voicemail phrases for, with that language's word order; the originate
sets the tenant's voice (fs_plugins/voices.py) so they play in the tenant's language.
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Callable

import gevent
from gevent.event import AsyncResult

from fs_plugins import channel_vars, dialstrings, validate
from fs_plugins.channel import Channel, SessionInfo, tone
from fs_plugins.cluster import originate
from fs_plugins.config import Config
from fs_plugins.dbpool import release
from fs_plugins.errors import InvalidInput
from fs_plugins.esl import encode
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.fsapi import FreeswitchApi, FreeswitchUnavailable
from fs_plugins.models import database
from fs_plugins.models.core import Tenant, User
from fs_plugins.voices import Voices

log = logging.getLogger(__name__)
INSTRUCTIONS = "phrase:voicemail_record_message"  # "record your message after the tone…"
BEEP = tone(400, 1000)  # record after the beep
LISTEN_KEY, CONFIRM_KEY, RERECORD_KEY = "1", "3", "4"
CONFIRM = f"phrase:voicemail_record_file_check:{LISTEN_KEY}:{CONFIRM_KEY}:{RERECORD_KEY}"  # 1 listen, 3 save, 4 again
SAVED = "phrase:voicemail_ack:saved"
MAX_TAKES = 3
MAX_LISTENS = 3
SILENCE_SECONDS = 5


class RecordingFailed(InvalidInput):
    """The call could not be made or nothing was confirmed."""

    def __init__(self, message: str):
        super().__init__("call", message)


class FreeswitchUnreachable(RecordingFailed):
    """FreeSWITCH's event socket did not answer: nothing about `call` was wrong (the API says 503)."""


def dial_string(config: Config, tenant: Tenant, target: str) -> str:
    """A tenant user's extension rings that user; anything else must be a phone number."""
    target = (target or "").strip()
    user = User.get_or_none(User.tenant == tenant, User.extension == target, User.enabled == True)  # noqa: E712
    if user is not None:
        return encode.dial_target(dialstrings.user(user.extension, tenant.domain))
    e164 = validate.e164(target, tenant.country, "call")
    return encode.dial_target(dialstrings.gateway(config.outbound_dial_template, e164))


def record_flow(path: str, max_seconds: int, result: AsyncResult, answered: Callable[[], None] = lambda: None):
    """The flow on the answered call; `result` gets True once a take is confirmed, else False.
    `answered` is told when the phone answered (FreeSWITCH connected to the flow)."""

    def run(channel: Channel, info: SessionInfo) -> None:
        try:
            answered()
            channel.answer()
            for take in range(1, MAX_TAKES + 1):
                channel.play(INSTRUCTIONS)
                channel.play(BEEP)
                channel.record(path, max_seconds=max_seconds, terminators="#", silence_seconds=SILENCE_SECONDS)
                key = _listen_then_choose(channel, path)
                log.info("recording take %d: key %r", take, key)
                if key == CONFIRM_KEY:
                    channel.play(SAVED)
                    result.set(True)
                    channel.hangup("NORMAL_CLEARING")
                    return
            channel.hangup("NORMAL_CLEARING")
        finally:
            if not result.ready():
                result.set(False)

    return run


def _listen_then_choose(channel: Channel, path: str) -> str:
    """Play the take, then ask; 1 plays it again (a few times at most), any other key is the choice."""
    for _ in range(MAX_LISTENS):
        channel.play(path)
        got = channel.collect(CONFIRM, max_digits=1, timeout=10, terminators="", tries=1)
        if got.digits != LISTEN_KEY:
            return got.digits
    return ""


def originate_command(dial: str, tenant: Tenant, contact: str, name: str = "Centralita",
                      voices: Voices | None = None) -> str:
    """`contact` is host:port of the short-lived ESL server as FreeSWITCH reaches it."""
    variables = {channel_vars.FLOW: "record", channel_vars.TENANT: tenant.domain, "origination_caller_id_name": name,
                 "origination_caller_id_number": "0", "ignore_early_media": "true",
                 **dict((voices or Voices()).for_language(tenant.language).variables())}
    checked = {encode.var_name(k): encode.token(v) for k, v in variables.items()}
    return f"originate {dialstrings.with_call_variables(checked, dial)} &socket({encode.token(contact)} async full)"


def record_by_phone(config: Config, tenant: Tenant, target: str, wait: float = 180.0,
                    answered: Callable[[], None] = lambda: None, media_server: str | None = None) -> Path:
    """Call `target`, run the recording; the confirmed raw file's path (RecordingFailed otherwise).
    `answered` is told when the phone answers; `media_server` names the FreeSWITCH to call through
    (None: the one the cluster's routing picks)."""
    chosen = originate.named_server(media_server)
    dial = dial_string(config, tenant, target)
    folder = Path(config.data_dir).resolve() / "audio" / tenant.domain
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rec-{uuid.uuid4().hex}.wav"
    result = AsyncResult()
    registry = FlowRegistry()
    registry.register("record", record_flow(str(path), config.audio_max_seconds, result, answered))
    # serve's pooled connection of the call's greenlet (`answered` may write) goes back when it ends.
    server = EslServer(config.replace(esl_port=0, esl_max_sessions=1), registry,
                       release_database=lambda **how: release(database, **how))
    api = originate.api_for(config, dial, ORIGINATE_SECONDS, chosen)  # the server first: it says where it reaches us
    server.start()
    try:
        contact = originate.socket_contact(config, api.server, server.address[1])
        command = originate_command(dial, tenant, contact, voices=Voices.from_config(config))
        reply = _originate(api, command)
        if not reply.startswith("+OK"):
            raise RecordingFailed(f"could not call {target}: {reply.strip() or 'no answer from FreeSWITCH'}")
        confirmed = result.get(timeout=wait)
    except gevent.Timeout:
        confirmed = False
    finally:
        server.stop(timeout=1)
    if not confirmed:
        path.unlink(missing_ok=True)
        raise RecordingFailed(f"no recording was confirmed with key {CONFIRM_KEY} on {target}")
    return path


ORIGINATE_SECONDS = 70.0  # FreeSWITCH answers `api originate` once the phone answered or failed


def _originate(api: FreeswitchApi, command: str) -> str:
    """`api originate …` over the inbound event socket of the server routed to: returns once the
    phone answered or failed."""
    try:
        return api.api(command)
    except FreeswitchUnavailable as exc:
        raise FreeswitchUnreachable(str(exc)) from None


def check_reachable(config: Config, media_server: str | None = None) -> None:
    """FreeswitchUnreachable unless a FreeSWITCH to call through answers now (before a recording is
    promised to someone who will only poll for it): the media server named, else the first enabled
    one answering, else the configured one. InvalidInput (field media_server) for a name that is
    no enabled media server."""
    chosen = originate.named_server(media_server)
    try:
        originate.api_for(config, "", 5.0, chosen).api("status")
    except FreeswitchUnavailable as exc:
        raise FreeswitchUnreachable(str(exc)) from None
