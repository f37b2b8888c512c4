"""centralita serve: every server in one process (or one of them), until interrupted."""
from __future__ import annotations

import functools
import gc
import logging
import os
import signal
import socket

import gevent
import peewee

from fs_plugins import cpuyield, demo, metrics, plugins
from fs_plugins.credentials import path_in as credentials_path
from fs_plugins.credentials import with_credentials
from fs_plugins.errors import CannotStart
from fs_plugins.calllog.sweep import sweep
from fs_plugins.recording.rules import recordings_dir
from fs_plugins.recording.sweep import sweep as recording_sweep
from fs_plugins.callhandling import lamps
from fs_plugins.cluster import feeds, nodes
from fs_plugins.dbpool import UNAVAILABLE, GreenSqliteDatabase, release, release_after
from fs_plugins.esl.server import EslServer
from fs_plugins.fsapi import event_sockets
from fs_plugins.httpserver import HttpLimits, http_server  # noqa: F401  (http_server: benches/ceiling.py, tests)
from fs_plugins.plugins import FlowWiring
from fs_plugins.walcheckpoint import Checkpointer
from fs_plugins.web import make_web_app, mounts_for
from xml_curl.app import make_app

log = logging.getLogger(__name__)
SERVERS = ("xml_curl", "web", "api", "esl")  # web (/cdr, /phonebook) and api (/api/v1) share one HTTP server
FOR_FREESWITCH = {"xml_curl", "web", "esl"}  # what a call or a REGISTER waits for
# Servers that never write (but the schema at start): a process running only these leaves SQLite's
# checkpoints to the processes that write, and its event loop to FreeSWITCH's requests alone.
READ_ONLY = {"xml_curl"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="run the xml_curl handler, the CDR/phonebook/API server and the ESL app")
    parser.add_argument("--only", choices=SERVERS, action="append",
                        help="run only this server (repeatable); default: all")
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo tenant in an empty database")
    parser.set_defaults(handler=_serve, service_logging=True, serving=True)


def _serve(args, ctx) -> int:
    # FreeSWITCH's side (xml_curl, /cdr) always asks for credentials: generated on first start.
    ctx.config = config = with_credentials(ctx.config)
    database = ctx.db
    if not args.no_demo and demo.database_is_empty():
        for line in demo.create_demo(ctx.app):
            print(line)
    release(database)  # the start-up's connection goes back to the pool for the servers
    wanted = args.only or SERVERS
    yield_cpu(config, wanted)
    metrics.count_log_events()
    plan = [(name, functools.partial(starter, config, database)) for name, starter in _STARTERS.items()
            if name in wanted]
    if "web" in wanted or "api" in wanted:
        plan.insert(1 if "xml_curl" in wanted else 0,
                    ("web", functools.partial(_start_web, config, mounts_for(wanted), database)))
    started = _start_all(config, plan)
    if config.cdr_sweep_dir and "web" in wanted:
        started.append(_start_sweeper(config, database))
    if "web" in wanted:
        started.append(_start_recording_sweeper(config, database))
    if isinstance(database, GreenSqliteDatabase) and set(wanted) - READ_ONLY:
        started.append(_start_checkpointer(database))
    held = None  # one machine: this node keeps every media server's lamps
    if isinstance(database, peewee.PostgresqlDatabase):  # nodes share PostgreSQL; a SQLite file has one
        started.append(_start_heartbeat(config, database))
        if "esl" in wanted:  # the node that runs calls follows media servers' events (busy state)
            started.append(_start_feeds(database))
            held = started[-1].server.held  # and keeps the lamps of those it follows, only those
    if "esl" in wanted:
        started.append(_start_lamps(config, database, held))
    yielding = yield_while_working(config, wanted)
    print(f"database: {config.effective_database_url}")
    for server in started:
        print(server.describe)
    print(f"credentials FreeSWITCH must send (xml_curl, /cdr): {credentials_path(config)} "
          "(`centralita credentials freeswitch` prints them as FreeSWITCH configuration)")
    print(_freeswitch_hint(config), flush=True)
    freeze_startup_heap()
    stop = gevent.event.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop.set)
    stop.wait()
    for server in started:
        server.stop()
    if yielding:
        yielding.stop()
    return 0


def freeze_startup_heap() -> int:
    """Leave what start-up built (modules, models, templates: about 100,000 objects) out of the
    garbage collector's full passes, which otherwise scan it every time and stop every server in the
    process meanwhile: 15-50 ms each on the bench machine, a call's ESL set-up or a REGISTER
    waiting behind it (benches/b4_esl.py). Reference counting still frees these objects; only a
    cycle among them that becomes garbage later stays. Returns how many were frozen."""
    gc.collect()  # start-up's own garbage goes first, not into the frozen set
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("start-up heap: %d objects left out of the garbage collector's passes", frozen)
    return frozen


