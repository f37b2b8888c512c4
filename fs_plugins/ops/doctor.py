"""`centralita doctor`: check an installation end to end and say what to fix.

Each check is a function returning `Finding`s: PASS, WARN (works, but not as it should in
production) or FAIL (something will not work), each with one line of advice. The command exits 1
when any check fails. The FreeSWITCH side is read two ways: its event socket (login, modules
loaded) and its configuration tree (`--freeswitch-conf`, /etc/freeswitch by default) for what the
socket does not tell: where mod_xml_curl and mod_json_cdr post, with which credentials, and
whether the carrier gateway of `outbound_dial_template` exists.
"""
from __future__ import annotations

import os
import re
import stat
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from fs_plugins import credentials
from fs_plugins import db as dbmod
from fs_plugins.callflows.catalog import load_catalog
from fs_plugins.fsapi import FreeswitchApi, FreeswitchUnavailable
from fs_plugins.models import database as bound_database
from fs_plugins.models.core import Tenant
from fs_plugins.ops.health import database_check, schema_check
from fs_plugins.voices import Voices

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
NEEDED_MODULES = ("mod_xml_curl", "mod_json_cdr", "mod_sofia", "mod_commands", "mod_dptools")


@dataclass(frozen=True)
class Finding:
    level: str
    what: str
    advice: str

    def line(self) -> str:
        return f"{self.level} {self.what}" + (f": {self.advice}" if self.advice else "")


def run(config, freeswitch_conf: str | os.PathLike) -> list[Finding]:
    """Every check; the database is opened without upgrading its schema (a doctor changes nothing)."""
    conf = Path(freeswitch_conf)
    findings = database(config)
    findings += freeswitch_socket(config)
    findings += xml_curl_binding(config, conf) + json_cdr_settings(config, conf) + gateway(config, conf)
    findings += sounds(config) + data_dir(config) + clock(config) + time_zones() + custom_flows(config)
    return findings


def database(config) -> list[Finding]:
    url = config.effective_database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:" and not Path(url[len("sqlite:///"):]).exists():
        return [Finding(FAIL, "database", f"{url[len('sqlite:///'):]} does not exist: run `centralita db upgrade` "
                        "(or set database_url / data_dir to where it is)")]
    try:
        db = dbmod.connect(config.effective_database_url, upgrade_schema=False)
    except Exception as exc:  # noqa: BLE001 - unreachable server, bad URL, unreadable file: all are advice
        return [Finding(FAIL, "database", f"cannot open it ({str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}); "
                        "check database_url and that the server runs")]
    reachable, reason = database_check(db)
    if not reachable.ok:
        return [Finding(FAIL, "database", f"not reachable ({reason}); check database_url and that the server runs")]
    schema, _ = schema_check(db)
    return [Finding(PASS, "database", reachable.detail),
            Finding(PASS if schema.ok else FAIL, "schema", schema.detail)]


def freeswitch_socket(config) -> list[Finding]:
    where = f"{config.fs_event_socket_host}:{config.fs_event_socket_port}"
    if not config.fs_event_socket_port:
        return [Finding(WARN, "FreeSWITCH event socket", "not configured (fs_event_socket_port = 0): changed users "
                        "stay cached in FreeSWITCH until directory_cache_ms, recording by phone is off")]
    try:
        replies = FreeswitchApi(config).api_many(["status"] + [f"module_exists {m}" for m in NEEDED_MODULES])
    except FreeswitchUnavailable as exc:
        return [Finding(FAIL, "FreeSWITCH event socket", f"{exc}; check fs_event_socket_host/port/password against "
                        "FreeSWITCH's autoload_configs/event_socket.conf.xml")]
    found = [Finding(PASS, "FreeSWITCH event socket", f"logged in at {where}")]
    for module, reply in zip(NEEDED_MODULES, replies[1:]):
        if reply.strip() == "true":
            found.append(Finding(PASS, f"FreeSWITCH module {module}", "loaded"))
        else:
            found.append(Finding(FAIL, f"FreeSWITCH module {module}", f"not loaded: add <load module=\"{module}\"/> "
                                 "to autoload_configs/modules.conf.xml and restart FreeSWITCH"))
    return found


def _params(path: Path, xpath: str) -> dict[str, str] | None:
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError):
        return None
    return {p.get("name"): p.get("value", "") for p in tree.xpath(xpath)}


