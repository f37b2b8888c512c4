"""Who may sign in: API keys, people's logins and their sessions (`centralita apikey|login …`)."""
from fs_plugins.access import cli
from fs_plugins.models import access as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="access",
    requires=("core",),
    components=(Component("access", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
