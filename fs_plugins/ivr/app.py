"""IVR menus, the application layer: list, show, create, change (settings, options, DIDs, short
number), set or remove one key, remove.

Menus are the tenant administrator's. A change is checked as a whole inside one transaction with
its audit entry (fs_plugins.ivr.settings): a refused change — a bad value, an option pointing to a
deleted user or menu, a menu left without options — leaves nothing written. Errors name the API's
field: the settings' names, ``options.1`` for key 1 (the CLI shows ``--option 1``). Nothing here is
cached by FreeSWITCH: no flush.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fs_plugins import references
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.ivr import settings
from fs_plugins.ivr.lookup import find_menu
from fs_plugins.ivr.settings import MenuSettings
from fs_plugins.models import Tenant, database
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.references import DestinationView


@dataclass(frozen=True)
class OptionView:
    key: str
    destination: DestinationView


@dataclass(frozen=True)
class MenuView:
    tenant: str  # the tenant's domain
    id: int
    name: str
    comment: str
    forward: str  # none, schedule or forward
    schedule: str | None  # the schedule's name
    closed: DestinationView | None  # where calls go while the schedule is closed
    forward_to: DestinationView | None
    welcome: str | None  # names of the tenant's audio files
    prompt: str | None
    timeout_prompt: str | None
    invalid_prompt: str | None
    timeout: int  # seconds to wait for a key
    loops: int
    exit: DestinationView  # after the last loop
    direct_dial: bool
    options: tuple[OptionView, ...]
    short_numbers: tuple[str, ...]
    numbers: tuple[str, ...]  # DIDs routed to the menu


def list_menus(ctx: AppContext, tenant: str) -> list[MenuView]:
    owner = _tenant(ctx, tenant, "list the tenant's IVR menus")
    rows = IvrMenu.select().where(IvrMenu.tenant == owner, IvrMenu.deleted_at.is_null()).order_by(IvrMenu.name)
    return [_view(owner, row) for row in rows]


def get_menu(ctx: AppContext, tenant: str, menu: str, field: str = "menu") -> MenuView:
    """A live menu by name or id."""
    owner = _tenant(ctx, tenant, "read the tenant's IVR menus")
    return _view(owner, _find(owner, menu, field))


def add_menu(ctx: AppContext, tenant: str, name: str, **values: Any) -> Changed[MenuView]:
    """A new menu; `values` are MenuSettings' fields (options: {key: destination})."""
    owner = _tenant(ctx, tenant, "create IVR menus")
    given = _settings(name=name, **values)
    if not (name or "").strip():
        raise InvalidInput("name", "a name is required")
    with database.atomic():
        row = IvrMenu(tenant=owner)
        settings.save(row, owner, given)
        ctx.record("ivr.add", owner, f"ivr {row.name}", _given(name=name, **values))
    return Changed(_view(owner, row))


def change_menu(ctx: AppContext, tenant: str, menu: str, remove_options: tuple[str, ...] = (),
                **values: Any) -> Changed[MenuView]:
    """Change the given settings (None: as it is; "" clears an optional one); `options` adds or
    replaces keys, `remove_options` drops keys, all in the same check of the whole menu."""
    owner = _tenant(ctx, tenant, "change IVR menus")
    row = _find(owner, menu)
    given = _settings(**values)
    with database.atomic():
        settings.save(row, owner, given, tuple(remove_options))
        ctx.record("ivr.update", owner, f"ivr {row.name}",
                   _given(remove_options=list(remove_options) or None, **values))
    return Changed(_view(owner, row))


def set_option(ctx: AppContext, tenant: str, menu: str, key: str, destination: str) -> Changed[MenuView]:
    key = settings.check_key(key, "key")
    return change_menu(ctx, tenant, menu, options={key: destination})


def remove_option(ctx: AppContext, tenant: str, menu: str, key: str) -> Changed[MenuView]:
    key = settings.check_key(key, "key")
    try:
        return change_menu(ctx, tenant, menu, remove_options=(key,))
    except NotFound as exc:
        raise NotFound("key", exc.message) from None


def remove_menu(ctx: AppContext, tenant: str, menu: str) -> Changed[MenuView]:
    """Soft delete (the row stays for billing); refused while anything else routes to the menu."""
    owner = _tenant(ctx, tenant, "remove IVR menus")
    row = _find(owner, menu)
    view = _view(owner, row)
    users = settings.routes_to(row)
    if users:
        raise Conflict("menu", f"IVR menu {row.name!r} is still reached from {', '.join(users)}; "
                               "route those elsewhere first")
    with database.atomic():
        settings.clear(row)
        ctx.record("ivr.delete", owner, f"ivr {row.name}")
    return Changed(view)


def _tenant(ctx: AppContext, domain: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner


def _find(owner: Tenant, reference: str, field: str = "menu") -> IvrMenu:
    row = find_menu(owner, str(reference))
    if row is None:
        raise NotFound(field, f"no IVR menu {reference!r} in {owner.domain}")
    return row


def _settings(**values: Any) -> MenuSettings:
    values = {k: v for k, v in values.items() if v is not None or k not in ("options", "numbers")}
    if values.get("options"):  # the CLI checks KEY=… as it parses; the API sends a dict
        values["options"] = {settings.check_key(key, "options"): text for key, text in values["options"].items()}
    try:
        return MenuSettings(**values)
    except TypeError as exc:  # a front end passed a setting menus do not have
        raise InvalidInput(str(exc).rsplit(" ", 1)[-1].strip("'"), "unknown IVR menu setting") from None


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, [], {}, False)}


def _view(owner: Tenant, row: IvrMenu) -> MenuView:
    numbers, shorts = settings.reached_by(row)

    def audio(column: str) -> str | None:
        return getattr(row, column).name if getattr(row, f"{column}_id") else None

    return MenuView(
        owner.domain, row.id, row.name, row.comment, row.forward_mode,
        row.schedule.name if row.schedule_id else None, references.view(owner, row.closed_destination),
        references.view(owner, row.forward_destination), audio("welcome_audio"), audio("prompt_audio"),
        audio("timeout_audio"), audio("invalid_audio"), row.timeout_seconds, row.max_loops,
        references.view(owner, row.exit_destination), bool(row.direct_dial),
        tuple(OptionView(key, references.view(owner, destination))
              for key, destination in settings.options_of(row).items()),
        tuple(shorts), tuple(numbers))
