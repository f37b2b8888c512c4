"""Custom call flows: ``flow:`` destinations, the `flow` ESL flow, `centralita flow …`."""
from fs_plugins import mediaurls
from fs_plugins.callflows import cli, loader, lookup
from fs_plugins.callflows.catalog import cached_catalog
from fs_plugins.callflows.flow import custom_flow
from fs_plugins.models import callflows as models
from fs_plugins.plugins import Component, DestinationKind, Plugin


def _flow(wiring):
    catalog = cached_catalog(wiring.config.flows_dir)
    catalog.log_problems()  # a broken flow file is reported when serve starts, and serve goes on
    return custom_flow(catalog, wiring.config.flow_budget_seconds, loader.resolve_destination,
                       hold_seconds=wiring.config.flow_hold_seconds, media=mediaurls.from_config(wiring.config))


plugin = Plugin(
    name="callflows",
    requires=("core", "audio", "schedule", "contacts"),
    components=(Component("callflows", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    destinations=(DestinationKind("flow", lookup.resolve, lookup.describe),),
    flows={"flow": _flow},
)
