"""Tenants as declarative files: `centralita tenant export`, `tenant schema` and `apply`."""
from fs_plugins.plugins import Plugin
from fs_plugins.tenantfile import cli

plugin = Plugin(
    name="tenantfile",
    requires=("core", "callhandling", "schedule", "audio", "ivr", "groups", "voicemail", "contacts"),
    commands=cli.register,
)
