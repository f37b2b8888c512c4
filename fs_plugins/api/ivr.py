"""/api/v1/tenants/{domain}/ivr: IVR menus (welcome, prompt, keys to destinations) and their options.

Everything goes through the application layer (fs_plugins.ivr.app), which checks a change as a
whole and audits it in the same transaction: the API adds only the JSON shapes and If-Match.
A menu is named by its name (or its id). Removing one that a number, short number, another menu
or a group still routes to answers 409 naming them.
"""
from __future__ import annotations

from urllib.parse import quote

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String

from fs_plugins.api.common import app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import TENANT, access
from fs_plugins.api.schema import Schema
from fs_plugins.ivr import app
from fs_plugins.models.ivr import FORWARD_MODES

bp = APIBlueprint("ivr", __name__, url_prefix="/api/v1/tenants/<domain>/ivr", tag="IVR menus")
DESTINATIONS = "user:EXT, number:NUMBER, ivr:MENU, group:GROUP, voicemail:[EXT], message:AUDIO or hangup[:CAUSE]"


class DestinationOut(Schema):
    destination = String(required=True, metadata={"description": "stored form, accepted back as is",
                                                   "example": "user:7"})
    label = String(required=True, metadata={"example": "user:1001 (Ana)"})


class OptionOut(Schema):
    key = String(required=True, metadata={"example": "1"})
    destination = String(required=True, attribute="destination.destination")
    label = String(required=True, attribute="destination.label")


class MenuOut(Schema):
    id = Integer(required=True)
    name = String(required=True)
    comment = String(required=True)
    forward = String(required=True, metadata={"description": ", ".join(FORWARD_MODES)})
    schedule = String(required=True, allow_none=True)
    closed = Nested(DestinationOut, required=True, allow_none=True)
    forward_to = Nested(DestinationOut, required=True, allow_none=True)
    welcome = String(required=True, allow_none=True, metadata={"description": "an audio file's name"})
    prompt = String(required=True, allow_none=True)
    timeout_prompt = String(required=True, allow_none=True)
    invalid_prompt = String(required=True, allow_none=True)
    timeout = Integer(required=True, metadata={"description": "seconds to wait for a key"})
    loops = Integer(required=True)
    exit = Nested(DestinationOut, required=True)
    direct_dial = Boolean(required=True)
    options = List(Nested(OptionOut), required=True)
    short_numbers = List(String(), required=True)
    numbers = List(String(), required=True, metadata={"description": "DIDs routed to the menu"})


class _MenuSettings(Schema):
    comment = String(metadata={"description": "free text; \"\" clears it"})
    forward = String(metadata={"description": "none; schedule (while closed, calls go to `closed`); "
                                              "forward (always to `forward_to`)"})
    schedule = String(metadata={"description": "a schedule's name for forward=schedule; \"\" for none"})
    closed = String(metadata={"description": f"where calls go while closed: {DESTINATIONS}"})
    forward_to = String(metadata={"description": "number, user or group for forward=forward"})
    welcome = String(metadata={"description": "audio file played once; \"\" for none"})
    prompt = String(metadata={"description": "audio file of the menu, repeated each loop"})
    timeout_prompt = String()
    invalid_prompt = String()
    timeout = Integer(metadata={"description": "seconds to wait for a key (1-60)"})
    loops = Integer(metadata={"description": "prompts without a valid key before `exit` (1-10)"})
    exit = String(metadata={"description": "after the last loop: hangup, number, user, ivr, group or voicemail"})
    direct_dial = Boolean(metadata={"description": "callers may dial the tenant's extensions"})
    options = Dict(keys=String(), values=String(), metadata={
        "description": f"key (0-9, *, #) to destination ({DESTINATIONS}); added or replaced",
        "example": {"1": "user:1001"}})
    short_number = String(metadata={"description": "internal number reaching the menu; \"\" removes it"})
    numbers = List(String(), metadata={"description": "DIDs of the tenant to route to the menu"})
    move_numbers = Boolean(metadata={"description": "let `numbers` take DIDs that route elsewhere now"})


