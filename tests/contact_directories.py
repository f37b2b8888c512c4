"""A contacts directory as the operator reaches it (fs_plugins.contacts.app's scope check), for tests
that set up or read contacts below the application layer."""
from fs_plugins.application import AppContext
from fs_plugins.contacts import app


def operator_directory(domain: str, extension: str | None = None):
    return app.directory(AppContext.operator(), domain, extension)
