"""The flows every installed plugin declares, wired as `centralita serve` wires them."""
from __future__ import annotations

from fs_plugins import plugins
from fs_plugins.config import load_config
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.plugins import FlowWiring


def installed_flows() -> FlowRegistry:
    """The configuration comes from the environment (tests set CENTRALITA_FS_EVENT_SOCKET_PORT=0)."""
    return plugins.installed().flow_registry(FlowWiring(load_config()))
