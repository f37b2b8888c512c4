"""The audio library: uploaded and phone-recorded messages, ``message:`` destinations and their flow."""
from fs_plugins.audio import cli, lookup
from fs_plugins.audio.flow import message_flow
from fs_plugins.audio.served import make_audio_app
from fs_plugins.models import audio as models
from fs_plugins.plugins import Component, DestinationKind, Plugin

plugin = Plugin(
    name="audio",
    requires=("core",),
    components=(Component("audio", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    destinations=(DestinationKind("message", lookup.resolve, lookup.describe),),
    flows={"message": lambda wiring: message_flow(lookup.audio_resolver(wiring.config))},
    mounts={"/media/audio": make_audio_app},
)
