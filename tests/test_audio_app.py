"""The audio library through its application layer: the tenant's administrator only, a taken name
or a file still played is a conflict, and each change is audited."""
from __future__ import annotations

import dataclasses

import pytest

from fs_plugins.application import AppContext
from fs_plugins.audio import app
from fs_plugins.config import Config
from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.models.audio import AudioFile
from tests import provision
from tests.audio_helpers import sine
from tests.test_core_app import admin_of, pbx, user_of  # noqa: F401  (fixture)


@pytest.fixture
def admin(pbx, tmp_path):
    context, events, _ = pbx
    principal = context(admin_of("acme.example")).principal
    return AppContext(principal, Config(data_dir=str(tmp_path / "data")), audit=events.append), events


def test_an_uploaded_file_is_listed_played_and_removed_with_audit_entries(admin, tmp_path):
    ctx, events = admin
    stored = app.upload_audio(ctx, "acme.example", "Hola", sine(tmp_path / "hola.wav", 0.5, 8000)).value
    assert dataclasses.is_dataclass(stored) and (stored.name, stored.source) == ("Hola", "upload")
    assert app.list_audio(ctx, "acme.example") == [stored]
    assert app.audio_path(ctx, "acme.example", "Hola").is_file()
    app.remove_audio(ctx, "acme.example", "Hola")
    assert AudioFile.select().count() == 0 and not list((tmp_path / "data" / "audio" / "acme.example").iterdir())
    assert [e.action for e in events] == ["audio.create", "audio.delete"]


def test_a_taken_name_and_a_played_file_are_conflicts(admin, tmp_path):
    ctx, _ = admin
    app.upload_audio(ctx, "acme.example", "Hola", sine(tmp_path / "hola.wav", 0.5, 8000))
    with pytest.raises(Conflict) as taken:
        app.upload_audio(ctx, "acme.example", "Hola", sine(tmp_path / "again.wav", 0.5, 8000))
    assert taken.value.field == "name"
    provision.menu(provision.Tenant.get(domain="acme.example"), "Main", welcome="Hola", options={"1": "user:1001"})
    with pytest.raises(Conflict, match="ivr menu 'Main'"):
        app.remove_audio(ctx, "acme.example", "Hola")
    assert AudioFile.select().count() == 1


def test_another_tenant_or_a_user_cannot_reach_the_library(admin, pbx, tmp_path):
    ctx, _ = admin
    context, _, _ = pbx
    app.upload_audio(ctx, "acme.example", "Hola", sine(tmp_path / "hola.wav", 0.5, 8000))
    with pytest.raises(NotFound):
        app.get_audio(context(admin_of("globex.example")), "acme.example", "Hola")
    with pytest.raises(Forbidden):
        app.list_audio(context(user_of("acme.example", "1001")), "acme.example")
    with pytest.raises(InvalidInput) as junk:
        app.upload_audio(ctx, "acme.example", "Texto", tmp_path / "missing.wav")
    assert junk.value.field == "file"
