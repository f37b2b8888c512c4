"""Voicemail boxes served to mod_voicemail: `centralita voicemail …`."""
from fs_plugins.models import voicemail as models
from fs_plugins.plugins import Component, Plugin
from fs_plugins.voicemail import cli

plugin = Plugin(
    name="voicemail",
    requires=("core",),
    components=(Component("voicemail", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
