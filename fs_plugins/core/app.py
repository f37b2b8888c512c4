"""Tenants, users, numbers (DIDs) and short numbers: the core's application layer.

Who may do what: the operator creates and removes tenants and hands out DIDs; a tenant's
administrator changes the tenant's settings, its users and where its DIDs route; a user sees
their own user. Every change is validated before anything is written, runs in one transaction
with its audit event, and tells FreeSWITCH to drop the directory entries it made stale (users
are served `cacheable`); the report says which event sockets took it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from peewee import JOIN, fn

from fs_plugins import prepared, references, validate
from fs_plugins.access.principal import OPERATOR
from fs_plugins.application import AppContext, Changed, require_admin, require_operator, tenant_in_scope, user_in_scope
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.fsvalues import check_text
from fs_plugins.models import Number, ShortNumber, Tenant, User, database, utcnow
from fs_plugins.models.access import Login, Session

TENANT_SETTINGS = ("name", "timezone", "language", "country", "region")


@dataclass(frozen=True)
class TenantView:
    domain: str
    name: str
    timezone: str
    language: str
    country: str
    region: str | None
    suspended: bool = False  # its users cannot register (the directory does not find them)
    created_at: dt.datetime | None = None  # UTC, naive (as the database keeps it)


@dataclass(frozen=True)
class TenantSummary:
    tenant: TenantView
    users: int


@dataclass(frozen=True)
class UserView:
    tenant: str  # the tenant's domain
    extension: str
    name: str
    email: str | None
    enabled: bool
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class NewUser:
    user: UserView
    sip_password: str | None  # only when generated: shown once, never stored in clear


@dataclass(frozen=True)
class RouteView:
    """A DID or a short number and where it routes: stored form and how it reads."""

    number: str  # E.164 for DIDs, digits for short numbers
    destination: str  # stored form, kind:id ("user:12")
    label: str  # as a person reads it ("user:1001 (Ana)")
    description: str | None = None
    created_at: dt.datetime | None = None  # a DID's: when the tenant got it
    reference: str = ""  # the destination as a person types it ("user:1001")


@dataclass(frozen=True)
class TenantDetail:
    tenant: TenantView
    users: tuple[UserView, ...]
    numbers: tuple[RouteView, ...]


def a1_hash(extension: str, domain: str, password: str) -> str:
    """FreeSWITCH's digest a1-hash: md5("user:realm:password"); the realm is the tenant's domain."""
    return hashlib.md5(f"{extension}:{domain}:{password}".encode()).hexdigest()


# --- tenants -----------------------------------------------------------------------------------

def list_tenants(ctx: AppContext, after: str | None = None, limit: int | None = None) -> list[TenantSummary]:
    """By domain with their users counted (one query); `after` a domain (the next page starts past
    it), `limit` a page's size. The operator sees every tenant, anyone else only their own."""
    query = (Tenant.select(Tenant, fn.COUNT(User.id).alias("user_count"))
             .join(User, JOIN.LEFT_OUTER, on=(User.tenant == Tenant.id)).group_by(Tenant.id).order_by(Tenant.domain))
    if ctx.principal.role != OPERATOR:
        query = query.where(Tenant.id == ctx.principal.tenant_id)
    if after:
        query = query.where(Tenant.domain > after)
    if limit:
        query = query.limit(limit)
    return [TenantSummary(tenant_view(row), row.user_count) for row in query]


def get_tenant(ctx: AppContext, domain: str) -> TenantView:
    return tenant_view(tenant_in_scope(ctx, domain, "domain"))


def show_tenant(ctx: AppContext, domain: str) -> TenantDetail:
    tenant = tenant_in_scope(ctx, domain, "domain")
    return TenantDetail(tenant_view(tenant), tuple(_users(tenant)), tuple(_numbers(tenant)))


def add_tenant(ctx: AppContext, domain: str, name: str, timezone: str = "Europe/Madrid", language: str = "es",
               country: str = "ES", region: str | None = None) -> Changed[TenantView]:
    require_operator(ctx, "create tenants")
    values = _tenant_values(name=name, domain=domain, timezone=timezone, language=language,
                            country=country, region=region)
    with database.atomic():
        if Tenant.select().where(Tenant.domain == values["domain"]).exists():
            raise Conflict("domain", f"{values['domain']} is already a tenant")
        row = Tenant.create(**values)
        ctx.record("tenant.create", row, f"tenant {row.domain}", values)
    return Changed(tenant_view(row))


