"""Several machines: FreeSWITCH media servers and Centralita nodes (`centralita media-server|node`)."""
from fs_plugins.cluster import cli
from fs_plugins.models import cluster as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="cluster",
    components=(Component("cluster", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
)
