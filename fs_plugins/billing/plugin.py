"""Billing reports (the IVR menus each tenant had in a month)."""
from fs_plugins.billing import cli
from fs_plugins.plugins import Plugin

plugin = Plugin(name="billing", requires=("ivr",), commands=cli.register)