def set_tenant(ctx: AppContext, domain: str, **changes: str | None) -> Changed[TenantView]:
    """Change the given settings (TENANT_SETTINGS; None leaves one as it is)."""
    require_admin(ctx, "change the tenant's settings")
    unknown = set(changes) - set(TENANT_SETTINGS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "not a tenant setting")
    with database.atomic():
        row = tenant_in_scope(ctx, domain, "domain")
        current = {k: getattr(row, k) for k in TENANT_SETTINGS}
        given = {k: v for k, v in changes.items() if v is not None}
        for key, value in _tenant_values(domain=row.domain, **{**current, **given}).items():
            setattr(row, key, value)
        row.save()
        ctx.record("tenant.update", row, f"tenant {row.domain}", given)
        # Users' cached entries carry tenant data (caller-id context): flush them all.
        stale = [(u.extension, row.domain) for u in row.users]
    return Changed(tenant_view(row), ctx.freeswitch.flush_users(stale))


def suspend_tenant(ctx: AppContext, domain: str, suspended: bool = True) -> Changed[TenantView]:
    """Suspend a customer or, with `suspended=False`, resume it. While suspended its users cannot
    register (the directory stops finding them), its numbers and context answer every call with the
    configured cause (xml_curl/dialplan.py: CALL_REJECTED), its ESL flows refuse (core/flow.py), its
    logins cannot sign in and its API keys answer 403 (fs_plugins.access); its open sessions end
    here. Nothing is deleted, so resuming restores all of it. FreeSWITCH drops its cached users now,
    so a suspended phone fails at its next registration, not up to directory_cache_ms later."""
    require_operator(ctx, "suspend or resume tenants")
    with database.atomic():
        row = tenant_in_scope(ctx, domain, "domain")
        row.suspended = bool(suspended)
        row.save()
        if suspended:
            Session.delete().where(Session.login.in_(Login.select(Login.id).where(Login.tenant == row))).execute()
        ctx.record("tenant.suspend" if suspended else "tenant.resume", row, f"tenant {row.domain}")
        stale = [(u.extension, row.domain) for u in row.users]
    return Changed(tenant_view(row), ctx.freeswitch.flush_users(stale))


def remove_tenant(ctx: AppContext, domain: str) -> Changed[TenantView]:
    """Delete a tenant and everything it owns (users, numbers, call log, every feature's rows)."""
    require_operator(ctx, "remove tenants")
    with database.atomic():
        row = tenant_in_scope(ctx, domain, "domain")
        view, stale = tenant_view(row), [(u.extension, row.domain) for u in row.users]
        ctx.record("tenant.delete", row, f"tenant {row.domain}")
        row.delete_instance(recursive=True)
    return Changed(view, ctx.freeswitch.flush_users(stale))


def tenant_view(row: Tenant) -> TenantView:
    return TenantView(row.domain, row.name, row.timezone, row.language, row.country, row.region, bool(row.suspended),
                      row.created_at)


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

def list_users(ctx: AppContext, tenant: str, after: str | None = None, limit: int | None = None,
               search: str | None = None) -> list[UserView]:
    """By extension; `after` an extension (the next page starts past it), `limit` a page's size,
    `search` part of an extension or a name. Without them: every user."""
    require_admin(ctx, "list the tenant's users")
    return _users(tenant_in_scope(ctx, tenant), after, limit, search)


def get_user(ctx: AppContext, tenant: str, extension: str) -> UserView:
    return user_view(user_in_scope(ctx, tenant_in_scope(ctx, tenant), extension, "extension"))


def add_user(ctx: AppContext, tenant: str, extension: str, name: str, email: str | None = None,
             password: str | None = None, enabled: bool = True) -> Changed[NewUser]:
    """Without a password one is generated and returned once (NewUser.sip_password)."""
    require_admin(ctx, "add users")
    owner = tenant_in_scope(ctx, tenant)
    extension = validate.extension(extension)
    generated = secrets.token_urlsafe(12) if password is None else None
    values = dict(display_name=check_text(name, "name"), email=validate.email(email),
                  a1_hash=a1_hash(extension, owner.domain, validate.password(password or generated)),
                  enabled=bool(enabled))
    with database.atomic():
        _check_extension_free(owner, extension)
        row = User.create(tenant=owner, extension=extension, **values)
        ctx.record("user.create", owner, f"user {extension}", {"extension": extension, "name": name, "email": email,
                                                                 "password": password, "enabled": enabled})
    # A new user has no cached entry to flush: FreeSWITCH does not cache `not found`.
    return Changed(NewUser(user_view(row), generated))


