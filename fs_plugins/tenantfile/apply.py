"""`centralita apply FILE`: make a tenant match its file, through the features' application layers.

The file is checked against the JSON Schema, brought to the export's form and compared with the
tenant's export (plan.py). Applying runs every change through the same app.py functions the CLI,
the API and the portal call (so every value is checked and every change audited as theirs are),
inside one transaction: an error anywhere rolls everything back and is reported at its YAML path
(``users[3].forwards.no_answer.seconds: must be 5 to 300 seconds``). FreeSWITCH is told to drop the
directory entries the changes made stale once, after the commit.

Order matters because items refer to each other by name: the tenant, audio, schedules and users
first; new IVR menus and groups as bare rows (a menu and a group may point at each other); then
the custom flows the tenant may use and their routes (a route's settings may name a new menu; menus,
forwards and DIDs may route to it); every menu's and group's settings, the users' call handling,
the DIDs and the contacts; removals last, what routes to something before what it routes to.

New users get a random SIP password nobody is shown (no phone can register as them) unless
`passwords` is asked for: then the generated passwords are returned, to be shown once. A password
is set later with `centralita user set --tenant DOMAIN EXT --password-stdin`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from fs_plugins.application import AppContext, require_operator
from fs_plugins.audio import app as audio
from fs_plugins.callflows import app as callflows
from fs_plugins.callhandling import app as callhandling
from fs_plugins.contacts import app as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.core import app as core
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.fsapi import FlushReport
from fs_plugins.groups import app as groups
from fs_plugins.ivr import app as ivr
from fs_plugins.models import database
from fs_plugins.schedule import app as schedule
from fs_plugins.tenantfile import document, kinds
from fs_plugins.tenantfile.export import export_tenant
from fs_plugins.tenantfile.forms import as_exported
from fs_plugins.tenantfile.plan import ADD, CHANGE, REMOVE, Plan, canonical_document, contact_diff, make_plan
from fs_plugins.voicemail import app as voicemail

Track = Callable[[Iterable, str, int], Iterable]
FORWARDS = {"always": "always", "busy": "busy", "not_registered": "not-registered"}
GROUP_DESTINATIONS = ("no_answer_destination", "closed_destination", "overflow_destination")
# App fields that are named otherwise in the file (renames for a step's errors).
ALLOW = {"--allow": "", "allow": ""}
BOX = {"attach": "attach_audio", "keep": "keep_after_email"}
NUMBER = {"destination": "to"}
CONTACT = dict.fromkeys(("kind", "number", "work", "mobile", "home", "other"), "numbers")


@dataclass(frozen=True)
class Applied:
    plan: Plan
    done: bool  # False: a dry run, or nothing to change
    passwords: dict[str, str]  # extension -> generated SIP password (only when asked for)
    freeswitch: FlushReport = FlushReport()


@dataclass(frozen=True)
class _Step:
    path: str  # the YAML path errors are reported under
    run: Callable[[], object]
    rename: dict = dataclasses.field(default_factory=dict)  # app field -> YAML key ("": the path itself)


def plan_file(ctx: AppContext, data: dict) -> tuple[Plan, dict, dict | None]:
    """(the plan, the file's document in the export's form, the tenant's export or None)."""
    require_operator(ctx, "apply tenant files")
    _string_keys(data)
    document.check(data)
    desired = as_exported(canonical_document(data))
    try:
        current = export_tenant(ctx, desired["tenant"]["domain"])
    except NotFound:
        current = None
    _secrets_only_when_created(ctx, desired, current or {})
    return make_plan(current, desired), desired, current


def _secrets_only_when_created(ctx: AppContext, desired: dict, current: dict) -> None:
    """An export never holds a flow's secret setting (a PIN). One written in the file by hand is
    given when its flow or route is created; an existing one keeps what it has (`flow set` changes
    it), so applying the same file again plans no change."""
    for section in ("flows", "flow_routes"):
        key = kinds.KEYS[section]
        existing = {item[key] for item in current.get(section) or ()}
        for item in desired.get(section) or ():
            if item[key] in existing and item.get("settings"):
                secret = callflows.secret_settings(ctx, item["flow"])
                item["settings"] = {k: v for k, v in item["settings"].items() if k not in secret}
                if not item["settings"]:
                    del item["settings"]


def apply_file(ctx: AppContext, data: dict, *, dry_run: bool = False, audio_dir: str | Path | None = None,
               passwords: bool = False, track: Track | None = None,
               on_plan: Callable[[Plan], object] | None = None) -> Applied:
    """Plan (handed to `on_plan` before anything is done), then apply unless `dry_run`."""
    plan, desired, current = plan_file(ctx, data)
    if on_plan is not None:
        on_plan(plan)
    if dry_run or not plan.changes:
        return Applied(plan, False, {})
    track = track or (lambda items, what, total: items)
    port = _Collecting()
    run = _Run(dataclasses.replace(ctx, freeswitch=port), plan, desired, current or {}, audio_dir, passwords)
    run.raw_audio = data.get("audio") or []
    steps = run.steps()
    try:
        with database.atomic():
            for step in track(steps, "applying", len(steps)):
                _at(step)
    except BaseException:
        run.discard_uploads()
        raise
    if port.events:
        ctx.freeswitch.send_events(port.events)
    return Applied(plan, True, run.passwords, ctx.freeswitch.flush_users(port.users()))


def _at(step: _Step) -> None:
    try:
        step.run()
    except (InvalidInput, NotFound) as exc:  # Conflict is an InvalidInput: it keeps its class
        raise type(exc)(yaml_field(step.path, step.rename.get(exc.field, exc.field)), exc.message) from None


def yaml_field(path: str, field: str) -> str:
    """users[3].forwards.no_answer + seconds; a field naming an entry of a list: [2].to."""
    if not field:
        return path
    return f"{path}{field}" if field.startswith("[") else f"{path}.{field}"


def _entry(index: int, exc: InvalidInput) -> InvalidInput:
    """The error of the `index`th entry of a list a step works through, at that entry's path."""
    return type(exc)(yaml_field(f"[{index}]", exc.field), exc.message)


class _Collecting:
    """Holds the cache flushes back until the transaction has committed (and sends each once)."""

    def __init__(self):
        self.pending: dict[tuple[str, str], None] = {}
        self.events: list = []

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport:
        self.pending.update(dict.fromkeys(users))
        return FlushReport()

    def send_events(self, events) -> FlushReport:
        self.events += events
        return FlushReport()

    def users(self) -> list[tuple[str, str]]:
        return list(self.pending)


class _Run:
    def __init__(self, ctx: AppContext, plan: Plan, desired: dict, current: dict, audio_dir, passwords: bool):
        self.ctx, self.plan, self.desired, self.current = ctx, plan, desired, current
        self.domain = desired["tenant"]["domain"]
        self.audio_dir = Path(audio_dir) if audio_dir else None
        self.want_passwords, self.passwords = passwords, {}
        self.uploaded: list[Path] = []
        self.raw_audio: list[dict] = []  # the file's audio items as written (their `file`)

    # ---- the steps, in order ---------------------------------------------------------------
    def steps(self) -> list[_Step]:
        steps = self._tenant() + self._audio()
        steps += self._schedules() + self._users_first()
        steps += self._bare(ADD, "ivr_menus", lambda item: ivr.add_menu(self.ctx, self.domain, item["name"],
                                                                         direct_dial=True))
        steps += self._bare(ADD, "groups", lambda item: groups.add_group(self.ctx, self.domain, item["name"],
                                                                          kind=item.get("kind")))
        steps += self._restrictions() + self._release_short_numbers() + self._flows() + self._flow_routes()
        steps += self._menus() + self._groups() + self._users_then() + self._numbers() + self._contacts()
        steps += self._removals()
        return steps

    def _tenant(self) -> list[_Step]:
        want, ctx, domain = kinds.full(self.desired["tenant"], kinds.TENANT), self.ctx, self.domain
        steps = []
        for change in self.plan.of("tenant"):
            have = kinds.full(self.current.get("tenant", {}), kinds.TENANT)
            settings = {k: want.get(k) for k in core.TENANT_SETTINGS}
            if change.action == ADD:
                steps.append(_Step("tenant", lambda: core.add_tenant(ctx, domain, **settings)))
            else:
                given = {k: (v if v is not None else "") for k, v in settings.items() if v != have.get(k)}
                if given:
                    steps.append(_Step("tenant", lambda: core.set_tenant(ctx, domain, **given)))
            if want["restrictions"] != have["restrictions"]:
                steps.append(_Step("tenant.restrictions", lambda: _restrict(ctx, domain, None, want["restrictions"]),
                                   ALLOW))
            if want["voicemail"] != have["voicemail"]:
                steps.append(_Step("tenant.voicemail", lambda: _box(ctx, domain, None, want["voicemail"]), BOX))
            if want["feature_codes"] != have["feature_codes"]:
                steps.append(_Step("tenant.feature_codes", lambda: featurecodes.replace_codes(
                    ctx, domain, want["feature_codes"] or {})))
        return steps

    def _audio(self) -> list[_Step]:
        return [_Step(c.path, lambda c=c: self._upload(self._item(c))) for c in self.plan.of("audio", ADD)]

    def _upload(self, item: dict) -> None:
        source = next(a for a in self.raw_audio if a["name"] == item["name"])["file"]
        if self.audio_dir is None:
            raise InvalidInput("file", f"{item['name']!r} is not in the audio library of {self.domain}; give the "
                                       "folder holding the exported files (--audio-dir) or upload it first")
        path = self.audio_dir / Path(source).name
        stored = audio.upload_audio(self.ctx, self.domain, item["name"], path, keep_file_name=True).value
        self.uploaded.append(Path(audio.audio_path(self.ctx, self.domain, stored.name)))

    def _schedules(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("schedules"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.SCHEDULE)
            have = kinds.full(self._current("schedules", change.key) or {"name": change.key}, kinds.SCHEDULE)
            values = dict(hours=want["hours"], timezone=want["timezone"] or "tenant", holidays=want["holidays"],
                          region=want["region"] or None, description=want["description"] or "")
            if change.action == ADD:
                values["timezone"] = want["timezone"]
                steps.append(_Step(change.path, lambda n=change.key, v=values:
                                   schedule.add_schedule(self.ctx, self.domain, n, **v)))
            else:
                steps.append(_Step(change.path, lambda n=change.key, v=values:
                                   schedule.change_schedule(self.ctx, self.domain, n, **v)))
            for kind, plural in (("closure", "closures"), ("opening", "openings")):
                if want[plural] != have[plural]:
                    steps.append(_Step(f"{change.path}.{plural}", lambda n=change.key, k=kind, p=want[plural]:
                                       self._periods(n, k, p)))
        return steps

    def _periods(self, name: str, kind: str, periods: list[dict]) -> None:
        for old in schedule.list_periods(self.ctx, self.domain, name, kind):
            schedule.remove_period(self.ctx, self.domain, name, kind, old.id)
        for index, period in enumerate(periods):
            try:
                schedule.add_period(self.ctx, self.domain, name, kind, _when(period["starts_at"], "starts_at"),
                                    _when(period["ends_at"], "ends_at"), period.get("label") or None)
            except InvalidInput as exc:
                raise _entry(index, exc) from None

    def _users_first(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("users"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.USER)
            if change.action == ADD:
                steps.append(_Step(change.path, lambda w=want: self._add_user(w)))
            elif {"name", "email", "enabled"} & set(change.fields):
                steps.append(_Step(change.path, lambda w=want: core.set_user(
                    self.ctx, self.domain, w["extension"], name=w["name"], email=w["email"] or "",
                    enabled=w["enabled"])))
        return steps

    def _add_user(self, want: dict) -> None:
        done = core.add_user(self.ctx, self.domain, want["extension"], want["name"], want["email"],
                             enabled=want["enabled"])
        if self.want_passwords:
            self.passwords[want["extension"]] = done.value.sip_password

    def _bare(self, action: str, section: str, create: Callable[[dict], object]) -> list[_Step]:
        return [_Step(c.path, lambda c=c: create(self._item(c))) for c in self.plan.of(section, action)]

    def _restrictions(self) -> list[_Step]:
        """Users' outbound restrictions before anything is checked against them (forwards, rings)."""
        steps = []
        for change in self.plan.of("users"):
            allow = None if change.action == REMOVE else self._item(change).get("restrictions")
            if change.action == ADD and allow is not None or "restrictions" in change.fields:
                steps.append(_Step(f"{change.path}.restrictions", lambda e=change.key, a=allow:
                                   _restrict(self.ctx, self.domain, e, a), ALLOW))
        return steps

    def _release_short_numbers(self) -> list[_Step]:
        """A short number moving from one menu or group to another is let go of first."""
        steps = []
        for section, change_fn in (("ivr_menus", ivr.change_menu), ("groups", groups.change_group)):
            for change in self.plan.of(section, CHANGE):
                if "short_number" in change.fields and self._current(section, change.key).get("short_number"):
                    steps.append(_Step(f"{change.path}.short_number", lambda f=change_fn, n=change.key:
                                       f(self.ctx, self.domain, n, short_number="")))
        return steps

    def _menus(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("ivr_menus"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.MENU)
            have = kinds.full(self._current("ivr_menus", change.key) or {"direct_dial": True}, kinds.MENU)
            values = {k: ("" if v is None else v) for k, v in want.items()
                      if k not in ("name", "options") and (v != have[k] or change.action == ADD)}
            options = {k: v for k, v in want["options"].items() if have["options"].get(k) != v}
            gone = tuple(k for k in have["options"] if k not in want["options"])
            steps.append(_Step(change.path, lambda n=change.key, v=values, o=options, g=gone: ivr.change_menu(
                self.ctx, self.domain, n, remove_options=g, options=o, **v)))
        return steps

    def _groups(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("groups"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.GROUP)
            have = kinds.full(self._current("groups", change.key) or {}, kinds.GROUP)
            values = {k: ("" if v is None else v) for k, v in want.items()
                      if k not in ("name", "members") and v != have[k]}
            if values:
                steps.append(_Step(change.path, lambda n=change.key, v=values:
                                   groups.change_group(self.ctx, self.domain, n, **v)))
            if want["members"] != have["members"]:
                steps.append(_Step(f"{change.path}.members", lambda n=change.key, old=have["members"],
                                   new=want["members"]: self._members(n, old, new)))
        return steps

    def _members(self, name: str, old: list[dict], new: list[dict]) -> None:
        for member in old:
            groups.remove_member(self.ctx, self.domain, name, user=member.get("user"), number=member.get("number"))
        for index, member in enumerate(new):
            try:
                groups.add_member(self.ctx, self.domain, name, user=member.get("user"), number=member.get("number"),
                                  paused=bool(member.get("paused")))
            except InvalidInput as exc:
                raise _entry(index, exc) from None

    def _flows(self) -> list[_Step]:
        """The flows the operator enables for the tenant, with their tenant-wide settings."""
        steps = []
        for change in self.plan.of("flows"):
            if change.action != REMOVE:  # a flow not installed here: NotFound at flows[i].flow
                values, gone = self._settings_change("flows", change)
                steps.append(_Step(change.path, lambda c=change, v=values, g=gone: callflows.enable_flow(
                    self.ctx, self.domain, c.key, v, unset=g, enabled_only=c.action == CHANGE)))
        return steps

    def _flow_routes(self) -> list[_Step]:
        """Routes before what routes to them (menus, forwards, numbers); their own destinations
        (users, bare menus and groups) exist by now."""
        steps = []
        for change in self.plan.of("flow_routes"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.FLOW_ROUTE)
            values, gone = self._settings_change("flow_routes", change)
            if change.action == ADD:
                steps.append(_Step(change.path, lambda n=change.key, w=want, v=values: callflows.add_route(
                    self.ctx, self.domain, n, w["flow"], v, w["fallback"])))
            elif "flow" in change.fields:
                steps.append(_Step(f"{change.path}.flow", lambda: _refuse(
                    "a route's flow cannot change: remove the route and attach the flow under another name")))
            else:
                fallback = (want["fallback"] or "") if "fallback" in change.fields else None
                steps.append(_Step(change.path, lambda n=change.key, v=values, g=gone, f=fallback:
                                   callflows.change_route(self.ctx, self.domain, n, values=v, unset=g, fallback=f)))
        return steps

    def _settings_change(self, section: str, change) -> tuple[dict, tuple[str, ...]]:
        """(the settings to set, the ones to unset) for a flow or route of the file."""
        want = self._item(change).get("settings") or {}
        have = (self._current(section, change.key) or {}).get("settings") or {}
        return {k: v for k, v in want.items() if have.get(k) != v}, tuple(k for k in have if k not in want)

    def _users_then(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("users"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.USER)
            have = kinds.full(self._current("users", change.key) or {}, kinds.USER)
            extension, path = change.key, change.path
            if want["forwards"] != have["forwards"]:
                steps += self._forwards(path, extension, want["forwards"] or {}, have["forwards"] or {})
            if want["dnd"] != have["dnd"]:
                dnd = kinds.full(want["dnd"] or {}, kinds.DND)
                steps.append(_Step(f"{path}.dnd", lambda e=extension, d=dnd: callhandling.set_dnd(
                    self.ctx, self.domain, e, d["on"], d["mode"])))
            if want["simultaneous_ring"] != have["simultaneous_ring"]:
                steps.append(_Step(f"{path}.simultaneous_ring", lambda e=extension, o=have["simultaneous_ring"],
                                   n=want["simultaneous_ring"]: self._rings(e, o, n)))
            if want["voicemail"] != have["voicemail"]:
                steps.append(_Step(f"{path}.voicemail", lambda e=extension, b=want["voicemail"]:
                                   _box(self.ctx, self.domain, e, b), BOX))
            if want["pickup_group"] != have["pickup_group"]:
                steps.append(_Step(f"{path}.pickup_group", lambda e=extension, g=want["pickup_group"]:
                                   featurecodes.set_pickup_group(self.ctx, self.domain, e, g), {"group": ""}))
            if want["contacts"] != have["contacts"]:
                steps.append(_Step(f"{path}.contacts", lambda e=extension, o=have["contacts"], n=want["contacts"]:
                                   self._sync_contacts(e, o, n)))
        return steps

    def _forwards(self, path: str, extension: str, want: dict, have: dict) -> list[_Step]:
        steps, ctx, domain = [], self.ctx, self.domain
        for key, when in FORWARDS.items():
            if want.get(key) != have.get(key):
                to = want.get(key)
                steps.append(_Step(f"{path}.forwards.{key}", lambda w=when, t=to: (
                    callhandling.set_forward(ctx, domain, extension, w, t) if t is not None
                    else callhandling.clear_forward(ctx, domain, extension, w)), {"to": ""}))
        new, old = kinds.full(want.get("no_answer") or {}, kinds.NO_ANSWER), kinds.full(have.get("no_answer") or {},
                                                                                        kinds.NO_ANSWER)
        if new != old:
            def no_answer():
                if new["to"] is None and old["to"] is not None:
                    callhandling.clear_forward(ctx, domain, extension, "no-answer")
                callhandling.set_forward(ctx, domain, extension, "no-answer", new["to"], seconds=new["seconds"])
            steps.append(_Step(f"{path}.forwards.no_answer", no_answer))
        return steps

    def _rings(self, extension: str, old: list[dict], new: list[dict]) -> None:
        for ring in old:
            callhandling.remove_ring(self.ctx, self.domain, extension, ring["to"])
        for index, ring in enumerate(new):
            ring = kinds.full(ring, kinds.RING)
            try:
                callhandling.add_ring(self.ctx, self.domain, extension, ring["to"], ring["delay"], ring["confirm"])
            except InvalidInput as exc:
                raise _entry(index, exc) from None

    def _numbers(self) -> list[_Step]:
        steps = []
        for change in self.plan.of("numbers"):
            if change.action == REMOVE:
                continue
            want = kinds.full(self._item(change), kinds.NUMBER)
            number, to, text = want["number"], want["to"], want["description"]
            if change.action == ADD:
                steps.append(_Step(change.path, lambda n=number, t=to, d=text:
                                   core.add_number(self.ctx, self.domain, n, t, d), NUMBER))
            elif "description" in change.fields:  # no app call changes only the description
                steps.append(_Step(change.path, lambda n=number, t=to, d=text: (
                    core.remove_number(self.ctx, self.domain, n), core.add_number(self.ctx, self.domain, n, t, d)), NUMBER))
            else:
                steps.append(_Step(change.path, lambda n=number, t=to:
                                   core.route_number(self.ctx, self.domain, n, t), NUMBER))
        return steps

    def _contacts(self) -> list[_Step]:
        if not self.plan.of("contacts"):
            return []
        return [_Step("contacts", lambda: self._sync_contacts(None, self.current.get("contacts") or [],
                                                              self.desired["contacts"]))]

    def _sync_contacts(self, extension: str | None, old: list[dict], new: list[dict]) -> None:
        ctx, domain = self.ctx, self.domain
        old = [kinds.canonical("contacts", c) for c in old]
        removed, added = contact_diff(old, new)
        if removed:
            ids = [c.id for c in contacts.list_contacts(ctx, domain, extension) if c.source != "user"]
            for index in removed:  # the export lists contacts in the directory's order
                contacts.remove_contact(ctx, domain, extension, ids[index])
        for index in added:
            item = kinds.full(new[index], kinds.CONTACT)
            try:
                contacts.add_contact(ctx, domain, extension, ContactInput(
                    item["name"], item["company"], item["email"], item["note"],
                    tuple((n["kind"], n["number"]) for n in item["numbers"])))
            except InvalidInput as exc:
                raise _entry(index, type(exc)(CONTACT.get(exc.field, exc.field), exc.message)) from None

    def _removals(self) -> list[_Step]:
        ctx, domain, steps = self.ctx, self.domain, []
        for change in self.plan.of("numbers", REMOVE):
            steps.append(_Step(change.path, lambda n=change.key: core.remove_number(ctx, domain, n)))
        for change in self.plan.of("groups", REMOVE):  # its routes go first: a removed menu may be one
            steps.append(_Step(change.path, lambda n=change.key: groups.change_group(
                ctx, domain, n, **dict.fromkeys(GROUP_DESTINATIONS, ""), opening="open", schedule="")))
        for change in self.plan.of("users", REMOVE):
            rings = (self._current("users", change.key) or {}).get("simultaneous_ring") or []
            steps.append(_Step(change.path, lambda e=change.key, r=rings: (  # what may route to another removed user
                callhandling.clear_forward(ctx, domain, e, "all"),
                [callhandling.remove_ring(ctx, domain, e, ring["to"]) for ring in r])))
        for change in self.plan.of("ivr_menus", REMOVE):  # a removed route may be reached from a removed menu
            menu = kinds.full(self._current("ivr_menus", change.key) or {}, kinds.MENU)
            keys = tuple(k for k, to in menu["options"].items() if _is_flow(to))
            ends = {"forward": "none", "closed": ""} if _is_flow(menu["closed"]) else {}  # exit, forward_to: no flows
            if keys or ends:
                steps.append(_Step(change.path, lambda n=change.key, k=keys, e=ends: ivr.change_menu(
                    ctx, domain, n, remove_options=k, **e)))
        for change in self.plan.of("flow_routes", REMOVE):  # before the menus, groups and users they route to
            steps.append(_Step(change.path, lambda n=change.key: callflows.remove_route(ctx, domain, n)))
        for change in self.plan.of("ivr_menus", REMOVE):
            steps.append(_Step(change.path, lambda n=change.key: ivr.remove_menu(ctx, domain, n)))
        for change in self.plan.of("groups", REMOVE):
            steps.append(_Step(change.path, lambda n=change.key: groups.remove_group(ctx, domain, n)))
        for change in self.plan.of("users", REMOVE):
            steps.append(_Step(change.path, lambda e=change.key: core.remove_user(ctx, domain, e)))
        for change in self.plan.of("schedules", REMOVE):
            steps.append(_Step(change.path, lambda n=change.key: schedule.remove_schedule(ctx, domain, n)))
        for change in self.plan.of("audio", REMOVE):
            steps.append(_Step(change.path, lambda n=change.key: audio.remove_audio(ctx, domain, n)))
        for change in self.plan.of("flows", REMOVE):  # its routes are gone: the file lists none without it
            steps.append(_Step(change.path, lambda n=change.key: callflows.disable_flow(ctx, domain, n)))
        return steps

    # ---- helpers ------------------------------------------------------------------------------
    def _item(self, change) -> dict:
        key = kinds.KEYS[change.section]
        return next(item for item in self.desired[change.section] if item[key] == change.key)

    def _current(self, section: str, name: str) -> dict | None:
        key = kinds.KEYS[section]
        return next((kinds.canonical(section, item) for item in self.current.get(section) or ()
                     if item[key] == name), None)

    def discard_uploads(self) -> None:
        """Sound files written for a transaction that rolled back would belong to nothing."""
        for path in self.uploaded:
            path.unlink(missing_ok=True)


def _restrict(ctx: AppContext, domain: str, extension: str | None, allow: str | None) -> None:
    if allow is not None:
        callhandling.set_restriction(ctx, domain, extension, allow)
    else:
        try:
            callhandling.clear_restriction(ctx, domain, extension)
        except NotFound:
            pass  # nothing to clear: the defaults already apply


def _box(ctx: AppContext, domain: str, extension: str | None, box: dict | None) -> None:
    if box is None:
        voicemail.remove_box(ctx, domain, extension)
        return
    box = kinds.full(box, kinds.BOX)
    voicemail.set_box(ctx, domain, extension, email=box["email"] or "", attach=box["attach_audio"],
                      keep=box["keep_after_email"], enabled=box["enabled"])


def _is_flow(destination: str | None) -> bool:
    return (destination or "").startswith("flow:")


def _refuse(message: str) -> None:
    raise InvalidInput("", message)


def _when(text: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise InvalidInput(field, f"expected a local time like 2026-12-24T14:00, got {text!r}") from None


def _string_keys(data: dict) -> None:
    """`1: user:1001` in YAML is an integer key: menus' keys are text."""
    for menu in data.get("ivr_menus") or ():
        if isinstance(menu, dict) and isinstance(menu.get("options"), dict):
            menu["options"] = {str(k): v for k, v in menu["options"].items()}
