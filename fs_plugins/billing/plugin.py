"""Billing reports (the IVR menus each tenant had in a month, and the call recordings kept of its calls)."""
from fs_plugins.billing import cli
from fs_plugins.plugins import Plugin

plugin = Plugin(name="billing", requires=("ivr", "recording"), commands=cli.register)
