"""Kamailio in front: `centralita kamailio install-view` (the configuration itself is in kamailio/)."""
from fs_plugins.kamailio import cli
from fs_plugins.plugins import Plugin

plugin = Plugin(name="kamailio", requires=("core",), commands=cli.register)