def set_user(ctx: AppContext, tenant: str, extension: str, name: str | None = None, email: str | None = None,
             password: str | None = None, enabled: bool | None = None,
             new_extension: str | None = None) -> Changed[UserView]:
    """Change what is given (None leaves it). A new extension needs a new password: the digest
    hash FreeSWITCH checks includes the extension."""
    owner = tenant_in_scope(ctx, tenant)
    if enabled is not None or new_extension is not None:
        require_admin(ctx, "enable, disable or renumber users")
    with database.atomic():
        row = user_in_scope(ctx, owner, extension, "extension")
        stale = [(row.extension, owner.domain)]
        given = {k: v for k, v in (("name", name), ("email", email), ("password", password), ("enabled", enabled),
                                   ("new_extension", new_extension)) if v is not None}
        if new_extension is not None and new_extension != row.extension:
            new_extension = validate.extension(new_extension, "new_extension")
            if password is None:
                raise InvalidInput("password", "a new password is required when the extension changes")
            _check_extension_free(owner, new_extension, "new_extension")
            row.extension = new_extension
            stale.append((new_extension, owner.domain))
        if name is not None:
            row.display_name = check_text(name, "name")
        if email is not None:
            row.email = validate.email(email)
        if password is not None:
            row.a1_hash = a1_hash(row.extension, owner.domain, validate.password(password))
        if enabled is not None:
            row.enabled = bool(enabled)
        row.updated_at = utcnow()
        prepared.save(row)
        ctx.record("user.update", owner, f"user {extension}", given)
    return Changed(user_view(row), ctx.freeswitch.flush_users(stale))


def reset_sip_password(ctx: AppContext, tenant: str, extension: str) -> Changed[NewUser]:
    """A new generated SIP password for the user, returned once (the phone must be set up again)."""
    require_admin(ctx, "reset SIP passwords")
    generated = secrets.token_urlsafe(12)
    done = set_user(ctx, tenant, extension, password=generated)
    return Changed(NewUser(done.value, generated), done.freeswitch)


def remove_user(ctx: AppContext, tenant: str, extension: str) -> Changed[UserView]:
    """Refused (Conflict) while a number, menu, group or another user's forward routes to the user;
    the user's own settings (forwards to their own voicemail…) go with them."""
    require_admin(ctx, "remove users")
    owner = tenant_in_scope(ctx, tenant)
    with database.atomic():
        row = user_in_scope(ctx, owner, extension, "extension")
        routed = sorted({references.describe_row(other)
                         for kind in ("user", "voicemail")
                         for other in references.rows_referring_to(Destination(kind, str(row.id)))
                         if getattr(other, "user_id", None) != row.id})
        if routed:
            raise Conflict("extension", f"{', '.join(routed)} still route to this user; re-route them first")
        view = user_view(row)
        row.delete_instance(recursive=True)
        ctx.record("user.delete", owner, f"user {view.extension}")
    return Changed(view, ctx.freeswitch.flush_users([(view.extension, owner.domain)]))


def user_view(row: User, domain: str | None = None) -> UserView:
    return UserView(domain or row.tenant.domain, row.extension, row.display_name, row.email, bool(row.enabled),
                    row.created_at, row.updated_at)


# A page of the list without a search, as every API client and the portal page it: the SQL written
# once per shape, the rows converted by the columns' own fields. Through peewee's query builder and
# its row conversion, a page of 100 cost ~40% of the API request's CPU (cProfile, B6's user list).
_USER_PAGE = ('SELECT "extension", "display_name", "email", "enabled", "created_at", "updated_at" FROM "user" '
              'WHERE "tenant_id" = ?{after} ORDER BY "extension"{limit}')


def _user_page(tenant: Tenant, after: str | None, limit: int | None) -> list[UserView]:
    sql = _USER_PAGE.format(after=' AND "extension" > ?' if after else "", limit=" LIMIT ?" if limit else "")
    params = (tenant.id, *((after,) if after else ()), *((limit,) if limit else ()))
    created, updated, domain = User.created_at.python_value, User.updated_at.python_value, tenant.domain
    return [UserView(domain, extension, name, email, bool(enabled), _stored_time(made, created),
                     _stored_time(changed, updated))
            for extension, name, email, enabled, made, changed
            in prepared.run_planned(User._meta.database, sql, params).fetchall()]


def _stored_time(value, python_value):
    """A DateTimeField's column value as `python_value` (the field's) gives it. SQLite's text is read
    by fromisoformat at once, which is what peewee ends up doing after three calls (its
    format_date_time puts a T for the space, which fromisoformat takes as it is since Python 3.11):
    two times on each of a page's 100 users. Text fromisoformat refuses goes to peewee's formats."""
    if type(value) is str:
        try:
            return _from_iso(value)
        except ValueError:
            pass
    return python_value(value)


_from_iso = dt.datetime.fromisoformat


def _users(tenant: Tenant, after: str | None = None, limit: int | None = None,
           search: str | None = None) -> list[UserView]:
    if not search:
        return _user_page(tenant, after, limit)
    # The view's columns as tuples: a page of 100 built as model rows cost as much CPU as the query
    query = (User.select(User.extension, User.display_name, User.email, User.enabled, User.created_at,
                         User.updated_at).where(User.tenant == tenant).order_by(User.extension))
    if after:
        query = query.where(User.extension > after)
    if search:
        query = query.where(User.extension.contains(search) | User.display_name.contains(search))
    if limit:
        query = query.limit(limit)
    # A few shapes of text (after, search, limit given or not): prepared on serve's connection.
    return [UserView(tenant.domain, extension, name, email, bool(enabled), created, updated)
            for extension, name, email, enabled, created, updated in prepared.select(query.tuples())]


