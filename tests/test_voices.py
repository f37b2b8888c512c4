"""A tenant's calls are spoken in the tenant's language: the dialplan sets FreeSWITCH's language
and voice, mod_voicemail and the flows' prompts follow it, numbers are said by mod_say_<language>."""
from __future__ import annotations

import pytest
from lxml import etree

from fs_plugins.callhandling import app as callhandling
from fs_plugins.commands.simulate import caller_from_args, run_simulation
from fs_plugins.config import Config, load_config
from fs_plugins.errors import InvalidInput
from fs_plugins.sim.script import CallerScript
from fs_plugins.voices import Voices
from tests import provision
from tests.test_xml_curl import actions, dialplan_fields, post
from xml_curl.app import make_app

SPANISH = "/usr/share/freeswitch/sounds/es/ar/mario"
ENGLISH = "/usr/share/freeswitch/sounds/en/us/callie"
VOICE_XPATH = "//action[@application='set' and starts-with(@data, '{}=')]/@data"


@pytest.fixture
def casa(db):
    tenant = provision.tenant("Casa", "casa.example", "Europe/Madrid", "es", "ES")
    provision.user(tenant, "1001", "Ana", password="casa-1001-pw")
    provision.user(tenant, "1002", "Luis", password="casa-1002-pw")
    provision.number(tenant, "+34910000001", "voicemail:1002")
    return tenant


def fetch(db, context="casa.example", destination="1002", config=None, **extra):
    fields = dialplan_fields(context=context, destination=destination, **extra)
    return post(make_app(config or Config(), db), fields)


def variable(doc, name: str) -> list[str]:
    return [data.split("=", 1)[1] for data in doc.xpath(VOICE_XPATH.format(name))]


@pytest.mark.parametrize("language, expected", [
    ("es", ("es", SPANISH)), ("es-ES", ("es", SPANISH)), ("ES_es", ("es", SPANISH)),
    ("en", ("en", ENGLISH)), ("en-GB", ("en", ENGLISH)),
    ("ca", ("en", ENGLISH)), ("", ("en", ENGLISH)),  # no voice for it: English, never a missing folder
])
def test_a_language_gets_its_voice_or_the_english_one(language, expected):
    voice = Voices().for_language(language)
    assert (voice.language, voice.prefix) == expected


def test_voices_are_configurable_per_language_under_the_sounds_folder():
    voices = Voices("/usr/local/freeswitch/sounds", "en=en/us/allison,ca=ca/es/marta")
    assert voices.for_language("ca-ES").prefix == "/usr/local/freeswitch/sounds/ca/es/marta"
    assert voices.for_language("es").language == "en"  # not configured here


@pytest.mark.parametrize("sounds_dir, voices, field", [
    ("sounds", "en=en/us/callie", "sounds_dir"),
    ("/usr/share/../../etc", "en=en/us/callie", "sounds_dir"),
    ("/usr/share/freeswitch/sounds", "es=es/ar/mario", "voices"),  # nothing to fall back to
    ("/usr/share/freeswitch/sounds", "en=../../etc", "voices"),
    ("/usr/share/freeswitch/sounds", "en=en/us/callie,spanish", "voices"),
    ("/usr/share/freeswitch/sounds", "en=en/us/callie,es=es/ar/${x}", "voices"),
])
def test_bad_voice_settings_are_refused_naming_the_setting(sounds_dir, voices, field):
    with pytest.raises(InvalidInput) as refused:
        Voices(sounds_dir, voices)
    assert refused.value.field == field


def test_the_handler_refuses_to_start_with_bad_voice_settings(db):
    config = load_config(environ={"CENTRALITA_VOICES": "es=es/ar/mario"})
    with pytest.raises(InvalidInput) as refused:
        make_app(config, db)
    assert refused.value.field == "voices"


def test_a_call_entering_a_spanish_tenant_gets_its_language_voice_and_enforced_prefix(db, casa):
    doc = fetch(db)
    assert variable(doc, "default_language") == ["es"]
    assert variable(doc, "sound_prefix") == [SPANISH]
    assert variable(doc, "sound_prefix_enforced") == ["true"]
    first = [a.get("data") for a in doc.xpath("//action")][:4]
    assert first == ["default_language=es", f"sound_prefix={SPANISH}", "sound_prefix_enforced=true",
                     f"pbx_voice={SPANISH}"]


