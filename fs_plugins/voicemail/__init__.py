"""Voicemail boxes: one per user and the tenant's general box, served to FreeSWITCH's mod_voicemail.

boxes.py  the boxes: hot-path read for the xml_curl directory, mod_voicemail's params, changes
cli.py    `centralita voicemail set|list|remove`
Table: fs_plugins/models/groups.py (VoicemailBox).
"""
