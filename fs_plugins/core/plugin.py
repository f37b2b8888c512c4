"""The core's plugin: tenants, users, numbers and short numbers (tables and commands)."""
from fs_plugins.core import cli
from fs_plugins.models import core as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="core",
    components=(Component("core", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
