"""Phone provisioning, the application layer: devices (a desk phone by MAC, given to one user) and
the file a phone fetches.

Adding a device gives it a random secret, shown once: the phone presents it (HTTP Basic, user =
its MAC) with every fetch. The user's SIP password becomes one derived from that secret
(secrets.derived), so the file can carry it without Centralita keeping it anywhere: who has only a
MAC, or a copy of the database, has no SIP password. Hence one device per user (a second would
change the first one's password), and removing a device gives the user a new random SIP password
nobody is shown, so the removed phone stops registering (`user reset-password` gives a new one).
Giving a phone to another user is the same pair of steps in one transaction (change_device).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import zoneinfo
from contextlib import contextmanager
from importlib import resources
import secrets as random
from dataclasses import dataclass

import peewee

from fs_plugins.access import secrets
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.core.app import a1_hash
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.featurecodes.app import codes_of
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.provisioning import Device
from fs_plugins.provisioning import rules
from fs_plugins.provisioning.render import render
from fs_plugins.voicemail.boxes import GENERAL

log = logging.getLogger(__name__)
SIP_PURPOSE = "centralita sip password"
SPEED_KEYS = (("dnd_toggle", "DND"), ("voicemail", "Voicemail"))  # feature-code keys every phone gets
GENERAL_MWI_LABEL = "General"


@dataclass(frozen=True)
class DeviceView:
    tenant: str
    mac: str
    vendor: str
    user: str  # the extension
    blf: tuple[str, ...]
    general_mwi: bool  # a key shows the tenant's general voicemail box's lamp
    file: str  # the file name the phone asks for under /provision/<vendor>/
    created_at: dt.datetime


@dataclass(frozen=True)
class NewDevice:
    device: DeviceView
    secret: str  # the phone's provisioning password: shown once, never stored in clear


def add_device(ctx: AppContext, tenant: str, mac: str, vendor: str, user: str,
               blf: tuple[str, ...] = (), general_mwi: bool = False) -> Changed[NewDevice]:
    require_admin(ctx, "add phones")
    owner = tenant_in_scope(ctx, tenant)
    address, vendor = rules.mac(mac), rules.vendor(vendor)
    secret = random.token_urlsafe(24)
    with _one_phone_each(address, user), database.atomic():
        person = user_in_scope(ctx, owner, user)
        keys = _colleagues(owner, rules.blf_list(blf, person.extension))
        if Device.get_or_none(Device.mac == address) is not None:
            raise Conflict("mac", f"{rules.mac(mac)} is already a provisioned phone")
        if Device.get_or_none(Device.user == person) is not None:
            raise _user_has_one(person.extension)
        row = Device.create(tenant=owner, user=person, mac=address, vendor=vendor,
                            secret_digest=secrets.digest(secret), blf=",".join(keys), general_mwi=bool(general_mwi))
        _set_sip_password(person, sip_password(secret))
        ctx.record("device.create", owner, f"phone {address}",
                   {"mac": address, "vendor": vendor, "user": person.extension, "blf": list(keys),
                    "general_mwi": bool(general_mwi)})
    return Changed(NewDevice(_view(owner, row), secret), ctx.freeswitch.flush_users([(person.extension, owner.domain)]))


def list_devices(ctx: AppContext, tenant: str) -> list[DeviceView]:
    require_admin(ctx, "list phones")
    owner = tenant_in_scope(ctx, tenant)
    return [_view(owner, row) for row in Device.select().where(Device.tenant == owner).order_by(Device.mac)]


def change_device(ctx: AppContext, tenant: str, mac: str, blf: tuple[str, ...] | None = None,
                  general_mwi: bool | None = None, user: str | None = None,
                  vendor: str | None = None) -> Changed[NewDevice]:
    """Change a phone without removing it (None: unchanged), checked as add_device checks.

    Keys or vendor: the phone keeps its secret, and so its user's SIP password; it gets the new keys,
    or asks for the other vendor's file, at its next fetch. Another user: Centralita keeps no secret
    the new user's SIP password could be derived from, so the phone gets a new secret (in `secret`,
    shown once; "" when it keeps its own) and the new user the SIP password derived from it, while
    the previous user gets a new random one nobody is shown, as when the phone is removed: the phone
    no longer registers as them. Both users are flushed from FreeSWITCH's cache."""
    require_admin(ctx, "change phones")
    owner = tenant_in_scope(ctx, tenant)
    address = rules.mac(mac)
    new_vendor = None if vendor is None else rules.vendor(vendor)
    with _one_phone_each(None, user or ""), database.atomic():
        row = Device.get_or_none(Device.mac == address, Device.tenant == owner)
        if row is None:
            raise NotFound("mac", f"no phone {mac!r} in {owner.domain}")
        previous, given = row.user, {}
        if user is not None:
            person = user_in_scope(ctx, owner, user)
            if person.id != previous.id:
                if Device.get_or_none(Device.user == person) is not None:
                    raise _user_has_one(person.extension)
                row.user, given["user"] = person, person.extension
        if new_vendor is not None and new_vendor != row.vendor:
            row.vendor = given["vendor"] = new_vendor
        if blf is not None or "user" in given:  # the new user's own extension may not be one of the keys
            current = blf if blf is not None else (tuple(row.blf.split(",")) if row.blf else ())
            row.blf = ",".join(_colleagues(owner, rules.blf_list(current, row.user.extension)))
            if blf is not None:
                given["blf"] = row.blf.split(",") if row.blf else []
        if general_mwi is not None:
            row.general_mwi = given["general_mwi"] = bool(general_mwi)
        secret = _give_to_new_user(row, previous) if "user" in given else ""
        row.save()
        ctx.record("device.update", owner, f"phone {address}", given)
    view = NewDevice(_view(owner, row), secret)
    if not secret:
        return Changed(view)
    return Changed(view, ctx.freeswitch.flush_users([(previous.extension, owner.domain),
                                                     (row.user.extension, owner.domain)]))