def _check_extension_free(owner: Tenant, extension: str, field: str = "extension") -> None:
    if User.select().where(User.tenant == owner, User.extension == extension).exists():
        raise Conflict(field, f"{extension} is already a user of {owner.domain}")
    if ShortNumber.select().where(ShortNumber.tenant == owner, ShortNumber.number == extension).exists():
        raise Conflict(field, f"{extension} is already a short number of {owner.domain}")


# --- numbers (DIDs) and short numbers -----------------------------------------------------------

def list_numbers(ctx: AppContext, tenant: str, after: str | None = None, limit: int | None = None) -> list[RouteView]:
    """The tenant's DIDs in E.164 order; `after` a number in E.164 (the next page starts past it),
    `limit` a page's size."""
    require_admin(ctx, "list the tenant's numbers")
    return _numbers(tenant_in_scope(ctx, tenant), after, limit)


def get_number(ctx: AppContext, tenant: str, number: str) -> RouteView:
    """One DID of the tenant and where it routes (any written form of the number)."""
    require_admin(ctx, "see the tenant's numbers")
    owner = tenant_in_scope(ctx, tenant)
    return _number_view(owner, _number(owner, validate.e164(number, owner.country, assigned=True)))


def list_short_numbers(ctx: AppContext, tenant: str) -> list[RouteView]:
    """Internal numbers reaching IVR menus and groups (each kept by its feature)."""
    require_admin(ctx, "list the tenant's short numbers")
    owner = tenant_in_scope(ctx, tenant)
    rows = ShortNumber.select().where(ShortNumber.tenant == owner).order_by(ShortNumber.number)
    return [_route(owner, row.number, row.destination) for row in rows]


def add_number(ctx: AppContext, tenant: str, number: str, destination: str,
               description: str | None = None) -> Changed[RouteView]:
    require_operator(ctx, "hand out numbers")
    owner = tenant_in_scope(ctx, tenant)
    e164 = validate.e164(number, owner.country, assigned=True)
    target = references.resolve(owner, destination)
    description = check_text(description or "", "description", required=False) or None
    with database.atomic():
        existing = Number.get_or_none(Number.e164 == e164)
        if existing is not None:
            where = "this tenant" if existing.tenant_id == owner.id else "another tenant"
            raise Conflict("number", f"{e164} already belongs to {where}")
        row = Number.create(tenant=owner, e164=e164, destination=target, description=description)
        ctx.record("number.create", owner, f"number {e164}", {"destination": destination, "description": description})
    return Changed(_number_view(owner, row))


def route_number(ctx: AppContext, tenant: str, number: str, destination: str) -> Changed[RouteView]:
    require_admin(ctx, "route numbers")
    owner = tenant_in_scope(ctx, tenant)
    e164 = validate.e164(number, owner.country, assigned=True)
    target = references.resolve(owner, destination)
    with database.atomic():
        row = _number(owner, e164)
        row.destination = target
        row.save()
        ctx.record("number.update", owner, f"number {e164}", {"destination": destination})
    return Changed(_number_view(owner, row))


def remove_number(ctx: AppContext, tenant: str, number: str) -> Changed[RouteView]:
    require_operator(ctx, "take numbers back")
    owner = tenant_in_scope(ctx, tenant)
    e164 = validate.e164(number, owner.country, assigned=True)
    with database.atomic():
        row = _number(owner, e164)
        view = _number_view(owner, row)
        row.delete_instance()
        ctx.record("number.delete", owner, f"number {e164}")
    return Changed(view)


def _numbers(tenant: Tenant, after: str | None = None, limit: int | None = None) -> list[RouteView]:
    query = tenant.numbers.order_by(Number.e164)
    if after:
        query = query.where(Number.e164 > after)
    if limit:
        query = query.limit(limit)
    return [_number_view(tenant, row) for row in query]


def _number_view(tenant: Tenant, row: Number) -> RouteView:
    return _route(tenant, row.e164, row.destination, row.description, row.created_at)


def _route(tenant: Tenant, number: str, destination: Destination, description: str | None = None,
           created_at: dt.datetime | None = None) -> RouteView:
    shown = references.view(tenant, destination)
    return RouteView(number, shown.destination, shown.label, description, created_at, shown.reference)


def _number(owner: Tenant, e164: str) -> Number:
    row = Number.get_or_none(Number.tenant == owner, Number.e164 == e164)
    if row is None:
        raise NotFound("number", f"{e164} is not a number of {owner.domain}")
    return row
