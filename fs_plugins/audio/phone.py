"""Record a message by phone: Centralita calls the user, who dictates, presses # to end, hears the
recording back and presses 3 to keep it (any other key, or nothing, records again).

How the call is made: this process opens a short-lived outbound ESL server on `esl_host` (port
chosen by the system) and asks FreeSWITCH over its inbound event socket to
``originate {pbx_flow=record,…}<dial string> &socket(<esl_advertise_host or esl_host>:<port> async full)``. When the phone
answers, FreeSWITCH connects to our server and the `record` flow below runs on the Channel.
FreeSWITCH writes the recording itself, so the path is under data_dir, which it must share (as it
must to play the library's files). A confirmed recording joins the audio library.
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

import gevent
from gevent.event import AsyncResult

from fs_plugins import channel_vars, validate
from fs_plugins.channel import Channel, SessionInfo, tone
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.esl import encode
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.models.core import Tenant, User

log = logging.getLogger(__name__)
BEEP = tone(400, 1000)  # record after the beep
CONFIRM = "tone_stream://%(200,100,600);%(200,0,800)"  # rising double beep: 3 keeps, anything else re-records
SAVED = tone(600, 800)
CONFIRM_KEY = "3"
MAX_TAKES = 3
SILENCE_SECONDS = 5


class RecordingFailed(InvalidInput):
    """The call could not be made or nothing was confirmed."""

    def __init__(self, message: str):
        super().__init__("--call", message)


def dial_string(config: Config, tenant: Tenant, target: str) -> str:
    """A tenant user's extension rings that user; anything else must be a phone number."""
    target = (target or "").strip()
    user = User.get_or_none(User.tenant == tenant, User.extension == target, User.enabled == True)  # noqa: E712
    if user is not None:
        return encode.dial_target(f"user/{user.extension}@{tenant.domain}")
    e164 = validate.e164(target, tenant.country, "--call")
    return encode.dial_target(config.outbound_dial_template.format(e164=e164, digits=e164[1:]))


def record_flow(path: str, max_seconds: int, result: AsyncResult):
    """The flow on the answered call; `result` gets True once a take is confirmed, else False."""

    def run(channel: Channel, info: SessionInfo) -> None:
        try:
            channel.answer()
            for take in range(1, MAX_TAKES + 1):
                channel.play(BEEP)
                channel.record(path, max_seconds=max_seconds, terminators="#", silence_seconds=SILENCE_SECONDS)
                channel.play(path)
                got = channel.collect(CONFIRM, max_digits=1, timeout=10, terminators="", tries=1)
                log.info("recording take %d: key %r", take, got.digits)
                if got.digits == CONFIRM_KEY:
                    channel.play(SAVED)
                    result.set(True)
                    channel.hangup("NORMAL_CLEARING")
                    return
            channel.hangup("NORMAL_CLEARING")
        finally:
            if not result.ready():
                result.set(False)

    return run


def originate_command(dial: str, tenant: Tenant, contact: str, name: str = "Centralita") -> str:
    """`contact` is host:port of the short-lived ESL server as FreeSWITCH reaches it."""
    variables = {channel_vars.FLOW: "record", channel_vars.TENANT: tenant.domain, "origination_caller_id_name": name,
                 "origination_caller_id_number": "0", "ignore_early_media": "true"}
    prefix = ",".join(f"{encode.var_name(k)}={encode.token(v)}" for k, v in variables.items())
    return f"originate {{{prefix}}}{dial} &socket({encode.token(contact)} async full)"


def record_by_phone(config: Config, tenant: Tenant, target: str, wait: float = 180.0) -> Path:
    """Call `target`, run the recording; the confirmed raw file's path (RecordingFailed otherwise)."""
    dial = dial_string(config, tenant, target)
    folder = Path(config.data_dir).resolve() / "audio" / tenant.domain
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rec-{uuid.uuid4().hex}.wav"
    result = AsyncResult()
    registry = FlowRegistry()
    registry.register("record", record_flow(str(path), config.audio_max_seconds, result))
    server = EslServer(config.replace(esl_port=0, esl_max_sessions=1), registry)
    server.start()
    try:
        reply = _originate(config, originate_command(dial, tenant, config.esl_contact(server.address[1])))
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


def _originate(config: Config, command: str, timeout: float = 70.0) -> str:
    """`api originate …` over the inbound event socket: returns once the phone answered or failed."""
    from fs_plugins.fsapi import FreeswitchApi, FreeswitchUnavailable

    try:
        return FreeswitchApi(config, timeout=timeout).api(command)
    except FreeswitchUnavailable as exc:
        raise RecordingFailed(str(exc)) from None


def record_command(args, ctx) -> int:
    """`centralita audio record NAME --call TARGET [--ivr MENU]`."""
    from fs_plugins.audio import library
    from fs_plugins.commands.common import open_tenant

    tenant = open_tenant(ctx, args.tenant)
    name = library.check_name(args.name)
    library.check_unique(tenant, name)
    menu = None
    if args.ivr:
        from fs_plugins.ivr import service

        menu = service.get_menu(tenant, args.ivr, "--ivr")
    print(f"calling {args.call}: record after the beep, press # to end, then 3 to keep it")
    raw = record_by_phone(ctx.config, tenant, args.call, args.wait)
    row = library.store_recording(ctx.config, tenant, name, raw)
    print(f"audio {row.name!r} recorded: {row.duration_ms / 1000:.1f} s")
    if menu is not None:
        from fs_plugins.ivr import service

        service.change_menu(menu, service.MenuSettings(welcome=row.name))
        print(f"IVR menu {menu.name!r}: welcome message is now {row.name!r}")
    return 0
