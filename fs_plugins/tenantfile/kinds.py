"""The words of the tenant file: its sections and each item's defaults.

An export leaves out every value equal to its default here, and `apply` reads a missing key as
that default, so a file states only what differs from a new tenant's settings. The values are the
tables' defaults, written out so the pure plan need not import the models
(tests/test_tenantfile.py checks they are still the models' defaults).
"""
from __future__ import annotations

SECTIONS = ("audio", "schedules", "users", "ivr_menus", "groups", "flows", "flow_routes", "numbers", "contacts")
KEYS = {  # what names an item of a section (unique in it)
    "audio": "name", "schedules": "name", "users": "extension", "ivr_menus": "name", "groups": "name",
    "flows": "flow", "flow_routes": "name", "numbers": "number",
}

TENANT = {"region": None, "restrictions": None, "voicemail": None, "feature_codes": None}
SCHEDULE = {"description": None, "timezone": None, "holidays": "tenant", "region": None, "hours": [],
            "closures": [], "openings": []}
PERIOD = {"label": ""}
FORWARDS = {"always": None, "busy": None, "not_registered": None, "no_answer": None}
NO_ANSWER = {"to": None, "seconds": 20}
DND = {"on": False, "mode": "busy"}
RING = {"delay": 0, "confirm": False}
BOX = {"email": None, "attach_audio": True, "keep_after_email": True, "enabled": True}
USER = {"email": None, "enabled": True, "forwards": None, "dnd": None, "simultaneous_ring": [],
        "restrictions": None, "voicemail": None, "contacts": [], "pickup_group": None}
MENU = {"comment": "", "forward": "none", "schedule": None, "closed": None, "forward_to": None, "welcome": None,
        "prompt": None, "timeout_prompt": None, "invalid_prompt": None, "timeout": 5, "loops": 3,
        "exit": "hangup:NORMAL_CLEARING", "direct_dial": False, "short_number": None, "options": {}}
GROUP = {"kind": "simple", "comment": "", "melody": "ringback", "ring_mode": "simultaneous", "member_seconds": 15,
         "total_seconds": 60, "no_answer_destination": None, "opening": "open", "schedule": None,
         "closed_destination": None, "short_number": None, "queue_size": 10, "max_wait": 300,
         "overflow_destination": None, "announce_every": 60, "rounds": 1, "callback_key": "",
         "service_level_seconds": 20, "members": []}
FLOW = {"settings": {}}
FLOW_ROUTE = {"settings": {}, "fallback": None}
NUMBER = {"description": None}
CONTACT = {"company": None, "email": None, "note": None, "numbers": []}
DEFAULTS = {"audio": {}, "schedules": SCHEDULE, "users": USER, "ivr_menus": MENU, "groups": GROUP,
            "flows": FLOW, "flow_routes": FLOW_ROUTE, "numbers": NUMBER, "contacts": CONTACT}


def compact(values: dict, defaults: dict) -> dict:
    """`values` without the keys whose value is their default (an item's name keys always stay)."""
    return {k: v for k, v in values.items() if k not in defaults or v != defaults[k]}



def full(values: dict, defaults: dict) -> dict:
    """`values` with every missing key given its default."""
    return {**defaults, **values}


def canonical(section: str, item: dict) -> dict:
    """An item of `section` as an export writes it: every default left out, nested ones too, so a
    file that spells out a default (``dnd: {on: false}``) plans as no change."""
    item = dict(item)
    if section == "users":
        item["forwards"] = _forwards(item.get("forwards"))
        dnd = full(item.get("dnd") or {}, DND)
        item["dnd"] = None if dnd == DND else dnd
        item["simultaneous_ring"] = [compact(r, RING) for r in item.get("simultaneous_ring") or ()]
        item["voicemail"] = _box(item.get("voicemail"))
        item["contacts"] = [canonical("contacts", c) for c in item.get("contacts") or ()]
        item["pickup_group"] = item.get("pickup_group") or None  # "": the tenant's own group
    elif section == "schedules":
        for kind in ("closures", "openings"):
            item[kind] = [compact(p, PERIOD) for p in item.get(kind) or ()]
    elif section == "tenant":
        item["voicemail"] = _box(item.get("voicemail"))
        item["feature_codes"] = item.get("feature_codes") or None  # {}: every default, as none
    elif section == "groups":
        item["members"] = [m if m.get("paused") else {k: v for k, v in m.items() if k != "paused"}
                           for m in item.get("members") or ()]
    elif section == "audio":
        item.pop("file", None)  # where the sound came from, not what the tenant has: never a change
    elif section in ("flows", "flow_routes"):
        item["settings"] = dict(sorted((item.get("settings") or {}).items()))
    elif section == "ivr_menus":
        item["options"] = {str(k): v for k, v in sorted((item.get("options") or {}).items(), key=lambda kv: str(kv[0]))}
    return compact(item, DEFAULTS.get(section, TENANT))


def _forwards(value: dict | None) -> dict | None:
    forwards = dict(value or {})
    no_answer = compact(forwards.get("no_answer") or {}, NO_ANSWER)
    forwards["no_answer"] = no_answer or None
    return compact(forwards, FORWARDS) or None


def _box(value: dict | None) -> dict | None:
    return None if value is None else compact(value, BOX)
