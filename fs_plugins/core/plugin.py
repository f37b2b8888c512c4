"""The core's plugin: tenants, users, numbers and short numbers (tables and commands), and the
gate that refuses a suspended tenant's ESL sessions."""
from fs_plugins.core import cli
from fs_plugins.core.flow import suspended_tenant_gate
from fs_plugins.models import core as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="core",
    components=(Component("core", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    gates=(suspended_tenant_gate,),
)
