"""The audit log of every change (`centralita audit list`)."""
from fs_plugins.audit import cli
from fs_plugins.models import audit as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="audit",
    requires=("core",),
    components=(Component("audit", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
