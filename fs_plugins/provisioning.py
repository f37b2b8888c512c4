"""Create, change and remove tenants, users and numbers: validated, all-or-nothing.

Each change returns what FreeSWITCH must forget (users whose cached directory entry is now
stale); the caller sends the flush (fs_plugins.fsapi), keeping I/O at the edge.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from fs_plugins import references, validate
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.fsvalues import check_text
from fs_plugins.models import Number, ShortNumber, Tenant, User, database, utcnow


@dataclass
class Change:
    """The row changed, users FreeSWITCH must flush, and a password generated for the person."""

    row: object = None
    flush: list[tuple[str, str]] = field(default_factory=list)
    generated_password: str | None = None


def a1_hash(extension: str, domain: str, password: str) -> str:
    """FreeSWITCH's digest a1-hash: md5("user:realm:password"); the realm is the tenant's domain."""
    return hashlib.md5(f"{extension}:{domain}:{password}".encode()).hexdigest()


# --- tenants -----------------------------------------------------------------------------------

def tenant(domain: str) -> Tenant:
    found = Tenant.get_or_none(Tenant.domain == (domain or "").strip().lower())
    if found is None:
        raise NotFound("tenant", f"no tenant with domain {domain!r}")
    return found


def add_tenant(name: str, domain: str, timezone: str = "Europe/Madrid", language: str = "es",
               country: str = "ES", region: str | None = None) -> Change:
    values = _tenant_values(name=name, domain=domain, timezone=timezone, language=language,
                            country=country, region=region)
    with database.atomic():
        if Tenant.select().where(Tenant.domain == values["domain"]).exists():
            raise Conflict("domain", f"{values['domain']} is already a tenant")
        return Change(Tenant.create(**values))


def set_tenant(domain: str, **changes) -> Change:
    with database.atomic():
        row = tenant(domain)
        current = {k: getattr(row, k) for k in ("name", "timezone", "language", "country", "region")}
        current.update({k: v for k, v in changes.items() if v is not None})
        values = _tenant_values(domain=row.domain, **current)
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
        # Users' cached entries carry tenant data (caller-id context): flush them all.
        return Change(row, flush=[(u.extension, row.domain) for u in row.users])


def remove_tenant(domain: str) -> Change:
    with database.atomic():
        row = tenant(domain)
        flush = [(u.extension, row.domain) for u in row.users]
        row.delete_instance(recursive=True)
        return Change(row, flush=flush)


def _tenant_values(name, domain, timezone, language, country, region) -> dict:
    country_code = validate.country(country)
    return {
        "name": check_text(name, "name"),
        "domain": validate.domain(domain),
        "timezone": validate.timezone(timezone),
        "language": validate.language(language),
        "country": country_code,
        "region": validate.region(country_code, region),
    }


# --- users -------------------------------------------------------------------------------------

def user(owner: Tenant, extension: str) -> User:
    found = User.get_or_none(User.tenant == owner, User.extension == (extension or "").strip())
    if found is None:
        raise NotFound("extension", f"no user {extension!r} in {owner.domain}")
    return found


def add_user(owner: Tenant, extension: str, display_name: str, email: str | None = None,
             password: str | None = None, enabled: bool = True) -> Change:
    extension = validate.extension(extension)
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    values = dict(
        display_name=check_text(display_name, "name"),
        email=validate.email(email),
        a1_hash=a1_hash(extension, owner.domain, validate.password(password)),
        enabled=enabled,
    )
    with database.atomic():
        _check_extension_free(owner, extension)
        row = User.create(tenant=owner, extension=extension, **values)
    # A new user has no cached entry to flush: FreeSWITCH does not cache `not found`.
    return Change(row, generated_password=generated)


def set_user(owner: Tenant, extension: str, display_name: str | None = None, email: str | None = None,
             password: str | None = None, enabled: bool | None = None, new_extension: str | None = None) -> Change:
    with database.atomic():
        row = user(owner, extension)
        flush = [(row.extension, owner.domain)]
        if new_extension is not None and new_extension != row.extension:
            new_extension = validate.extension(new_extension, "new-extension")
            if password is None:
                # The digest hash includes the extension, so it cannot be carried over.
                raise InvalidInput("password", "a new password is required when the extension changes")
            _check_extension_free(owner, new_extension)
            row.extension = new_extension
            flush.append((new_extension, owner.domain))
        if display_name is not None:
            row.display_name = check_text(display_name, "name")
        if email is not None:
            row.email = validate.email(email)
        if password is not None:
            row.a1_hash = a1_hash(row.extension, owner.domain, validate.password(password))
        if enabled is not None:
            row.enabled = enabled
        row.updated_at = utcnow()
        row.save()
        return Change(row, flush=flush)


def remove_user(owner: Tenant, extension: str) -> Change:
    with database.atomic():
        row = user(owner, extension)
        # The user's own settings (forwards to their own voicemail…) go with the user.
        routed = sorted({references.describe_row(other)
                         for kind in ("user", "voicemail")
                         for other in references.rows_routing_to(Destination(kind, str(row.id)))
                         if getattr(other, "user_id", None) != row.id})
        if routed:
            raise Conflict("extension", f"{', '.join(routed)} still route to this user; re-route them first")
        row.delete_instance(recursive=True)
        return Change(row, flush=[(row.extension, owner.domain)])


def _check_extension_free(owner: Tenant, extension: str) -> None:
    if User.select().where(User.tenant == owner, User.extension == extension).exists():
        raise Conflict("extension", f"{extension} is already a user of {owner.domain}")
    if ShortNumber.select().where(ShortNumber.tenant == owner, ShortNumber.number == extension).exists():
        raise Conflict("extension", f"{extension} is already a short number of {owner.domain}")


# --- numbers (DIDs) ----------------------------------------------------------------------------

def add_number(owner: Tenant, number: str, destination: str, description: str | None = None) -> Change:
    e164 = validate.e164(number, owner.country, assigned=True)
    target = references.resolve(owner, destination)
    description = check_text(description or "", "description", required=False) or None
    with database.atomic():
        existing = Number.get_or_none(Number.e164 == e164)
        if existing is not None:
            where = "this tenant" if existing.tenant_id == owner.id else "another tenant"
            raise Conflict("number", f"{e164} already belongs to {where}")
        return Change(Number.create(tenant=owner, e164=e164, destination=target, description=description))


def route_number(owner: Tenant, number: str, destination: str) -> Change:
    e164 = validate.e164(number, owner.country, assigned=True)
    target = references.resolve(owner, destination)
    with database.atomic():
        row = _number(owner, e164)
        row.destination = target
        row.save()
        return Change(row)


def remove_number(owner: Tenant, number: str) -> Change:
    e164 = validate.e164(number, owner.country, assigned=True)
    with database.atomic():
        row = _number(owner, e164)
        row.delete_instance()
        return Change(row)


def _number(owner: Tenant, e164: str) -> Number:
    row = Number.get_or_none(Number.tenant == owner, Number.e164 == e164)
    if row is None:
        raise NotFound("number", f"{e164} is not a number of {owner.domain}")
    return row
