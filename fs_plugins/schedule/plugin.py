"""Time schedules: weekly hours, holidays, closures and openings (used by IVR menus and groups)."""
from fs_plugins.models import schedule as models
from fs_plugins.plugins import Component, Plugin
from fs_plugins.schedule import cli

plugin = Plugin(
    name="schedule",
    requires=("core",),
    components=(Component("schedule", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
