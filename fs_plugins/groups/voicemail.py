"""Voicemail boxes: a box per user and the tenant's general box, served to mod_voicemail.

FreeSWITCH's mod_voicemail records, stores, e-mails and lights the message-waiting lamp; we only
feed it through the xml_curl directory (`directory_params`). The PIN is kept as `vm-a1-hash`
(md5 of "box:domain:pin"), which mod_voicemail checks itself, so no clear PIN is stored or served.
The general box is the directory user "general" of the tenant's domain (dialplan:
`voicemail default <domain> general`); it exists only while the tenant has a general box row.
"""
from __future__ import annotations

import peewee

import hashlib
import re
from dataclasses import dataclass

from fs_plugins import validate
from fs_plugins.commands.common import add_tenant_option, bool_option, open_tenant, print_table
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.groups import VoicemailBox

GENERAL = "general"
_PIN = re.compile(r"[0-9]{4,10}\Z")


@dataclass(frozen=True)
class BoxInfo:
    """What the directory needs of a box (loaded with prepared SQL on the hot path)."""

    pin_hash: str
    email: str | None
    attach_audio: bool
    keep_after_email: bool
    enabled: bool


def pin_hash(box: str, domain: str, pin: str) -> str:
    return hashlib.md5(f"{box}:{domain}:{pin}".encode()).hexdigest()


def directory_params(info: BoxInfo | None) -> list[tuple[str, str]]:
    """mod_voicemail's <param>s for a user (its own box) or the general box. Pure."""
    if info is None:
        return []
    if not info.enabled:
        return [("vm-enabled", "false")]
    params = [("vm-enabled", "true")]
    if info.pin_hash:
        params.append(("vm-a1-hash", info.pin_hash))
    if info.email:
        params += [("vm-mailto", info.email), ("vm-email-all-messages", "true"),
                   ("vm-attach-file", "true" if info.attach_audio else "false"),
                   ("vm-keep-local-after-email", "true" if info.keep_after_email else "false")]
    return params


# ---- service --------------------------------------------------------------------------------

def _owner(tenant: Tenant, extension: str | None) -> User | None:
    if extension is None:
        return None
    user = User.get_or_none(User.tenant == tenant, User.extension == extension.strip())
    if user is None:
        raise InvalidInput("--user", f"no user with extension {extension!r} in {tenant.domain}")
    return user


def find(tenant: Tenant, extension: str | None) -> VoicemailBox | None:
    owner = _owner(tenant, extension)
    query = VoicemailBox.select().where(VoicemailBox.tenant == tenant)
    return query.where(VoicemailBox.user.is_null() if owner is None else VoicemailBox.user == owner).first()


def set_box(tenant: Tenant, extension: str | None, *, pin: str | None = None, email: str | None = None,
            attach: bool | None = None, keep: bool | None = None, enabled: bool | None = None) -> VoicemailBox:
    """Create or change a box (extension None: the general box). Only the given values change."""
    owner = _owner(tenant, extension)
    if pin is not None and pin != "" and not _PIN.match(pin):
        raise InvalidInput("--pin", "must be 4 to 10 digits")
    checked_email = validate.email(email, "--email") if email else email
    with database.atomic():
        box = find(tenant, extension) or VoicemailBox(tenant=tenant, user=owner)
        if pin is not None:
            box.pin_hash = pin_hash(owner.extension if owner else GENERAL, tenant.domain, pin) if pin else ""
        if email is not None:
            box.email = checked_email or None
        for name, value in (("attach_audio", attach), ("keep_after_email", keep), ("enabled", enabled)):
            if value is not None:
                setattr(box, name, value)
        box.updated_at = utcnow()
        box.save()
    return box


def remove_box(tenant: Tenant, extension: str | None) -> None:
    box = find(tenant, extension)
    if box is None:
        raise NotFound("--user" if extension else "voicemail", "no such voicemail box")
    box.delete_instance()


def boxes(tenant: Tenant) -> list[VoicemailBox]:
    return list(VoicemailBox.select(VoicemailBox, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
                .where(VoicemailBox.tenant == tenant).order_by(VoicemailBox.id))


# ---- CLI ------------------------------------------------------------------------------------

def register_cli(subparsers) -> None:
    parser = subparsers.add_parser("voicemail", help="voicemail boxes: per user and the tenant's general box",
                                   description="Boxes are served to FreeSWITCH's mod_voicemail; new messages are "
                                               "e-mailed (audio attached) and light the phone's lamp.")
    actions = parser.add_subparsers(dest="voicemail_command", metavar="ACTION", required=True)
    change = actions.add_parser("set", help="create or change a box", description="create or change a box")
    add_tenant_option(change)
    who = change.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="EXT", help="the user's extension")
    who.add_argument("--general", action="store_true", help="the tenant's general box")
    change.add_argument("--pin", help="4-10 digits (stored only as a hash); empty removes it")
    change.add_argument("--email", help="where new messages are sent (empty: none)")
    change.add_argument("--attach", type=bool_option, help="attach the audio to the e-mail (yes/no)")
    change.add_argument("--keep", type=bool_option, help="keep the message in the box after e-mailing (yes/no)")
    change.add_argument("--enabled", type=bool_option, help="yes/no")
    change.set_defaults(handler=cmd_set)
    listing = actions.add_parser("list", help="the tenant's boxes", description="the tenant's boxes")
    add_tenant_option(listing)
    listing.set_defaults(handler=cmd_list)
    remove = actions.add_parser("remove", help="delete a box", description="delete a box")
    add_tenant_option(remove)
    who = remove.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="EXT", help="the user's extension")
    who.add_argument("--general", action="store_true", help="the tenant's general box")
    remove.set_defaults(handler=cmd_remove)


def cmd_set(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    set_box(tenant, None if args.general else args.user, pin=args.pin, email=args.email, attach=args.attach,
            keep=args.keep, enabled=args.enabled)
    return cmd_list(args, ctx)


def cmd_remove(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    remove_box(tenant, None if args.general else args.user)
    return cmd_list(args, ctx)


def cmd_list(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    rows = [(b.user.extension if b.user else GENERAL, "yes" if b.pin_hash else "no", b.email or "-",
             "yes" if b.attach_audio else "no", "yes" if b.enabled else "no") for b in boxes(tenant)]
    print_table(("BOX", "PIN", "EMAIL", "ATTACH", "ENABLED"), rows)
    return 0
