"""centralita simulate: place a call through the real dialplan handler and ESL flows, without FreeSWITCH.

The FreeSWITCH emulator (fs_plugins.sim) posts the dialplan fetches FreeSWITCH would post to the
xml_curl handler, runs the actions it answers, and hands `socket` actions to the real outbound
ESL server (started in-process on a free 127.0.0.1 port) with the real flows. Time is virtual:
a menu with a minute of prompts runs in a moment.
"""
from __future__ import annotations

import re

from fs_plugins import plugins
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.esl.server import EslServer
from fs_plugins.plugins import FlowWiring
from fs_plugins.sim import cdr
from fs_plugins.sim.dialplan import Caller, DialplanEmulator
from fs_plugins.sim.script import LEG_OUTCOMES, CallerScript, Leg, parse_dtmf, parse_leg, parse_transfer
from fs_plugins.web import make_web_app
from xml_curl.app import make_app
from xml_curl.directory import user_variables
from xml_curl.lookups import Lookups

_USER = re.compile(r"(?P<ext>[0-9]{2,6})@(?P<domain>[a-z0-9.-]+)\Z")
_E164 = re.compile(r"\+?[0-9]{3,15}\Z")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="place an emulated call through the dialplan and the call flows and print what happens",
        description="Place a call without FreeSWITCH: the emulator asks the real dialplan handler where the "
                    "call goes and runs IVRs, groups and messages through the real ESL server. Times are seconds "
                    "of virtual time from when the call reaches a flow.")
    parser.add_argument("--from", dest="caller", required=True,
                        help="the caller: EXT@DOMAIN (one of a tenant's users) or a number (a call from the carrier)")
    parser.add_argument("--to", dest="destination", required=True, help="the number dialled")
    parser.add_argument("--digits", default="",
                        help="keys for each digit collection in turn, comma separated (e.g. 1,23#)")
    parser.add_argument("--dtmf", action="append", default=[], metavar="SECONDS:KEYS",
                        help="keys pressed at a given moment (repeatable)")
    parser.add_argument("--hangup", type=float, metavar="SECONDS", help="the caller hangs up then")
    parser.add_argument("--leg", action="append", default=[], metavar="DIAL=OUTCOME[:RING[:TALK]]",
                        help=f"what a called leg does; OUTCOME one of {', '.join(LEG_OUTCOMES)} (repeatable)")
    parser.add_argument("--others", default="answer", choices=LEG_OUTCOMES,
                        help="what every other called leg does (default: answer)")
    parser.add_argument("--transfer", metavar="blind|attended:SECONDS:EXT",
                        help="the callee who answers hands the caller to EXT that many seconds after answering")
    parser.add_argument("--post-cdr", action="store_true",
                        help="file the call's CDR in the call log, as FreeSWITCH's mod_json_cdr would")
    parser.set_defaults(handler=_simulate)


def script_from_args(args) -> CallerScript:
    if args.hangup is not None and args.hangup < 0:
        raise InvalidInput("--hangup", "must be zero or more seconds")
    digits = [d.strip() for d in args.digits.split(",") if d.strip()]
    if any(k not in "0123456789*#" for d in digits for k in d):
        raise InvalidInput("--digits", "keys are 0-9, * and #, one group per collection separated by commas")
    try:
        legs = dict(parse_leg(text) for text in args.leg)
        dtmf = [parse_dtmf(text) for text in args.dtmf]
        transfer = parse_transfer(args.transfer) if getattr(args, "transfer", None) else None
    except InvalidInput as exc:
        raise InvalidInput("--" + exc.field, exc.message) from None
    return CallerScript(digits=digits, dtmf=dtmf, hangup_at=args.hangup, legs=legs, transfer=transfer,
                        default_leg=Leg(args.others, talk=5.0 if args.others == "answer" else None))


def caller_from_args(text: str, db):
    match = _USER.match(text.lower())
    if match:
        user = Lookups(db).user(match["domain"], match["ext"])
        if user is None:
            raise NotFound("--from", f"no user {match['ext']} in tenant {match['domain']}")
        return Caller(user.extension, user.display_name, user.tenant.domain, dict(user_variables(user)))
    if _E164.match(text):
        return Caller(text)
    raise InvalidInput("--from", "expected EXT@DOMAIN (a user) or a phone number")


def run_simulation(config, db, caller, destination: str, script: CallerScript, simulated: bool = True,
                   record_files: bool = True):
    """The simulation itself (also used by tests): returns fs_plugins.sim.dialplan.Simulation.
    `simulated=False`: the flows write what they would write in production (tests of what they store).
    `record_files`: record_session writes its WAV under recordings_dir as FreeSWITCH would."""
    registry = plugins.installed().flow_registry(FlowWiring(config, simulated=simulated))
    server = EslServer(config.replace(esl_host="127.0.0.1", esl_port=0), registry)
    server.start()
    try:
        return DialplanEmulator(make_app(config, db), server.address, script,
                                record_files=record_files).call(caller, destination)
    finally:
        server.stop(timeout=2)


def _simulate(args, ctx) -> int:
    if not _E164.match(args.destination) and not re.fullmatch(r"[0-9*#+a-z-]{1,32}", args.destination):
        raise InvalidInput("--to", "expected a dialled number")
    script = script_from_args(args)
    caller = caller_from_args(args.caller, ctx.db)
    # A recording's file is only written when the call also reaches the call log (--post-cdr): a dry
    # run leaves nothing in recordings_dir that the sweep would wait for in vain.
    simulation = run_simulation(ctx.config, ctx.db, caller, args.destination, script, record_files=args.post_cdr)
    for line in simulation.steps:
        print(line)
    print(f"hangup cause: {simulation.hangup_cause}")
    if args.post_cdr:
        print(f"CDRs posted (B legs, then A): {post_cdr(ctx.config, simulation)}")
    return 0


def post_cdr(config, simulation) -> str:
    credentials = (config.cdr_user, config.cdr_password) if config.cdr_user else None
    app = make_web_app(config)
    statuses = [cdr.post(app, body, uuid, credentials=credentials) for uuid, body in simulation.b_legs]
    statuses.append(cdr.post(app, simulation.cdr, simulation.uuid, credentials=credentials))
    return ", ".join(statuses)