def _user_has_one(extension: str) -> Conflict:
    return Conflict("user", f"user {extension} already has a provisioned phone (remove it first)")


@contextmanager
def _one_phone_each(mac: str | None, user: str):
    """Two administrators giving a phone at once (the same MAC, or phones to the same user): the
    checks above both pass, and the unique index refuses the second when the first commits. Said as
    the checks say it, not a 500. `mac`: the MAC being added (None: a change, which keeps its MAC)."""
    try:
        yield
    except peewee.IntegrityError:
        if mac is not None and Device.get_or_none(Device.mac == mac) is not None:
            raise Conflict("mac", f"{mac} is already a provisioned phone") from None
        raise _user_has_one(user.strip()) from None


def _give_to_new_user(row: Device, previous: User) -> str:
    """A new secret for the phone, the new user's SIP password derived from it, and a random one
    for the previous user (the phone stops registering as them); returns the secret."""
    secret = random.token_urlsafe(24)
    row.secret_digest = secrets.digest(secret)
    _set_sip_password(row.user, sip_password(secret))
    _set_sip_password(previous, random.token_urlsafe(18))
    return secret


def remove_device(ctx: AppContext, tenant: str, mac: str) -> Changed[DeviceView]:
    require_admin(ctx, "remove phones")
    owner = tenant_in_scope(ctx, tenant)
    with database.atomic():
        row = Device.get_or_none(Device.mac == rules.mac(mac), Device.tenant == owner)
        if row is None:
            raise NotFound("mac", f"no phone {mac!r} in {owner.domain}")
        view = _view(owner, row)
        person = row.user
        row.delete_instance()
        _set_sip_password(person, random.token_urlsafe(18))  # the removed phone stops registering
        ctx.record("device.delete", owner, f"phone {view.mac}", {"user": view.user})
    return Changed(view, ctx.freeswitch.flush_users([(person.extension, owner.domain)]))