def test_mod_voicemail_runs_after_the_language_is_set(db, casa):
    steps = actions(fetch(db, destination="pbx-voicemail-" + str(casa.users.where().first().id)))
    names = [data.split("=")[0] for application, data in steps if application == "set"]
    assert "default_language" in names
    assert steps.index(("set", "default_language=es")) < [a for a, _ in steps].index("voicemail")


def test_later_fetches_of_the_same_call_do_not_set_the_voice_again(db, casa):
    doc = fetch(db, variable_pbx_voice=SPANISH)
    assert variable(doc, "sound_prefix") == [] and variable(doc, "default_language") == []
    assert variable(doc, "pbx_voice") == []  # nor the marker (review of lane b1: nothing checked it)


def test_a_hostile_voice_marker_is_never_echoed_and_the_tenants_voice_is_set(db, casa):
    hostile = "/x/../${y}$${hostname}\r\nz|w"
    doc = fetch(db, variable_pbx_voice=hostile)
    assert variable(doc, "sound_prefix") == [SPANISH] and variable(doc, "pbx_voice") == [SPANISH]
    answer = etree.tostring(doc, encoding="unicode")
    assert "${y}" not in answer and "$${hostname}" not in answer and "/x/.." not in answer


def test_a_call_marked_with_another_voice_gets_its_tenants_voice_again(db, casa):
    doc = fetch(db, variable_pbx_voice=ENGLISH, variable_sound_prefix=ENGLISH)
    assert variable(doc, "sound_prefix") == [SPANISH] and variable(doc, "pbx_voice") == [SPANISH]


def test_the_voice_is_read_back_from_the_marker_not_from_sound_prefix(db, casa):
    """The marker is found in the one pass over the pbx_ variables; sound_prefix is never searched for
    (absent from most fetches, a search of the whole body): a channel whose sound_prefix was set
    elsewhere gets the tenant's voice and the marker."""
    doc = fetch(db, variable_sound_prefix=SPANISH)
    assert variable(doc, "sound_prefix") == [SPANISH] and variable(doc, "pbx_voice") == [SPANISH]


def test_a_did_call_gets_the_voice_of_the_tenant_it_enters(db, casa):
    assert variable(fetch(db, context="public", destination="+34910000001"), "sound_prefix") == []
    assert variable(fetch(db, destination="1002"), "default_language") == ["es"]


def test_a_configured_voice_is_used_by_the_dialplan(db, casa):
    config = Config(sounds_dir="/usr/local/freeswitch/sounds", voices="en=en/us/callie,es=es/es/lucia")
    assert variable(fetch(db, config=config), "sound_prefix") == ["/usr/local/freeswitch/sounds/es/es/lucia"]


def test_the_simultaneous_ring_confirm_prompt_plays_in_the_tenants_voice_on_the_answering_leg(db, casa):
    callhandling.add_ring(*provision.who(casa.users.where().first()), "number:600123456", confirm=True)
    bridge = fetch(db, destination="1001").xpath("//action[@application='bridge']/@data")[0]
    assert f"group_confirm_file={SPANISH}/ivr/ivr-accept_reject_voicemail.wav" in bridge


def test_a_queued_caller_of_a_spanish_tenant_hears_the_position_said_in_spanish(db, casa):
    provision.group(casa, "Soporte", kind="advanced", max_wait="20", short_number="600", overflow_destination="hangup")
    config = Config(fs_event_socket_port=0)
    caller = caller_from_args("1001@casa.example", db)
    simulation = run_simulation(config, db, caller, "600", CallerScript())
    assert f"set sound_prefix={SPANISH}" in simulation.steps[0]
    played = simulation.sessions[0].played
    assert "ivr/ivr-you_are_number.wav" in played
    assert played[played.index("ivr/ivr-you_are_number.wav") + 1] == "say es number pronounced 1"


def test_the_cli_shows_the_voice_and_warns_when_a_language_has_none(db_url, capsys, monkeypatch):
    from fs_plugins.cli import main

    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    assert main(["--database", db_url, "tenant", "add", "casa.example", "--name", "Casa"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["--database", db_url, "tenant", "show", "casa.example"]) == 0
    assert f"es (FreeSWITCH language es, voice {SPANISH})" in capsys.readouterr().out
    assert main(["--database", db_url, "tenant", "set", "casa.example", "--language", "ca"]) == 0
    err = capsys.readouterr().err
    assert "no voice for language 'ca'" in err and "spoken in English" in err
