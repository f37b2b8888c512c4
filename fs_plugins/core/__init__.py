"""The core: tenants, their users, their numbers (DIDs) and short numbers.

app.py     the application layer: list, show, add, change, remove (fs_plugins.application's rules)
cli.py     `centralita tenant|user|number …`
plugin.py  what the core adds (its tables and commands), found through the entry points like every feature
Tables: fs_plugins/models/core.py.
"""