def _same_address(url: str, host: str, port: int, path: str) -> bool:
    parts = urlsplit(url)
    loopback = {"127.0.0.1", "localhost", "::1"}
    # Centralita on a wildcard or loopback address is reached by a FreeSWITCH on the same machine at loopback.
    hosts_match = parts.hostname == host or (parts.hostname in loopback and host in loopback | {"0.0.0.0", "::"})
    return hosts_match and (parts.port or 80) == port and parts.path.rstrip("/") == path


def _preprocessor_variables(conf: Path) -> dict[str, str]:
    """What FreeSWITCH's preprocessor `set`s anywhere in the conf tree ($${name} → value)."""
    found = {}
    for path in sorted(conf.rglob("*.xml")):
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for name, value in _SET.findall(text):
            found[name] = value
    return found


_SET = re.compile(r'<X-PRE-PROCESS\s+cmd="set"\s+data="([A-Za-z0-9_]+)=([^"]*)"')
_VARIABLE = re.compile(r"\$\$\{([A-Za-z0-9_]+)\}")


def centralita_credentials(config) -> dict[str, str] | None:
    """The credentials serve will require: the settings, else the generated file (never created
    here: a doctor changes nothing); None when serve has not generated them yet."""
    if all(getattr(config, name) for name in credentials.FIELDS):
        return {name: getattr(config, name) for name in credentials.FIELDS}
    path = credentials.path_in(config)
    if not path.exists():
        return None
    stored = credentials.load_or_create(path)
    return {name: getattr(config, name) or getattr(stored, name) for name in credentials.FIELDS}


def _credentials(name: str, given: str | None, expected: dict | None, setting: str, param: str,
                 conf: Path) -> Finding:
    fix = f"`centralita credentials freeswitch > {conf}/centralita_credentials.xml`, then reloadxml"
    if expected is None:
        return Finding(WARN, name, "not generated yet: `centralita serve` creates them on first start "
                       f"(or set {setting}_user/{setting}_password); then {fix}")
    if not given:
        return Finding(FAIL, name, f"Centralita requires credentials but FreeSWITCH sends none: add "
                       f"<param name=\"{param}\" value=\"$${{...}}\"/> as freeswitch/conf/ ships it")
    variables = _preprocessor_variables(conf)
    unset = [v for v in _VARIABLE.findall(given) if v not in variables]
    if unset:
        return Finding(FAIL, name, f"FreeSWITCH's {param} uses $${{{unset[0]}}}, which nothing in {conf} sets: {fix}")
    sent = _VARIABLE.sub(lambda m: variables[m.group(1)], given)
    if sent != f"{expected[setting + '_user']}:{expected[setting + '_password']}":
        return Finding(FAIL, name, f"what FreeSWITCH sends ({param}) is not what Centralita expects: {fix}")
    return Finding(PASS, name, "FreeSWITCH sends the credentials Centralita expects")


def xml_curl_binding(config, conf: Path) -> list[Finding]:
    path = conf / "autoload_configs" / "xml_curl.conf.xml"
    params = _params(path, "//binding/param")
    if params is None:
        return [Finding(FAIL, "mod_xml_curl configuration", f"{path} is missing or not XML: copy "
                        "freeswitch/conf/autoload_configs/xml_curl.conf.xml there")]
    url = params.get("gateway-url", "")
    expected = f"http://{config.xml_curl_host}:{config.xml_curl_port}/xml_curl"
    address = (Finding(PASS, "mod_xml_curl URL", url) if _same_address(url, config.xml_curl_host,
                                                                         config.xml_curl_port, "/xml_curl")
               else Finding(FAIL, "mod_xml_curl URL", f"FreeSWITCH posts to {url or '(nothing)'}, Centralita listens "
                            f"at {expected}: change gateway-url in {path.name} or xml_curl_host/xml_curl_port"))
    return [address, _credentials("mod_xml_curl credentials", params.get("gateway-credentials"),
                                  centralita_credentials(config), "xml_curl", "gateway-credentials", conf)]


def json_cdr_settings(config, conf: Path) -> list[Finding]:
    path = conf / "autoload_configs" / "json_cdr.conf.xml"
    params = _params(path, "//settings/param")
    if params is None:
        return [Finding(FAIL, "mod_json_cdr configuration", f"{path} is missing or not XML: copy "
                        "freeswitch/conf/autoload_configs/json_cdr.conf.xml there")]
    url = params.get("url", "")
    address = (Finding(PASS, "mod_json_cdr URL", url) if _same_address(url, config.web_host, config.web_port, "/cdr")
               else Finding(FAIL, "mod_json_cdr URL", f"FreeSWITCH posts CDRs to {url or '(nothing)'}, Centralita "
                            f"takes them at http://{config.web_host}:{config.web_port}/cdr"))
    return [address, _credentials("mod_json_cdr credentials", params.get("cred"), centralita_credentials(config),
                                  "cdr", "cred", conf)]