def yield_cpu(config, wanted) -> None:
    """A process serving only people (the API, the portal) gives the CPU to FreeSWITCH's handlers.

    Niceness alone does not: on a core shared with the xml_curl handler the kernel still lets an API
    request run for its slice (about 0.7 ms, repeatedly) while a REGISTER waits, and that is the
    handler's p99. Under SCHED_IDLE (api_scheduling "idle") the API runs only when the core is
    otherwise idle and a waking handler preempts it at once (benches/b6_api.py measures it;
    docs/operations.md). Set for every thread the process has, before the servers start."""
    if FOR_FREESWITCH & set(wanted):
        return
    if config.api_nice and os.getpriority(os.PRIO_PROCESS, 0) < config.api_nice:
        os.setpriority(os.PRIO_PROCESS, 0, config.api_nice)
        log.info("serving people only: CPU niceness %d (api_nice), FreeSWITCH's handlers go first", config.api_nice)
    if config.api_scheduling == "idle" and os.sched_getscheduler(0) != os.SCHED_IDLE:
        for thread in os.listdir("/proc/self/task"):  # a policy is per thread; later threads inherit it
            os.sched_setscheduler(int(thread), os.SCHED_IDLE, os.sched_param(0))
        log.info("serving people only: CPU policy SCHED_IDLE (api_scheduling), the core goes to FreeSWITCH's "
                 "handlers whenever they want it")


def yield_while_working(config, wanted) -> cpuyield.WhileTheLoopWorks | None:
    """Under api_scheduling "idle", a process serving only people also hands the core back every
    api_yield_every_us while its event loop works (fs_plugins/cpuyield.py says why). Started last,
    once the servers listen: its signal would cut short a sleep of this thread (SQLite's busy
    handler sleeps), and only the served requests' work is meant. None when it does not apply."""
    if FOR_FREESWITCH & set(wanted) or config.api_scheduling != "idle" or not config.api_yield_every_us:
        return None
    yielding = cpuyield.WhileTheLoopWorks(config.api_yield_every_us / 1e6)
    log.info("serving people only: while it works, the core goes back to FreeSWITCH's handlers every %d µs "
             "(api_yield_every_us)", config.api_yield_every_us)
    return yielding


# The setting that moves each server elsewhere, for the message when its port is taken.
_ADDRESS_SETTINGS = {"xml_curl": ("xml_curl_host", "xml_curl_port"), "web": ("web_host", "web_port"),
                     "esl": ("esl_host", "esl_port")}


def _start_all(config, plan: list) -> list:
    """Start each (name, start) in turn; if one cannot listen, stop the others and say which port, in one line."""
    started = []
    for name, start in plan:
        try:
            started.append(start())
        except OSError as exc:
            for server in started:
                server.stop()
            host_setting, port_setting = _ADDRESS_SETTINGS[name]
            address = f"{getattr(config, host_setting)}:{getattr(config, port_setting)}"
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise CannotStart(f"the {name} server cannot listen on {address}: {reason} "
                              f"(another program there? change {port_setting} or {host_setting})") from None
    return started


class _Running:
    def __init__(self, server, describe: str):
        self.server, self.describe = server, describe

    def stop(self):
        self.server.stop()


def xml_curl_app(config, database):
    """The xml_curl server's WSGI app, every layer (benches/instructions.py measures this very one):
    mod_xml_curl's posts counted, and beside them, in the same layer, /healthz, /readyz and
    /metrics (`serve --only xml_curl`, one role per unit in packaging/, has no web server, and its
    counts are this process's)."""
    health = {path: factory(config) for path, factory in plugins.installed().mounts.items() if path in HEALTH_PATHS}
    return release_after(metrics.instrument_xml_curl(make_app(config, database)), database, beside=health)


def _start_xml_curl(config, database):
    app = xml_curl_app(config, database)
    server = http_server(config.xml_curl_host, config.xml_curl_port, app, "xml_curl.http", HttpLimits.from_config(config))
    server.start()
    host, port = server.address[:2]
    return _Running(server, f"xml_curl handler: http://{host}:{port}/xml_curl (directory, dialplan)")


HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")


def _start_web(config, mounts: dict, database):
    app = release_after(make_web_app(config, metrics.instrument_mounts(mounts)), database)
    server = http_server(config.web_host, config.web_port, app, "fs_plugins.web.http", HttpLimits.from_config(config))
    server.start()
    # Browsers and API clients keep their connection open; pywsgi sends the headers and the body in two
    # writes, and with Nagle on, the second waits for the client's delayed ACK: 40 ms on every small
    # answer. Accepted connections inherit this from the listener.
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    host, port = server.address[:2]
    described = []
    if "/cdr" in mounts:
        described.append(f"CDR receiver: http://{host}:{port}/cdr   phonebooks: http://{host}:{port}/phonebook/")
    if "/api/v1" in mounts:
        described.append(f"REST API: http://{host}:{port}/api/v1/ (docs: http://{host}:{port}/api/v1/docs/)")
    if "/" in mounts:
        described.append(f"web portal: http://{host}:{port}/")
    return _Running(server, "\n".join(described))


