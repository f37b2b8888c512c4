"""The FreeSWITCH configuration in freeswitch/conf/ agrees with Centralita's server defaults and,
should Centralita's handler fail, authenticates nobody and routes nothing."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from fs_plugins.config import Config

CONF = Path(__file__).resolve().parent.parent / "freeswitch" / "conf"
XML_FILES = sorted(CONF.rglob("*.xml"))
DEFAULTS = Config()
PASSWORD_PLACEHOLDER = "ClueCon"
# Params whose value is a secret, by the names FreeSWITCH's modules parse.
SECRET_PARAMS = {"password", "gateway-credentials", "cred", "ssl-key-password", "tls-passphrase"}
ROUTING_APPS = {"bridge", "transfer", "socket", "execute_extension", "lua", "javascript",
                "system", "bgsystem", "spawn", "park", "answer", "voicemail", "ivr"}


def parse(relative: str) -> etree._ElementTree:
    return etree.parse(str(CONF / relative))


def params(tree: etree._ElementTree) -> dict[str, etree._Element]:
    found = {}
    for param in tree.getroot().iter("param"):
        assert param.get("name") not in found, f"param {param.get('name')} set twice"
        found[param.get("name")] = param
    return found


def test_every_shipped_xml_file_is_well_formed():
    assert len(XML_FILES) >= 8
    for path in XML_FILES:
        etree.parse(str(path))  # raises on malformed XML


def test_every_file_is_explained_in_the_readme():
    readme = (CONF / "README.md").read_text()
    for path in XML_FILES:
        assert path.name in readme, f"{path.relative_to(CONF)} is not described in README.md"


def test_xml_curl_posts_directory_and_dialplan_to_the_handler_default_address():
    binding = params(parse("autoload_configs/xml_curl.conf.xml"))
    url = urlsplit(binding["gateway-url"].get("value"))
    assert (url.scheme, url.hostname, url.port, url.path) == (
        "http", DEFAULTS.xml_curl_host, DEFAULTS.xml_curl_port, "/xml_curl")
    assert set(binding["gateway-url"].get("bindings").split("|")) == {"directory", "dialplan"}


def test_xml_curl_has_a_timeout_and_never_sends_expect_100_continue():
    binding = params(parse("autoload_configs/xml_curl.conf.xml"))
    assert 1 <= int(binding["timeout"].get("value")) <= 10
    assert binding["disable-100-continue"].get("value") == "true"


def test_json_cdr_posts_plain_json_for_every_leg_to_the_cdr_receiver_default_address():
    cdr = params(parse("autoload_configs/json_cdr.conf.xml"))
    url = urlsplit(cdr["url"].get("value"))
    assert (url.scheme, url.hostname, url.port, url.path) == (
        "http", DEFAULTS.web_host, DEFAULTS.web_port, "/cdr")
    values = {name: cdr[name].get("value") for name in
              ("encode", "encode-values", "log-b-leg", "prefix-a-leg")}
    assert values == {"encode": "false", "encode-values": "false",
                      "log-b-leg": "true", "prefix-a-leg": "false"}


def test_json_cdr_retries_with_a_delay_then_writes_failed_posts_to_an_error_folder():
    cdr = params(parse("autoload_configs/json_cdr.conf.xml"))
    assert int(cdr["retries"].get("value")) >= 1
    assert int(cdr["delay"].get("value")) >= 1
    assert cdr["err-log-dir"].get("value")
    assert "centralita cdr sweep" in (CONF / "README.md").read_text()


def test_event_socket_listens_on_loopback_only_at_the_address_centralita_dials():
    socket = params(parse("autoload_configs/event_socket.conf.xml"))
    assert socket["listen-ip"].get("value") == DEFAULTS.fs_event_socket_host == "127.0.0.1"
    assert int(socket["listen-port"].get("value")) == DEFAULTS.fs_event_socket_port
    assert socket["apply-inbound-acl"].get("value") == "loopback.auto"


def test_event_socket_password_is_the_documented_placeholder_matching_centralitas_default():
    socket = params(parse("autoload_configs/event_socket.conf.xml"))
    assert socket["password"].get("value") == PASSWORD_PLACEHOLDER == DEFAULTS.fs_event_socket_password
    readme = (CONF / "README.md").read_text()
    assert "CENTRALITA_FS_EVENT_SOCKET_PASSWORD" in readme and "placeholder" in readme


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: str(p.relative_to(CONF)))
def test_no_file_holds_a_secret_other_than_the_placeholder(path):
    for param in etree.parse(str(path)).getroot().iter("param"):
        if param.get("name") in SECRET_PARAMS:
            assert param.get("value") in ("", PASSWORD_PLACEHOLDER, *CREDENTIAL_REFERENCES.values()), (
                f"{param.get('name')} in {path.name} holds a real secret")


CREDENTIAL_REFERENCES = {"xml_curl.conf.xml": "$${centralita_xml_curl_credentials}",
                         "json_cdr.conf.xml": "$${centralita_cdr_credentials}"}


@pytest.mark.parametrize("name, parameter", [("xml_curl.conf.xml", "gateway-credentials"),
                                             ("json_cdr.conf.xml", "cred")])
def test_xml_curl_and_json_cdr_send_the_credentials_the_generated_include_sets(name, parameter, tmp_path):
    from fs_plugins import credentials

    text = (CONF / "autoload_configs" / name).read_text()
    assert '<X-PRE-PROCESS cmd="include" data="$${conf_dir}/centralita_credentials.xml"/>' in text
    assert params(parse(f"autoload_configs/{name}"))[parameter].get("value") == CREDENTIAL_REFERENCES[name]
    kept = credentials.load_or_create(tmp_path / "credentials.toml")
    include = etree.fromstring(credentials.freeswitch_include(kept).encode())
    assigned = dict(p.get("data").split("=", 1) for p in include.iter("X-PRE-PROCESS"))
    variable = CREDENTIAL_REFERENCES[name][3:-1]
    user, password = (kept.xml_curl_user, kept.xml_curl_password) if "xml_curl" in name else (
        kept.cdr_user, kept.cdr_password)
    assert assigned[variable] == f"{user}:{password}" and len(password) >= 32


def test_static_directory_has_no_domain_and_no_user():
    for path in (CONF / "directory").rglob("*.xml"):
        root = etree.parse(str(path)).getroot()
        assert not list(root.iter("domain", "user", "users", "groups")), f"{path.name} defines users"


def test_static_dialplan_only_logs_and_hangs_up_in_every_context():
    contexts = []
    for path in (CONF / "dialplan").rglob("*.xml"):
        for context in etree.parse(str(path)).getroot().iter("context"):
            contexts.append(context.get("name"))
            actions = [a.get("application") for a in context.iter("action", "anti-action")]
            assert not ROUTING_APPS & set(actions), f"context {context.get('name')} routes calls"
            assert actions and actions[-1] == "hangup"
            assert set(actions) <= {"log", "hangup"}
    assert {"public", "default"} <= set(contexts)


def test_nothing_static_points_at_the_outbound_esl_app():
    esl = f"{DEFAULTS.esl_host}:{DEFAULTS.esl_port}"
    for path in XML_FILES:
        assert esl not in path.read_text(), f"{path.name} mentions the ESL app"


def test_internal_profile_authenticates_calls_and_keeps_the_tenant_domain():
    profile = params(parse("sip_profiles/internal.xml"))
    assert profile["auth-calls"].get("value") == "true"
    assert profile["context"].get("value") == "public"
    forced = {"force-register-domain", "force-subscription-domain", "force-register-db-domain"}
    assert not forced & set(profile)
    assert "accept-blind-reg" not in profile and "accept-blind-auth" not in profile


def test_a_subscription_is_challenged_in_the_realm_of_the_user_it_watches():
    # sofia_reg_handle_register: realm = to_host for auto_to (from_host for auto_from, where a phone
    # of one tenant authenticates in its own realm and may then watch another tenant's user);
    # subscriptions are authenticated unless disable-auth-subscriptions is set
    profile = params(parse("sip_profiles/internal.xml"))
    assert profile["challenge-realm"].get("value") == "auto_to"
    assert "disable-auth-subscriptions" not in profile and "auth-subscriptions" not in profile
    assert profile["manage-presence"].get("value") == "true"


def test_api_expansion_is_left_on_because_user_dial_strings_call_sofia_contact():
    """Turning it off would break `bridge user/…` (see README "Hardening"); nothing ships it off."""
    from xml_curl.documents import DIAL_STRING

    assert "${sofia_contact(" in DIAL_STRING
    for path in CONF.rglob("*.xml"):
        for param in etree.parse(str(path)).getroot().iter("param"):
            assert param.get("name") != "api-expansion" or param.get("value") != "false", path


def test_modules_snippet_loads_what_centralita_needs():
    modules = {m.get("module") for m in parse("snippets/modules.conf.modules.xml").getroot().iter("load")}
    assert {"mod_xml_curl", "mod_json_cdr", "mod_event_socket", "mod_voicemail", "mod_commands"} <= modules
    assert "mod_xml_rpc" not in modules


def test_snippets_are_not_whole_configurations_that_would_clash_in_autoload_configs():
    for path in (CONF / "snippets").glob("*.xml"):
        assert etree.parse(str(path)).getroot().tag != "configuration"
    for path in (CONF / "autoload_configs").glob("*.xml"):
        assert etree.parse(str(path)).getroot().tag == "configuration"


# -- install guide: what a new operator runs and edits (freeswitch/conf/README.md) --------------

README = (CONF / "README.md").read_text()


def install_block() -> list[str]:
    """The shell lines of the first ```sh block under "Install"."""
    section = README[README.index("## Install"):]
    block = section[section.index("```sh") + len("```sh"):section.index("```", section.index("```sh") + 5)]
    return [line.split("#")[0].rstrip() for line in block.replace("\\\n", " ").strip().splitlines()]


def test_the_install_commands_copy_every_shipped_file_into_a_stock_configuration(tmp_path):
    """Run the install block as written, minus apt-get and sudo, against a stock-shaped /etc/freeswitch."""
    import subprocess

    etc = tmp_path / "etc" / "freeswitch"
    for folder in ("autoload_configs", "sip_profiles/external", "directory/default", "dialplan/default"):
        (etc / folder).mkdir(parents=True)
    (etc / "dialplan" / "default" / "00_stock.xml").write_text("<include/>")
    lines = [line.replace("sudo ", "").replace("C=/etc/freeswitch", f"C={etc}") for line in install_block()
             if line and not line.startswith("sudo apt-get")]
    subprocess.run(["bash", "-euc", "\n".join(lines)], cwd=CONF.parent.parent, check=True)
    for path in XML_FILES:
        relative = path.relative_to(CONF)
        if relative.parts[0] not in ("snippets", "tuning"):  # snippets are merged by hand; tuning is optional
            assert (etc / relative).read_bytes() == path.read_bytes(), f"{relative} is not installed"
    assert not (etc / "dialplan" / "default").exists(), "the stock dialplan must be gone"
    assert (tmp_path / "etc" / "freeswitch.before-centralita").is_dir()


def test_the_guide_installs_the_modules_sounds_and_languages_centralita_uses():
    from fs_plugins.voices import Voices

    apt = next(line for line in install_block() if line.startswith("sudo apt-get install"))
    packages = set(apt.split()[3:])
    assert {"freeswitch-mod-xml-curl", "freeswitch-mod-json-cdr", "freeswitch-mod-say-es",
            "freeswitch-lang-es"} <= packages
    voices = Voices()
    modules = {m.get("module") for m in parse("snippets/modules.conf.modules.xml").getroot().iter("load")}
    for language, folder in voices.folders.items():
        package = "freeswitch-sounds-" + folder.replace("/", "-").lower()
        assert package in packages and f"`{package}` → `{folder}`" in README, language
        assert f"mod_say_{language}" in modules
    assert Config().sounds_dir == "/usr/share/freeswitch/sounds" and "`sounds_dir`" in README


def test_the_guide_says_exactly_which_modules_conf_line_to_uncomment_or_add():
    # The stock lines, as in conf/vanilla/autoload_configs/modules.conf.xml.
    assert 'uncomment `<!-- <load module="mod_xml_curl"/> -->`' in README
    assert 'add\n  `<load module="mod_json_cdr"/>` after `<load module="mod_event_socket"/>`' in README
    assert '`<load module="mod_say_es"/>` after\n  `<load module="mod_say_en"/>`' in README


def test_the_carrier_gateway_is_the_one_the_outbound_dial_template_names():
    gateway = parse("sip_profiles/external/carrier.xml").getroot().find("gateway")
    assert DEFAULTS.outbound_dial_template.startswith(f"sofia/gateway/{gateway.get('name')}/")
    settings = {p.get("name"): p.get("value") for p in gateway.iter("param")}
    assert settings["proxy"].endswith(".example")  # a placeholder the operator must change
    assert settings["register"] == "false" and "username" not in settings and "password" not in settings
    assert "sip_profiles/external/carrier.xml" in README and "sofia status gateway carrier" in README


def test_the_acl_file_builds_no_list_from_the_directory_and_denies_unknown_carriers():
    lists = {lst.get("name"): lst for lst in parse("autoload_configs/acl.conf.xml").getroot().iter("list")}
    assert lists["domains"].get("default") == "deny" and not list(lists["domains"])
    assert lists["carriers"].get("default") == "deny"
    assert [n.get("cidr") for n in lists["carriers"]] == ["192.0.2.0/24"]  # documentation range: nobody
    assert not any(node.get("domain") for lst in lists.values() for node in lst)
    assert "Cannot locate domain 127.0.0.1" in README


def test_the_guide_restricts_the_external_profile_to_the_carriers():
    assert '<param name="apply-inbound-acl" value="carriers"/>' in README
    assert "port 5080" in README and "context `public`" in README


def test_the_guide_says_cached_users_keep_registering_until_their_entry_expires():
    assert "`directory_cache_ms`" in README and "xml_flush_cache id EXT DOMAIN" in README
    assert "once\nFreeSWITCH has no cached entry for the user" in README

TUNING = CONF / "tuning"


def _in_memory_name(dsn: str) -> str:
    """The database name of an in-memory, shared-cache SQLite DSN as FreeSWITCH parses it."""
    assert dsn.startswith("sqlite://memory://file:"), dsn  # src/switch_core_sqldb.c: sqlite://memory://<uri>
    name, _, query = dsn[len("sqlite://memory://file:"):].partition("?")
    # Without cache=shared every handle FreeSWITCH opens (one per thread) would get its own empty database.
    assert set(query.split("&")) == {"mode=memory", "cache=shared"}, dsn
    return name


def test_tuning_puts_the_core_database_in_one_in_memory_database_every_handle_shares():
    settings = params(parse("tuning/switch.conf.settings.xml"))
    assert set(settings) == {"core-db-dsn"}
    assert _in_memory_name(settings["core-db-dsn"].get("value")) == "core"


def test_tuning_gives_each_sip_profile_an_in_memory_database_of_its_own():
    profiles = parse("tuning/sofia.profile.settings.xml").getroot().findall("profile")
    names = {}
    for profile in profiles:
        [param] = profile.iter("param")
        assert param.get("name") == "odbc-dsn"
        names[profile.get("name")] = _in_memory_name(param.get("value"))
    assert set(names) == {"internal", "external"}
    assert len(set(names.values()) | {"core"}) == 3  # no two share a database


def test_tuning_is_optional_and_cannot_be_loaded_by_accident():
    shipped_profile = params(parse("sip_profiles/internal.xml"))
    assert "odbc-dsn" not in shipped_profile and "dbname" not in shipped_profile
    shipped = {p.name for p in CONF.rglob("*.xml") if p.parent != TUNING}
    for path in TUNING.glob("*.xml"):
        assert path.name not in shipped
        # A copy into autoload_configs/ or sip_profiles/ would not be taken for a configuration or a profile.
        assert etree.parse(str(path)).getroot().tag == "include"


def test_every_tuning_setting_says_what_it_trades_away_and_cites_freeswitch():
    readme = (TUNING / "README.md").read_text()
    sections = readme.split("\n## ")[1:]
    for path in TUNING.glob("*.xml"):
        assert path.name in readme
        for param in etree.parse(str(path)).getroot().iter("param"):
            [section] = [s for s in sections if f"`{param.get('name')}`" in s.splitlines()[0]]
            assert "What it trades away" in section and "src/" in section, param.get("name")
