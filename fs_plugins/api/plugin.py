"""The REST API v1, mounted at /api/v1 on the web server."""
from fs_plugins.api.app import make_api_app
from fs_plugins.plugins import Plugin

plugin = Plugin(name="api", requires=("core", "access", "audit"), mounts={"/api/v1": make_api_app})