def gateway(config, conf: Path) -> list[Finding]:
    found = re.match(r"sofia/gateway/([^/]+)/", config.outbound_dial_template)
    if not found:
        return [Finding(PASS, "outbound gateway", f"{config.outbound_dial_template} does not use a sofia gateway")]
    name = found.group(1)
    for path in sorted((conf / "sip_profiles").rglob("*.xml")):
        try:
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        if tree.xpath("//gateway[@name=$name]", name=name):
            return [Finding(PASS, "outbound gateway", f"{name!r} in {path.relative_to(conf)}")]
    return [Finding(FAIL, "outbound gateway", f"outbound_dial_template uses gateway {name!r} but no "
                    f"sip_profiles/*.xml defines it: calls to external numbers will fail")]


def _tenants_use(column: str) -> set[str]:
    """The distinct values of a tenant column; none when the database cannot be read (reported above)."""
    try:
        return {value for (value,) in Tenant.select(getattr(Tenant, column)).distinct().tuples()}
    except Exception:  # noqa: BLE001 - no database, no schema: the database check says so
        return set()


def sounds(config) -> list[Finding]:
    voices = Voices.from_config(config)
    languages = sorted(_tenants_use("language") | {"en"})
    found = []
    for language in languages:
        voice = voices.for_language(language)
        if not Path(voice.prefix).is_dir():
            found.append(Finding(FAIL, f"sounds for {language!r}", f"{voice.prefix} does not exist: install the "
                                 "voice's sound package or change sounds_dir/voices"))
        elif not voices.has(language):
            found.append(Finding(WARN, f"sounds for {language!r}", f"no voice configured: callers hear "
                                 f"{voice.prefix}; add {language}=<folder> to voices"))
        else:
            found.append(Finding(PASS, f"sounds for {language!r}", voice.prefix))
    return found


def custom_flows(config) -> list[Finding]:
    """Custom call flows that failed to load: calls routed to them go to their fallback."""
    catalog = load_catalog(config.flows_dir)
    found = [Finding(FAIL, f"custom flow {problem.origin}", f"not loaded ({problem.error}): calls to its routes go "
                     "to their fallback; fix it and restart serve") for problem in catalog.problems]
    if catalog.flows and not found:
        found.append(Finding(PASS, "custom flows", ", ".join(catalog.names())))
    return found


def data_dir(config) -> list[Finding]:
    folder = Path(config.data_dir).resolve()
    if not folder.is_dir():
        return [Finding(FAIL, "data_dir", f"{folder} does not exist: create it, owned by the user Centralita runs as")]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [Finding(FAIL, "data_dir", f"{folder} is not writable by this user: the database and audio live here")]
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o007:
        return [Finding(WARN, "data_dir", f"{folder} is open to every user (mode {mode:o}): chmod o-rwx, it holds "
                        "the database and recordings")]
    return [Finding(PASS, "data_dir", f"{folder} (mode {mode:o})")]


def clock(config) -> list[Finding]:
    """Against the database server's clock (PostgreSQL): CDR times, schedules and audit entries mix both."""
    if not config.effective_database_url.startswith(("postgres://", "postgresql://")):
        return [Finding(PASS, "clock", "SQLite: the database shares this machine's clock")]
    try:
        (skew,) = bound_database.execute_sql("SELECT EXTRACT(EPOCH FROM clock_timestamp()) - %s", (time.time(),)).fetchone()
    except Exception as exc:  # the database check reports an unreachable server
        return [Finding(WARN, "clock", f"could not read the database server's clock: {exc}")]
    if abs(float(skew)) > 2:
        return [Finding(WARN, "clock", f"the database server's clock is {float(skew):+.1f} s from this machine's: "
                        "run NTP (systemd-timesyncd or chrony) on both")]
    return [Finding(PASS, "clock", f"within {abs(float(skew)):.2f} s of the database server's")]


def time_zones() -> list[Finding]:
    zones = sorted(_tenants_use("timezone") | {"Europe/Madrid"})
    missing = []
    for zone in zones:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            missing.append(zone)
    if missing:
        return [Finding(FAIL, "time-zone data", f"no data for {', '.join(missing)}: install tzdata (pip or the system's)")]
    return [Finding(PASS, "time-zone data", f"the tenants' {len(zones)} time zone(s) load")]
