"""Configuration: defaults ← TOML file ← environment (CENTRALITA_*) ← command line, in one object.

Every server and command reads its settings from the one `Config` built by `load_config`; nothing
reads the environment anywhere else.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from fs_plugins.errors import InvalidInput
from fs_plugins.voices import DEFAULT_SOUNDS_DIR, DEFAULT_VOICES

ENV_PREFIX = "CENTRALITA_"
API_SCHEDULING = ("idle", "normal")
# sip_proxy: a host name or IPv4 address, or [IPv6], with an optional port; it goes into dial strings.
_HOST_PORT = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True)
class Config:
    data_dir: str = "var"
    database_url: str = ""  # empty: sqlite file inside data_dir
    # mod_xml_curl's bindings post here (directory, dialplan).
    xml_curl_host: str = "127.0.0.1"
    xml_curl_port: int = 18080
    # HTTP basic auth FreeSWITCH sends (gateway-credentials). `serve` always requires it: what is not
    # set here comes from <data_dir>/credentials.toml, generated on first start (fs_plugins/credentials.py).
    xml_curl_user: str = ""
    xml_curl_password: str = ""
    # mod_json_cdr posts here; the same HTTP server serves phone phonebooks.
    web_host: str = "127.0.0.1"
    web_port: int = 18082
    cdr_user: str = ""  # likewise (mod_json_cdr's `cred`)
    cdr_password: str = ""
    # Every HTTP server (fs_plugins/httpserver.py): the request head must arrive within
    # http_header_timeout seconds in all, each body read within http_body_timeout; at most
    # http_max_connections connections at once per server (slowloris clients cannot starve the rest).
    http_header_timeout: float = 10.0
    http_body_timeout: float = 10.0
    http_max_connections: int = 4000
    # mod_json_cdr's err-log-dir: `serve` imports what FreeSWITCH failed to post (it never re-sends).
    cdr_sweep_dir: str = ""
    cdr_sweep_seconds: float = 60.0
    # The dialplan's `socket` action connects here (outbound ESL).
    esl_host: str = "127.0.0.1"
    esl_port: int = 18084
    esl_max_sessions: int = 1000
    # Where FreeSWITCH connects to reach the ESL app, when that is not esl_host (a wildcard bind
    # like 0.0.0.0, or FreeSWITCH on another machine): used in `socket` actions and originates.
    esl_advertise_host: str = ""
    esl_command_timeout: float = 30.0
    # How calls to external numbers leave FreeSWITCH: {e164} is +34911234567, {digits} 34911234567.
    outbound_dial_template: str = "sofia/gateway/carrier/{e164}"
    # Played to whoever answers a simultaneous-ring leg that must press 1 to take the call.
    confirm_prompt: str = "ivr/ivr-accept_reject_voicemail.wav"
    # A suspended tenant's calls (its DIDs, anything in its context) hang up with this cause (one of
    # fs_plugins.destinations.HANGUP_CAUSES), after the announcement (a sound, played as early media) if set.
    suspended_cause: str = "CALL_REJECTED"
    suspended_announcement: str = ""
    # FreeSWITCH's sounds folder and the voice (sound set) under it for each tenant language,
    # "language=folder" pairs; see fs_plugins/voices.py and freeswitch/conf/README.md.
    sounds_dir: str = DEFAULT_SOUNDS_DIR
    voices: str = DEFAULT_VOICES
    # FreeSWITCH keeps a served user this long (ms); every change also flushes it at once.
    directory_cache_ms: int = 300000
    # Kamailio in front of several FreeSWITCH servers (kamailio/README.md): host:port where FreeSWITCH
    # reaches it. Phones register there, so calls to a user go through it (users' dial-string); empty:
    # phones register at FreeSWITCH itself.
    sip_proxy: str = ""
    # FreeSWITCH's own event socket (inbound ESL): cache flushes, originate, channel events.
    fs_event_socket_host: str = "127.0.0.1"
    fs_event_socket_port: int = 8021
    fs_event_socket_password: str = "ClueCon"
    # Longest message the audio library accepts (upload or recording by phone), in seconds.
    audio_max_seconds: int = 600
    log_level: str = "INFO"
    # FreeSWITCH waits for xml_curl (5 s by default) and blocks a SIP worker meanwhile: a directory
    # or dialplan answer, and each database statement of an ESL session, comes within this (seconds),
    # the database answering or not (fs_plugins/dbpool.py).
    answer_deadline: float = 1.5
    # A CDR post that cannot be stored within this answers 503: mod_json_cdr retries, then keeps the file.
    cdr_deadline: float = 5.0
    # `serve`'s connections: at most this many at once (one per request or session using one),
    # each opened within database_connect_timeout (s); inside a deadline PostgreSQL cancels a
    # statement after database_statement_timeout_ms, keeping its connection.
    database_pool_size: int = 20
    database_connect_timeout: float = 2.0
    database_statement_timeout_ms: int = 500
    # A person's request (REST API, portal) may wait longer than FreeSWITCH's: every database
    # statement of it, a wait for a lock included, is answered within api_deadline seconds (on
    # PostgreSQL its statement timeout too, not database_statement_timeout_ms), else 503 with
    # Retry-After and nothing changed (docs/api.md).
    api_deadline: float = 10.0
    # A `serve` process with no FreeSWITCH-facing server (`--only api`: the REST API and the portal)
    # gives the CPU to FreeSWITCH's handlers (docs/operations.md, packaging/systemd): with
    # api_scheduling "idle" it runs under Linux's SCHED_IDLE, so the kernel runs it only when no
    # ordinary process wants that core and a waking handler takes the core back at once; "normal"
    # leaves the policy. Either way it lowers its niceness to api_nice (0-19; 0: leave it).
    api_scheduling: str = "idle"
    api_nice: int = 5
    # Under api_scheduling "idle", while such a process works it also gives the core back every
    # api_yield_every_us microseconds (fs_plugins/cpuyield.py: the kernel may otherwise leave it a
    # whole timer tick, 4 ms, with a handler waiting); 0: never.
    api_yield_every_us: int = 200
    log_format: str = "text"  # or "json": one JSON object a line (fs_plugins/logs.py)
    # /metrics on the web server answers only `Authorization: Bearer <metrics_token>`; empty: off.
    metrics_token: str = ""
    # The portal's own address as people reach it (https://pbx.example.net/): the links of password
    # reset e-mails. Empty: no reset link is mailed (a Host header is whatever the asker typed).
    portal_url: str = ""
    # Reverse proxies in front of the web server (addresses or networks, comma-separated): only from
    # these is X-Forwarded-For believed, for rate limits and the audit's "from where" (fs_plugins/forwarded.py).
    trusted_proxies: str = ""
    # Mail leaves through the machine's MTA, as mod_voicemail's does: `<sendmail_path> -t -i`.
    sendmail_path: str = "/usr/sbin/sendmail"
    mail_from: str = "Centralita <centralita@localhost>"
    # mod_voicemail's recordings (FreeSWITCH's storage-dir/voicemail): the portal plays messages
    # only when this folder is readable here (same machine or shared storage); nothing outside it.
    voicemail_files_dir: str = "/var/lib/freeswitch/storage/voicemail"
    # Custom call flows (docs/flows.md): a folder of *.py flow files (besides installed packages'),
    # and the seconds of its own time (not counting waits for the caller) a flow may take per call;
    # a flow computing this many CPU seconds without yielding (holding every other call) is stopped.
    flows_dir: str = ""
    flow_budget_seconds: float = 10.0
    flow_hold_seconds: float = 0.5

    # Call recording (docs/recording.md): the folder FreeSWITCH writes calls' recordings into and
    # Centralita serves them from (the same disk, or shared storage; empty: <data_dir>/recordings),
    # and the sound played before a recorded call when a tenant asks for the announcement.
    recordings_dir: str = ""
    # FreeSWITCH's stock English prompt "This call may be monitored or recorded for quality and
    # training purposes." (docs/phrase/phrase_en.xml, <misc>); any sound path or file FreeSWITCH plays.
    recording_announcement: str = "misc/call_monitoring_blurb.wav"
    # FreeSWITCH servers without Centralita's disk (docs/deploying.md, fs_plugins/mediaurls.py): the
    # http(s)://host[:port] they reach Centralita's web server at. Set, library audio is played and
    # recordings are uploaded over HTTP (mod_http_cache); empty: FreeSWITCH reads and writes the files.
    media_base_url: str = ""
    recording_sweep_seconds: float = 60.0  # new files are filed, expired ones deleted, this often

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'centralita.db'}"

    def esl_contact(self, port: int | None = None) -> str:
        """host:port FreeSWITCH's `socket` application connects to."""
        return f"{self.esl_advertise_host or self.esl_host}:{self.esl_port if port is None else port}"

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **_coerce_all(changes, source="override"))


