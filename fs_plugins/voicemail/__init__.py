"""Voicemail boxes: one per user and the tenant's general box, served to FreeSWITCH's mod_voicemail.

boxes.py  what mod_voicemail gets: the hot-path read for the xml_curl directory, the vm-* params
app.py    list, show, create or change, remove a box (the application layer)
cli.py    `centralita voicemail set|list|remove`
Table: fs_plugins/models/voicemail.py.
"""
