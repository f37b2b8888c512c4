"""Feature codes: `centralita featurecode …`, the code table's component and the `featurecode` flow."""
import functools

from fs_plugins.featurecodes import app, cli
from fs_plugins.featurecodes.flow import featurecode_flow
from fs_plugins.featurecodes.kinds import FLOW
from fs_plugins.models import featurecodes as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="featurecodes",
    requires=("core", "callhandling"),
    components=(Component("featurecodes", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    flows={FLOW: lambda wiring: featurecode_flow(
        functools.partial(app.dial_from_phone, wiring.config, dry_run=wiring.simulated))},
)
