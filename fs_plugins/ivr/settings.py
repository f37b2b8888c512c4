"""An IVR menu's settings, options, DIDs and short number, checked and applied to its row inside
the transaction of `ivr.app`.

`save` ends with `check_whole`, which looks at the menu as it would be saved: a refused change
(bad value, option pointing to a deleted user or menu, a menu left without options) rolls the
transaction back. Error fields are the API's (MenuSettings' names; ``options.1`` for key 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fs_plugins import references, validate
from fs_plugins.audio.library import get_audio
from fs_plugins.destinations import HANGUP, Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.fsvalues import check_text
from fs_plugins.ivr.loader import existing
from fs_plugins.ivr.rules import KEYS
from fs_plugins.models.base import utcnow
from fs_plugins.models.core import Number, ShortNumber, Tenant, User
from fs_plugins.schedule.settings import get_schedule
from fs_plugins.models.ivr import FORWARD_ALWAYS, FORWARD_MODES, FORWARD_SCHEDULE, IvrMenu, IvrOption

# After the last loop the caller may leave a message: "Grupo de llamadas: … como, por ejemplo, un buzón de voz".
EXIT_KINDS = ("hangup", "number", "user", "ivr", "group", "voicemail")
FORWARD_KINDS = ("number", "user", "group")
AUDIO = {"welcome": "welcome_audio", "prompt": "prompt_audio", "timeout_prompt": "timeout_audio",
         "invalid_prompt": "invalid_audio"}


@dataclass
class MenuSettings:
    """Values as the user typed them; None leaves a setting as it is ("" clears optional ones)."""

    name: str | None = None
    comment: str | None = None
    forward: str | None = None  # none | schedule | forward
    schedule: str | None = None
    closed: str | None = None
    forward_to: str | None = None
    welcome: str | None = None  # audio names
    prompt: str | None = None
    timeout_prompt: str | None = None
    invalid_prompt: str | None = None
    timeout: int | None = None
    loops: int | None = None
    exit: str | None = None
    direct_dial: bool | None = None
    options: dict = field(default_factory=dict)  # key -> destination text, added or replaced
    short_number: str | None = None
    numbers: list = field(default_factory=list)  # DIDs of the tenant to route to the menu
    move_numbers: bool = False  # take those DIDs from whatever they route to now


def check_key(key: str, field: str = "options") -> str:
    key = (key or "").strip()
    if len(key) != 1 or key not in KEYS:
        raise InvalidInput(field, f"key must be one of 0-9, * or #, got {key!r}")
    return key


def options_of(row: IvrMenu) -> dict[str, Destination]:
    return {o.key: o.destination for o in IvrOption.select().where(IvrOption.menu == row).order_by(IvrOption.key)}


def reached_by(row: IvrMenu) -> tuple[list[str], list[str]]:
    """(DIDs, short numbers) routed to the menu."""
    target = f"ivr:{row.id}"
    numbers = [n.e164 for n in Number.select().where(Number.tenant == row.tenant_id, Number.destination == target)]
    shorts = [s.number for s in ShortNumber.select().where(ShortNumber.tenant == row.tenant_id,
                                                           ShortNumber.destination == target)]
    return sorted(numbers), sorted(shorts)


def save(row: IvrMenu, tenant: Tenant, settings: MenuSettings, remove_options: tuple[str, ...] = ()) -> None:
    """Apply `settings` to `row` and store it (inside the caller's transaction); the menu is checked
    as a whole at the end, so a refusal rolls everything back."""
    apply(row, tenant, settings)
    if row.id is not None:
        row.updated_at = utcnow()
    row.save()
    apply_reachability(row, tenant, settings)
    for key in remove_options:
        key = check_key(key, "remove_options")
        if not IvrOption.delete().where(IvrOption.menu == row, IvrOption.key == key).execute():
            raise NotFound("remove_options", f"menu {row.name!r} has no option {key}")
    check_whole(row, tenant)


def apply(row: IvrMenu, tenant: Tenant, s: MenuSettings) -> None:
    if s.name is not None:
        row.name = check_text(s.name, "name", max_length=64)
        _check_unique(tenant, row.name, row.id)
    if s.comment is not None:
        row.comment = check_text(s.comment, "comment", max_length=200, required=False)
    if s.forward is not None:
        if s.forward not in FORWARD_MODES:
            raise InvalidInput("forward", f"must be one of {', '.join(FORWARD_MODES)}")
        row.forward_mode = s.forward
    if s.schedule is not None:
        row.schedule = _schedule(tenant, s.schedule) if s.schedule else None
    if s.closed is not None:
        row.closed_destination = references.resolve(tenant, s.closed, "closed") if s.closed else None
    if s.forward_to is not None:
        row.forward_destination = _destination(tenant, s.forward_to, "forward_to", FORWARD_KINDS) or None
    if s.exit is not None:
        row.exit_destination = _destination(tenant, s.exit, "exit", EXIT_KINDS) or HANGUP
    for name, column in AUDIO.items():
        value = getattr(s, name)
        if value is not None:
            setattr(row, column, _audio(tenant, value, name) if value else None)
    if s.timeout is not None:
        row.timeout_seconds = _bounded(s.timeout, 1, 60, "timeout")
    if s.loops is not None:
        row.max_loops = _bounded(s.loops, 1, 10, "loops")
    if s.direct_dial is not None:
        row.direct_dial = bool(s.direct_dial)


def apply_reachability(row: IvrMenu, tenant: Tenant, s: MenuSettings) -> None:
    for key, text in s.options.items():
        destination = references.resolve(tenant, text, f"options.{key}")
        IvrOption.delete().where(IvrOption.menu == row, IvrOption.key == key).execute()
        IvrOption.create(menu=row, key=key, destination=destination)
    if s.short_number is not None:
        _set_short_number(row, tenant, s.short_number)
    for text in s.numbers:
        e164 = validate.e164(text, tenant.country, "numbers")
        number = Number.get_or_none(Number.tenant == tenant, Number.e164 == e164)
        target = Destination("ivr", str(row.id))
        if number is None:
            raise InvalidInput("numbers", f"{e164} is not a number of {tenant.domain} (add it with "
                                           f"`centralita number add --tenant {tenant.domain} {e164} --to ivr:{row.name}`)")
        in_service = number.destination.kind != "hangup"  # a DID that only hangs up belongs to nobody
        if number.destination != target and in_service and not s.move_numbers:
            now = references.describe(tenant, number.destination)
            raise InvalidInput("numbers", f"{e164} routes to {now}; ask to move it to this menu "
                                            "(move_numbers; --move-number on the command line)")
        number.destination = target
        number.save()


def _set_short_number(row: IvrMenu, tenant: Tenant, text: str) -> None:
    target = Destination("ivr", str(row.id))
    ShortNumber.delete().where(ShortNumber.tenant == tenant, ShortNumber.destination == str(target)).execute()
    if not text:
        return
    number = validate.extension(text, "short_number")
    if User.select().where(User.tenant == tenant, User.extension == number).exists():
        raise InvalidInput("short_number", f"{number} is the extension of a user of {tenant.domain}")
    if ShortNumber.select().where(ShortNumber.tenant == tenant, ShortNumber.number == number).exists():
        raise InvalidInput("short_number", f"{number} is already a short number of {tenant.domain}")
    ShortNumber.create(tenant=tenant, number=number, destination=target)


def check_whole(row: IvrMenu, tenant: Tenant) -> None:
    options = options_of(row)
    if row.forward_mode == FORWARD_SCHEDULE and (row.schedule_id is None or row.closed_destination is None):
        raise InvalidInput("schedule", "forward mode 'schedule' needs a schedule and where calls go while closed")
    if row.forward_mode == FORWARD_ALWAYS and row.forward_destination is None:
        raise InvalidInput("forward_to", "forward mode 'forward' needs where to forward to")
    if not options and not row.direct_dial and row.forward_mode != FORWARD_ALWAYS:
        raise InvalidInput("options", "a menu needs at least one option (KEY=DESTINATION) or direct dial")
    me = Destination("ivr", str(row.id))
    for flag, destination in (("closed", row.closed_destination), ("forward_to", row.forward_destination)):
        if destination == me:
            raise InvalidInput(flag, "a menu cannot send its calls to itself")
    named = [(f"options.{k}", d) for k, d in options.items()]
    named += [("exit", row.exit_destination), ("closed", row.closed_destination),
              ("forward_to", row.forward_destination)]
    alive = existing(tenant.id, [d for _, d in named if d is not None])
    for flag, destination in named:
        if destination is not None and destination not in alive:
            raise InvalidInput(flag, f"{references.describe(tenant, destination)} no longer exists; "
                                     "choose another destination")


def _check_unique(tenant: Tenant, name: str, own_id: int | None) -> None:
    query = IvrMenu.select().where(IvrMenu.tenant == tenant, IvrMenu.name == name, IvrMenu.deleted_at.is_null())
    if own_id is not None:
        query = query.where(IvrMenu.id != own_id)
    if query.exists():
        raise InvalidInput("name", f"an IVR menu named {name!r} already exists")


def _destination(tenant: Tenant, text: str, flag: str, kinds: tuple) -> Destination | None:
    if not text:
        return None
    destination = references.resolve(tenant, text, flag)
    if destination.kind not in kinds:
        raise InvalidInput(flag, f"must be one of {', '.join(kinds)}, not {destination.kind}")
    return destination


def _audio(tenant: Tenant, name: str, flag: str):
    try:
        return get_audio(tenant, name, flag)
    except NotFound as exc:
        raise InvalidInput(flag, exc.message + " (upload it to the audio library first)") from None


def _schedule(tenant: Tenant, name: str):
    try:
        return get_schedule(tenant, name)
    except NotFound as exc:
        raise InvalidInput("schedule", exc.message) from None


def _bounded(value, low: int, high: int, flag: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(flag, f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidInput(flag, f"must be between {low} and {high}")
    return number


def routes_to(row: IvrMenu) -> list[str]:
    """What else still sends calls to the menu (its own options and short number excepted)."""
    return sorted({_describe(other) for other in references.rows_referring_to(Destination("ivr", str(row.id)))
                   if not isinstance(other, ShortNumber)
                   and not (isinstance(other, IvrOption) and other.menu_id == row.id)})


def _describe(other) -> str:
    if isinstance(other, IvrOption):
        return f"option {other.key} of IVR menu {other.menu.name!r}"
    return references.describe_row(other)


def clear(row: IvrMenu) -> None:
    """Soft delete (inside the caller's transaction): the row stays for billing; options, short
    number and references go."""
    IvrOption.delete().where(IvrOption.menu == row).execute()
    _set_short_number(row, row.tenant, "")
    for column in AUDIO.values():
        setattr(row, column, None)
    row.schedule = row.closed_destination = row.forward_destination = None
    row.exit_destination = HANGUP
    row.deleted_at = utcnow()
    row.save()