def load_config(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = path or environ.get(ENV_PREFIX + "CONFIG")
    if path:
        values.update(_read_file(Path(path)))
    for field in fields(Config):
        raw = environ.get(ENV_PREFIX + field.name.upper())
        if raw is not None:
            values[field.name] = raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return Config(**_coerce_all(values, source="config"))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput("config", f"file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("config", f"{path} is not valid TOML: {exc}") from None
    return data.get("centralita", data)


def _coerce_all(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    known = {field.name: field for field in fields(Config)}
    result = {}
    for name, value in values.items():
        if name not in known:
            raise InvalidInput(name, f"unknown {source} setting")
        result[name] = _coerce(name, known[name].type, value)
    return result


def _coerce(name: str, type_name: str, value: Any) -> Any:
    if type_name == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"must be a whole number, got {value!r}") from None
        if number < 0:
            raise InvalidInput(name, "must not be negative")
        if name == "api_nice" and number > 19:
            raise InvalidInput(name, "must be a niceness from 0 to 19")
        return number
    if type_name == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"must be a number, got {value!r}") from None
        if number <= 0:
            raise InvalidInput(name, "must be positive")
        return number
    text = str(value)
    if name == "api_scheduling" and text not in API_SCHEDULING:
        raise InvalidInput(name, f"must be {' or '.join(API_SCHEDULING)}, got {text!r}")
    if name == "media_base_url":
        from fs_plugins.mediaurls import check_base_url

        return check_base_url(text)
    if name == "sip_proxy" and text:
        proxy = _HOST_PORT.fullmatch(text)
        if not proxy:
            raise InvalidInput(name, f"must be host or host:port of the SIP proxy (e.g. 10.0.0.5:5060), got {text!r}")
        if proxy["port"] and not 0 < int(proxy["port"]) < 65536:  # phones' files get it apart (ProxyPort)
            raise InvalidInput(name, f"the port must be 1 to 65535, got {text!r}")
    return text
