"""The web portal at / (people sign in with the API's logins and sessions)."""
from fs_plugins.models import portal as models
from fs_plugins.plugins import Component, Plugin
from fs_plugins.portal.app import make_portal_app

plugin = Plugin(
    name="portal",
    requires=("core", "access", "api", "callhandling", "calllog", "contacts", "voicemail"),
    components=(Component("portal", models.MODELS, models.MIGRATIONS),),
    mounts={"/": make_portal_app},
)