def _start_esl(config, database):
    server = EslServer(config, metrics.counting_flows(plugins.installed().flow_registry(FlowWiring(config))),
                       release_database=functools.partial(release, database))
    server.start()
    metrics.watch_esl(server)
    host, port = server.address[:2]
    return _Running(server, f"outbound ESL app: {host}:{port} (dialplan `socket {host}:{port} async full`)")


def _start_sweeper(config, database):
    """Import mod_json_cdr's failed posts from its err-log-dir every cdr_sweep_seconds."""

    def job():
        result = sweep(database, config.cdr_sweep_dir)
        metrics.count_sweep(result)
        return f"CDR sweep of {config.cdr_sweep_dir}: {result}" if result.imported or result.rejected else ""

    return _periodic(database, config.cdr_sweep_seconds, f"CDR sweep of {config.cdr_sweep_dir}", job,
                     f"CDR sweeper: {config.cdr_sweep_dir} every {config.cdr_sweep_seconds:g} s")


def _start_recording_sweeper(config, database):
    """File the calls' recordings FreeSWITCH wrote and delete expired ones (fs_plugins/recording/sweep.py)."""
    folder = recordings_dir(config)

    def job():
        result = recording_sweep(folder)
        return f"recordings in {folder}: {result}" if result.filed or result.expired else ""

    return _periodic(database, config.recording_sweep_seconds, f"recording sweep of {folder}", job,
                     f"recording sweeper: {folder} every {config.recording_sweep_seconds:g} s")


def _periodic(database, seconds: float, what: str, job, describe: str):
    """Run `job` every `seconds` in its own greenlet; what it returns (if anything) is logged."""

    def run():
        while True:
            try:
                said = job()
                if said:
                    log.info("%s", said)
            except UNAVAILABLE:  # logged once by the database; the files wait for the next sweep
                pass
            except Exception:  # a bad folder must not stop the servers
                log.exception("%s failed", what)
            finally:
                release(database)
            gevent.sleep(seconds)

    return _Running(_Greenlet(gevent.spawn(run)), describe)


def _start_checkpointer(database):
    """Checkpoint the SQLite file's WAL in a thread of this process, off every request's path
    (serve's connections do not: fs_plugins/walcheckpoint.py)."""
    checkpointer = Checkpointer(database.database, observed=metrics.SQLITE_CHECKPOINTS.observe).start()
    return _Running(checkpointer, f"SQLite checkpoints: in a thread of their own, once {checkpointer.pages:,} "
                                  "pages wait in the WAL")


def _start_lamps(config, database, held=None):
    """Fire the DND lamps again on each media server whenever it (re)starts, and answer phones that
    subscribe; in a cluster only on the media servers whose feed this node `held` (callhandling/lamps.py)."""
    keeper = lamps.LampKeeper(lambda: event_sockets(config), release=lambda: release(database), held=held).start()
    where = "each media server" if held is None else "each media server whose events this node follows"
    return _Running(keeper, f"DND lamps: fired again on {where} at every (re)start, answered to new subscribers")


def _start_heartbeat(config, database):
    """Announce this node (`centralita node`) every nodes.BEAT_SECONDS."""
    name = nodes.default_name(config.esl_port)
    greenlet = gevent.spawn(nodes.run, name, config.esl_contact(), lambda: release(database))
    return _Running(_Greenlet(greenlet), f"node {name}: heartbeat every {nodes.BEAT_SECONDS:g} s")


def _start_feeds(database):
    """Take each media server's channel events nobody follows (fs_plugins/cluster/feeds.py)."""
    keeper = feeds.Keeper(database, lambda: release(database)).start()
    return _Running(keeper, f"media servers' channel events: taken over within {feeds.TRY_SECONDS:g} s "
                            "of the node following them stopping")


class _Greenlet:
    def __init__(self, greenlet):
        self.greenlet = greenlet

    def stop(self):
        self.greenlet.kill()


_STARTERS = {"xml_curl": _start_xml_curl, "esl": _start_esl}


def _freeswitch_hint(config) -> str:
    return (
        "point FreeSWITCH at it: copy freeswitch/conf/ into /etc/freeswitch (see freeswitch/conf/README.md); "
        f"its xml_curl binding posts to http://{config.xml_curl_host}:{config.xml_curl_port}/xml_curl, "
        f"mod_json_cdr to http://{config.web_host}:{config.web_port}/cdr, and Centralita reaches its event socket "
        f"at {config.fs_event_socket_host}:{config.fs_event_socket_port}"
    )
