"""Call recording: `centralita recording …` and its component (policies, options, recordings).
The dialplan's side is in xml_curl/plans.py (rules.py decides); serve runs the sweep (sweep.py)."""
from fs_plugins.models import recording as models
from fs_plugins.plugins import Component, Plugin
from fs_plugins.recording import cli
from fs_plugins.recording.upload import make_upload_app

plugin = Plugin(
    name="recording",
    requires=("core", "calllog", "groups"),
    components=(Component("recording", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    mounts={"/media/recordings": make_upload_app},
)
