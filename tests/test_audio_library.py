"""The tenant audio library: validated uploads stored as playable WAVs, nothing left behind on
refusal, lookup at call time, ``message:`` destinations and removal while in use."""
from __future__ import annotations

import pytest
import soundfile

from fs_plugins import references
from fs_plugins.audio import library, resolve_audio
from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Number, Tenant
from fs_plugins.models.audio import AudioFile
from tests.audio_helpers import sine


@pytest.fixture
def config(tmp_path):
    return Config(data_dir=str(tmp_path / "data"), audio_max_seconds=5)


@pytest.fixture
def tenant(db):
    return Tenant.create(name="Acme", domain="acme.example")


@pytest.fixture
def other(db):
    return Tenant.create(name="Other", domain="other.example")


def stored_files(config):
    folder = library.tenant_folder(config, Tenant(domain="acme.example"))
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_cd_quality_stereo_wav_is_stored_as_16_khz_mono_16_bit(config, tenant, tmp_path):
    row = library.upload(config, tenant, "Bienvenida", sine(tmp_path / "in.wav", 1.5, 44100, channels=2))
    info = soundfile.info(row.path)
    assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")
    assert row.path.startswith(str(library.tenant_folder(config, tenant)))
    assert (row.name, row.duration_ms, row.sample_rate, row.original_format) == ("Bienvenida", 1500, 16000, "wav")


def test_a_narrowband_file_stays_at_8_khz(config, tenant, tmp_path):
    row = library.upload(config, tenant, "Tel", sine(tmp_path / "in.wav", 1, 8000))
    assert soundfile.info(row.path).samplerate == 8000 and row.duration_ms == 1000


@pytest.mark.parametrize("kind", ["mp3", "ogg", "flac"])
def test_mp3_ogg_and_flac_files_are_accepted(config, tenant, tmp_path, kind):
    row = library.upload(config, tenant, kind, sine(tmp_path / f"in.{kind}", 1, 22050, kind=kind))
    info = soundfile.info(row.path)
    assert (info.format, info.samplerate, row.original_format) == ("WAV", 16000, kind)
    assert 900 <= row.duration_ms <= 1200  # MP3 frames pad the end a little


def refused(config, tenant, path, name="Msg"):
    with pytest.raises(InvalidInput) as error:
        library.upload(config, tenant, name, path)
    assert AudioFile.select().count() == 0 and stored_files(config) == []
    return error.value


def test_a_file_that_is_not_audio_is_refused_naming_the_field_and_nothing_is_stored(config, tenant, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not a sound\n" * 50)
    error = refused(config, tenant, path)
    assert error.field == "file" and "not an audio file" in error.message


def test_an_empty_file_is_refused(config, tenant, tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert refused(config, tenant, path).message == "the file is empty"


def test_a_wav_without_samples_is_refused(config, tenant, tmp_path):
    assert "no sound" in refused(config, tenant, sine(tmp_path / "zero.wav", 0)).message


def test_a_file_longer_than_the_configured_limit_is_refused(config, tenant, tmp_path):
    error = refused(config, tenant, sine(tmp_path / "long.wav", 6, 8000))
    assert error.message == "too long: 6 s, the limit is 5 s"


def test_a_missing_file_is_refused(config, tenant, tmp_path):
    assert "cannot read" in refused(config, tenant, tmp_path / "nowhere.wav").message


@pytest.mark.parametrize("name, message", [("", "a name is required"), ("x" * 65, "at most 64 characters"),
                                           ("a${b}", "control characters"), ("a\nb", "control characters")])
def test_bad_names_are_refused_before_decoding(config, tenant, tmp_path, name, message):
    error = refused(config, tenant, sine(tmp_path / "in.wav"), name=name)
    assert error.field == "name" and message in error.message


def test_names_are_unique_per_tenant_and_a_duplicate_leaves_no_stray_file(config, tenant, other, tmp_path):
    source = sine(tmp_path / "in.wav")
    library.upload(config, tenant, "Hola", source)
    with pytest.raises(InvalidInput, match="already exists"):
        library.upload(config, tenant, "Hola", source)
    assert len(stored_files(config)) == 1
    library.upload(config, other, "Hola", source)  # another tenant may use the same name


def test_resolve_audio_gives_the_tenants_own_file_only(config, tenant, other, tmp_path):
    row = library.upload(config, tenant, "Hola", sine(tmp_path / "in.wav"))
    assert resolve_audio("acme.example", str(row.id)) == row.path
    assert resolve_audio("other.example", str(row.id)) is None
    assert resolve_audio("acme.example", "abc") is None and resolve_audio("", str(row.id)) is None
    assert resolve_audio("acme.example", str(row.id + 1)) is None


def test_a_file_missing_on_disk_does_not_resolve(config, tenant, tmp_path):
    row = library.upload(config, tenant, "Hola", sine(tmp_path / "in.wav"))
    __import__("os").unlink(row.path)
    assert resolve_audio("acme.example", str(row.id)) is None


def test_message_destinations_resolve_by_name_within_the_tenant(config, tenant, other, tmp_path):
    row = library.upload(config, tenant, "Cerrado", sine(tmp_path / "in.wav"))
    assert references.resolve(tenant, "message:Cerrado") == Destination("message", str(row.id))
    assert references.describe(tenant, Destination("message", str(row.id))) == "message:Cerrado"
    with pytest.raises(InvalidInput, match="no audio file 'Cerrado' in other.example"):
        references.resolve(other, "message:Cerrado", "closed")
    assert references.describe(other, Destination("message", str(row.id))) == "message:? (deleted audio)"


def test_removing_a_file_still_routed_to_is_refused_then_allowed(config, tenant, tmp_path):
    row = library.upload(config, tenant, "Cerrado", sine(tmp_path / "in.wav"))
    number = Number.create(tenant=tenant, e164="+34911234567", destination=f"message:{row.id}")
    with pytest.raises(library.AudioInUse, match="number \\+34911234567"):
        library.remove_audio(row)
    number.delete_instance()
    library.remove_audio(row)
    assert AudioFile.select().count() == 0 and stored_files(config) == []


def test_get_audio_finds_by_name_or_id_and_reports_a_miss(config, tenant, tmp_path):
    row = library.upload(config, tenant, "Hola", sine(tmp_path / "in.wav"))
    assert library.get_audio(tenant, str(row.id)).id == row.id
    with pytest.raises(NotFound):
        library.get_audio(tenant, "Adiós")
