"""Call handling: forwards, do-not-disturb, simultaneous ring, outbound restrictions."""
from fs_plugins.callhandling import cli
from fs_plugins.models import callhandling as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="callhandling",
    requires=("core",),
    components=(Component("callhandling", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
