"""Contacts: personal and common directories, caller names, desk-phone phonebooks at /phonebook."""
from fs_plugins.contacts import cli
from fs_plugins.contacts.phonebook import make_phonebook_app
from fs_plugins.models import contacts as models
from fs_plugins.plugins import Component, Plugin

plugin = Plugin(
    name="contacts",
    requires=("core",),
    components=(Component("contacts", models.MODELS, models.MIGRATIONS),),
    commands=cli.register,
    mounts={"/phonebook": make_phonebook_app},
)