def phone_file(vendor: str, file_name: str, mac: str, secret: str, base_url: str, proxy: str = "",
               today: dt.date | None = None) -> bytes | None:
    """The file a phone asked for, when `mac` and `secret` are that phone's and the file is its own;
    None otherwise (the caller answers 404 and counts the failure)."""
    wanted = rules.requested(vendor, file_name)
    try:
        address = rules.mac(mac)
    except InvalidInput:  # a user name that is no MAC: simply not this phone
        return None
    row = Device.get_or_none(Device.mac == address) if wanted == address else None
    if row is None or row.vendor != vendor or not secrets.matches(secret, row.secret_digest):
        return None
    return render(_phone(row, sip_password(secret), base_url, proxy, today or dt.date.today()))


def sip_password(secret: str) -> str:
    return secrets.derived(secret, SIP_PURPOSE)[:32]


def _phone(row: Device, password: str, base_url: str, proxy: str, today: dt.date) -> rules.PhoneFile:
    owner, person = row.tenant, row.user
    codes = codes_of(owner)
    names = {u.extension: u.display_name for u in
             User.select().where(User.tenant == owner, User.extension.in_(row.blf.split(",") if row.blf else []))}
    keys = [rules.Key("blf", names[ext], ext) for ext in (row.blf.split(",") if row.blf else []) if ext in names]
    if row.general_mwi:
        keys.append(rules.Key("mwi", GENERAL_MWI_LABEL, GENERAL))
    keys += [rules.Key("speed", label, codes[feature]) for feature, label in SPEED_KEYS if codes.get(feature)]
    language = rules.LANGUAGES[row.vendor].get(owner.language.split("-")[0], rules.LANGUAGES[row.vendor]["en"])
    phonebook = f"{base_url}/phonebook/{owner.domain}/{_PHONEBOOKS[row.vendor]}" if row.vendor in _PHONEBOOKS else ""
    return rules.PhoneFile(
        row.vendor, row.mac, owner.domain, person.extension, person.display_name, password, proxy or owner.domain,
        phonebook, language,
        rules.standard_offset_minutes(owner.timezone, today), codes.get("pickup_direct", "**"), tuple(keys),
        rules.posix_tz(_tzif(owner.timezone), rules.standard_offset_minutes(owner.timezone, today)),
        rules.summer_time(owner.timezone, today.year) if row.vendor == "fanvil" else None)


# The phonebook format each vendor reads (fs_plugins/contacts/phonebook.py).
_PHONEBOOKS = {"yealink": "yealink.xml", "snom": "snom.xml", "grandstream": "grandstream.xml", "cisco": "cisco.xml",
               "fanvil": "fanvil.xml"}


def _tzif(zone: str) -> bytes:
    """The zone's compiled TZif file as zoneinfo finds it (system zoneinfo, else the tzdata package);
    b"" when neither has it."""
    for directory in zoneinfo.TZPATH:
        path = os.path.join(directory, *zone.split("/"))
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*zone.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return b""


def _colleagues(owner: Tenant, extensions: tuple[str, ...]) -> tuple[str, ...]:
    found = {u.extension for u in User.select().where(User.tenant == owner, User.extension.in_(list(extensions)))}
    missing = [ext for ext in extensions if ext not in found]
    if missing:
        raise NotFound("blf", f"no user {missing[0]!r} in {owner.domain}")
    return extensions


def _set_sip_password(person: User, password: str) -> None:
    person.a1_hash = a1_hash(person.extension, person.tenant.domain, password)
    person.updated_at = utcnow()
    person.save()


def _view(owner: Tenant, row: Device) -> DeviceView:
    return DeviceView(owner.domain, row.mac, row.vendor, row.user.extension,
                      tuple(row.blf.split(",")) if row.blf else (), bool(row.general_mwi),
                      rules.file_name(row.vendor, row.mac),
                      row.created_at)
