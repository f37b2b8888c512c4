"""Feature codes and call pickup: `centralita featurecode|pickup …`, their component, and the
`featurecode` (settings changed from the phone) and `pickup` (*8, **EXT) flows."""
import functools

from fs_plugins.featurecodes import app, cli
from fs_plugins.featurecodes.flow import featurecode_flow, pickup_flow
from fs_plugins.featurecodes.kinds import FLOW, PICKUP_FLOW
from fs_plugins.fsapi import FreeswitchDirectory
from fs_plugins.models import featurecodes as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="featurecodes",
    requires=("core", "callhandling", "groups"),
    components=(Component("featurecodes", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    flows={
        FLOW: lambda wiring: featurecode_flow(
            functools.partial(app.dial_from_phone, wiring.config, dry_run=wiring.simulated,
                              freeswitch=None if wiring.simulated else FreeswitchDirectory(wiring.config))),
        PICKUP_FLOW: lambda wiring: pickup_flow(app.pickup_allowed),
    },
)
