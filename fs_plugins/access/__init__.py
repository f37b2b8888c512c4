"""Who is calling: people's logins and sessions, integrations' API keys, the limits on guessing.

The REST API (fs_plugins.api) and the portal share everything here; neither keeps a rule of its own
about who may sign in. See fs_plugins/models/access.py for what is stored and why.
"""
