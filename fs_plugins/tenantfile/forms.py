"""The file's values in the form an export writes them, so a file written by hand plans no change
where the database already holds the same thing: numbers in E.164 (``91 123 45 67`` in Spain is
``+34911234567``), ``number:`` destinations likewise, weekly hours grouped as the schedule shows
them. A value that cannot be read is refused at its YAML path.
"""
from __future__ import annotations

import copy

from fs_plugins import validate
from fs_plugins.errors import InvalidInput
from fs_plugins.schedule import spec

USER_DESTINATIONS = ("always", "busy", "not_registered")
MENU_DESTINATIONS = ("closed", "forward_to", "exit")
GROUP_DESTINATIONS = ("no_answer_destination", "closed_destination", "overflow_destination")


def as_exported(document: dict) -> dict:
    """`document` (canonical_document's form) with numbers and hours written as an export writes them."""
    document = copy.deepcopy(document)
    country = document["tenant"].get("country") or "ES"

    def destination(value, path):
        if isinstance(value, str) and value.partition(":")[0].strip().lower() == "number":
            return "number:" + _e164(value.partition(":")[2], country, path, assigned=False)
        return value

    for i, user in enumerate(document.get("users") or ()):
        forwards = user.get("forwards") or {}
        for key in USER_DESTINATIONS:
            if key in forwards:
                forwards[key] = destination(forwards[key], f"users[{i}].forwards.{key}")
        if forwards.get("no_answer") and "to" in forwards["no_answer"]:
            forwards["no_answer"]["to"] = destination(forwards["no_answer"]["to"], f"users[{i}].forwards.no_answer.to")
        for j, ring in enumerate(user.get("simultaneous_ring") or ()):
            ring["to"] = destination(ring["to"], f"users[{i}].simultaneous_ring[{j}].to")
    for i, menu in enumerate(document.get("ivr_menus") or ()):
        for key in MENU_DESTINATIONS:
            if key in menu:
                menu[key] = destination(menu[key], f"ivr_menus[{i}].{key}")
        for key, value in (menu.get("options") or {}).items():
            menu["options"][key] = destination(value, f"ivr_menus[{i}].options.{key}")
    for i, group in enumerate(document.get("groups") or ()):
        for key in GROUP_DESTINATIONS:
            if key in group:
                group[key] = destination(group[key], f"groups[{i}].{key}")
        for j, member in enumerate(group.get("members") or ()):
            if "number" in member:
                member["number"] = _e164(member["number"], country, f"groups[{i}].members[{j}].number")
    for i, number in enumerate(document.get("numbers") or ()):
        number["number"] = _e164(number["number"], country, f"numbers[{i}].number", assigned=True)
        number["to"] = destination(number["to"], f"numbers[{i}].to")
    for i, schedule in enumerate(document.get("schedules") or ()):
        if schedule.get("hours"):
            schedule["hours"] = _hours(schedule["hours"], f"schedules[{i}].hours")
    return document


def _e164(text: str, country: str, path: str, assigned: bool = False) -> str:
    return validate.e164(str(text), country, path, assigned=assigned)


def _hours(texts: list, path: str) -> list[str]:
    ranges = set()
    for j, text in enumerate(texts):
        try:
            ranges.update(spec.parse_hours(str(text), f"{path}[{j}]"))
        except InvalidInput as exc:
            raise InvalidInput(f"{path}[{j}]", exc.message) from None
    return spec.format_hours(ranges)
