"""Call groups and their queues: ``group:`` destinations, the `group` flow, `centralita group …`."""
from fs_plugins.groups import app, cli
from fs_plugins.groups.wiring import production_flow
from fs_plugins.models import groups as models
from fs_plugins.plugins import Component, DestinationKind, Plugin

plugin = Plugin(
    name="groups",
    requires=("core", "audio", "schedule", "callhandling"),
    components=(Component("groups", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    destinations=(DestinationKind("group", app.resolve, app.describe),),
    flows={"group": lambda wiring: production_flow(wiring.config, wiring.simulated)},
)
