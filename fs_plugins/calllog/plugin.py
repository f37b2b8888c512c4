"""The call log: mod_json_cdr posts at /cdr, the err-log-dir sweep, listing and export."""
from fs_plugins.calllog import cli
from fs_plugins.calllog.receiver import make_cdr_app
from fs_plugins.models import calllog as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="calllog",
    requires=("core",),
    # The schema component keeps its first name: databases record their version under "calls".
    components=(Component("calls", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    mounts={"/cdr": make_cdr_app},
)
