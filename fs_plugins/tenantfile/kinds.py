"""The words of the tenant file: its sections and each item's defaults.

An export leaves out every value equal to its default here, and `apply` reads a missing key as
that default, so a file states only what differs from a new tenant's settings. The values are the
tables' defaults, written out so the pure plan need not import the models
(tests/test_tenantfile.py checks they are still the models' defaults).
"""
from __future__ import annotations

SECTIONS = ("audio", "schedules", "users", "ivr_menus", "groups", "numbers", "contacts")
KEYS = {  # what names an item of a section (unique in it)
    "audio": "name", "schedules": "name", "users": "extension", "ivr_menus": "name", "groups": "name",
    "numbers": "number",
}

TENANT = {"region": None, "restrictions": None, "voicemail": None}
AUDIO: dict = {}
SCHEDULE = {"description": None, "timezone": None, "holidays": "tenant", "region": None, "hours": [],
            "closures": [], "openings": []}
PERIOD = {"label": ""}
FORWARDS = {"always": None, "busy": None, "not_registered": None, "no_answer": None}
NO_ANSWER = {"to": None, "seconds": 20}
DND = {"on": False, "mode": "busy"}
RING = {"delay": 0, "confirm": False}
BOX = {"email": None, "attach_audio": True, "keep_after_email": True, "enabled": True}
USER = {"email": None, "enabled": True, "forwards": None, "dnd": None, "simultaneous_ring": [],
        "restrictions": None, "voicemail": None, "contacts": []}
MENU = {"comment": "", "forward": "none", "schedule": None, "closed": None, "forward_to": None, "welcome": None,
        "prompt": None, "timeout_prompt": None, "invalid_prompt": None, "timeout": 5, "loops": 3,
        "exit": "hangup:NORMAL_CLEARING", "direct_dial": False, "short_number": None, "options": {}}
GROUP = {"kind": "simple", "comment": "", "melody": "ringback", "ring_mode": "simultaneous", "member_seconds": 15,
         "total_seconds": 60, "no_answer_destination": None, "opening": "open", "schedule": None,
         "closed_destination": None, "short_number": None, "queue_size": 10, "max_wait": 300,
         "overflow_destination": None, "announce_every": 60, "rounds": 1, "callback_key": "",
         "service_level_seconds": 20, "members": []}
NUMBER = {"description": None}
CONTACT = {"company": None, "email": None, "note": None, "numbers": []}


def compact(values: dict, defaults: dict) -> dict:
    """`values` without the keys whose value is their default (an item's name keys always stay)."""
    return {k: v for k, v in values.items() if k not in defaults or v != defaults[k]}