class MenuIn(_MenuSettings):
    name = String(required=True, metadata={"example": "Recepción"})


class MenuPatch(_MenuSettings):
    name = String(metadata={"description": "rename the menu"})
    remove_options = List(String(), metadata={"description": "keys to remove", "example": ["9"]})


class MenuList(Schema):
    items = List(Nested(MenuOut), required=True)


class OptionIn(Schema):
    destination = String(required=True, metadata={"description": DESTINATIONS, "example": "voicemail:"})


class OptionList(Schema):
    items = List(Nested(OptionOut), required=True)


def _values(body: dict) -> dict:
    """The body as the application layer's keyword arguments (options and numbers default to none)."""
    values = {k: v for k, v in body.items() if k not in ("name", "remove_options")}
    values.setdefault("options", {})
    values.setdefault("numbers", [])
    return values


@bp.get("")
@access(TENANT)
@bp.output(MenuList)
def list_menus(domain):
    """The tenant's menus by name."""
    return {"items": app.list_menus(app_context(), domain)}


@bp.post("")
@access(TENANT)
@bp.input(MenuIn, arg_name="body", example={"name": "Recepción", "options": {"1": "user:1001", "0": "voicemail:"},
                                            "timeout": 6})
@bp.output(MenuOut, status_code=201)
def create_menu(domain, body):
    """Create a menu: it needs at least one option (or direct dial, or forward=forward)."""
    menu = app.add_menu(app_context(), domain, body["name"], **_values(body)).value
    location = f"/api/v1/tenants/{menu.tenant}/ivr/{quote(menu.name, safe='')}"
    return with_etag(MenuOut, menu, 201, {"Location": location})


@bp.get("/<menu>")
@access(TENANT)
@bp.output(MenuOut)
def get_menu(domain, menu):
    """One menu with its options, short number and DIDs (with its ETag)."""
    return with_etag(MenuOut, app.get_menu(app_context(), domain, menu))


@bp.patch("/<menu>")
@access(TENANT)
@bp.input(MenuPatch, arg_name="body", example={"timeout": 8, "options": {"2": "voicemail:"}})
@bp.output(MenuOut)
def change_menu(domain, menu, body):
    """Change the settings given; `options` adds or replaces keys, `remove_options` drops keys. Send If-Match."""
    ctx = app_context()
    check_if_match(schema_of(MenuOut).dump(app.get_menu(ctx, domain, menu)))
    done = app.change_menu(ctx, domain, menu, remove_options=tuple(body.get("remove_options") or ()),
                           name=body.get("name"), **_values(body))
    return with_etag(MenuOut, done.value)


@bp.delete("/<menu>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_menu(domain, menu):
    """Remove a menu (409 while a number, short number, menu or group routes to it)."""
    ctx = app_context()
    check_if_match(schema_of(MenuOut).dump(app.get_menu(ctx, domain, menu)), required=False)
    app.remove_menu(ctx, domain, menu)
    return ""


@bp.get("/<menu>/options")
@access(TENANT)
@bp.output(OptionList)
def list_options(domain, menu):
    """The menu's keys and where each sends the call."""
    return {"items": app.get_menu(app_context(), domain, menu).options}


@bp.put("/<menu>/options/<key>")
@access(TENANT)
@bp.input(OptionIn, arg_name="body", example={"destination": "voicemail:"})
@bp.output(OptionOut)
def set_option(domain, menu, key, body):
    """Make a key (0-9, * or #; write # as %23) send calls to a destination.

    No If-Match: it sets one key to the value given, whatever it was, and the answer shows it."""
    done = app.set_option(app_context(), domain, menu, key, body["destination"]).value
    return next(option for option in done.options if option.key == key.strip())


@bp.delete("/<menu>/options/<key>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_option(domain, menu, key):
    """Remove a key (422 if it would leave the menu without options)."""
    app.remove_option(app_context(), domain, menu, key)
    return ""
