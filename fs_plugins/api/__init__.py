"""The REST API v1 at /api/v1 (APIFlask): see fs_plugins.api.app and docs/api.md."""
