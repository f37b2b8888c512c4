"""Phone auto-provisioning: `centralita device …`, its component, and /provision on the web server."""
from fs_plugins.models import provisioning as models
from fs_plugins.plugins import Component, Plugin
from fs_plugins.provisioning import cli
from fs_plugins.provisioning.served import make_provisioning_app

plugin = Plugin(
    name="provisioning",
    requires=("core", "featurecodes", "contacts"),
    components=(Component("provisioning", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    mounts={"/provision": make_provisioning_app},
)
