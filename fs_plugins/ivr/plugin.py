"""IVR menus: ``ivr:`` destinations, the `ivr` flow, `centralita ivr …`."""
from fs_plugins.audio.lookup import audio_resolver
from fs_plugins.ivr import cli, lookup
from fs_plugins.ivr.flow import ivr_flow
from fs_plugins.ivr.loader import load_menu
from fs_plugins.models import ivr as models
from fs_plugins.plugins import Component, DestinationKind, Plugin


def _flow(wiring):
    resolve_audio = audio_resolver(wiring.config)
    return ivr_flow(lambda tenant, menu_id: load_menu(tenant, menu_id, resolve_audio))


plugin = Plugin(
    name="ivr",
    requires=("core", "audio", "schedule"),
    components=(Component("ivr", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    destinations=(DestinationKind("ivr", lookup.resolve, lookup.describe),),
    flows={"ivr": _flow},
)
