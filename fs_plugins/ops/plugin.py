"""Operations: health and readiness endpoints, Prometheus metrics, `doctor`, `backup` and `restore`."""
from fs_plugins.ops import cli
from fs_plugins.ops.http import make_healthz_app, make_metrics_app, make_readyz_app
from fs_plugins.plugins import Plugin

plugin = Plugin(
    name="ops",
    requires=("core", "groups"),
    commands=cli.register,
    mounts={"/healthz": make_healthz_app, "/readyz": make_readyz_app, "/metrics": make_metrics_app},
)
