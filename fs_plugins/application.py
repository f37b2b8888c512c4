"""What every `<feature>/app.py` shares: who is asking, what they may reach, the audit hook, results.

Every front end (the CLI, the REST API, the portal) calls the application layer the same way:

    ctx = AppContext(principal, config, freeswitch=FreeswitchDirectory(config))
    done = core_app.add_user(ctx, "acme.example", extension="1001", name="Ana García")
    done.value                 # a plain frozen dataclass (NewUser: UserView + the generated password)
    done.freeswitch.answers    # which FreeSWITCH event sockets took the cache flush

`principal` (fs_plugins.access.principal.Principal) is who asks and from where: the operator, a
tenant's admin or one user; the REST API builds it from the API key or session, the CLI is the
operator (`cli_principal()`). An app function validates everything first, writes in one
transaction together with its audit entry (so a change and its record commit or roll back
together), tells FreeSWITCH after the commit, and returns plain values. Errors:
InvalidInput(field) → 422, Conflict(field) → 409, NotFound(field) → 404, Forbidden → 403
(fs_plugins.errors); `field` is the argument's name, which is the API's field.

Tenant isolation is decided here and nowhere else: `tenant_in_scope`, `user_in_scope`,
`require_admin`, `require_operator`. What is outside the principal's scope (another tenant,
another user's settings) does not exist for them: NotFound, never Forbidden, so names never leak.
Forbidden is for what they can see but may not do (a user enabling themselves).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, Protocol, TypeVar

from fs_plugins import audit, prepared
from fs_plugins.access.principal import OPERATOR, TENANT_ADMIN, USER, Principal
from fs_plugins.config import Config
from fs_plugins.errors import Forbidden, NotFound
from fs_plugins.fsapi import FlushReport
from fs_plugins.models import Tenant, User
from fs_plugins.presence import FsEvent

T = TypeVar("T")


@dataclass(frozen=True)
class AuditEvent:
    """One change: who and from where (the principal), what, on which tenant and object, when, and
    the values given, secrets already replaced by "(changed)"."""

    at: dt.datetime  # UTC, aware
    principal: Principal
    action: str  # "<thing>.<verb>": "user.add", "number.route", "forward.set"
    tenant_id: int | None
    tenant: str | None  # the tenant's domain
    target: str  # the object as people name it: "user 1001", "number +34910000001"
    detail: Mapping[str, Any] = field(default_factory=dict)


AuditSink = Callable[[AuditEvent], None]


def audit_table(event: AuditEvent) -> None:
    """The default sink: the audit log table (fs_plugins.audit), in the change's transaction."""
    tenant = Tenant(id=event.tenant_id, domain=event.tenant) if event.tenant_id is not None else None
    audit.record(event.principal, event.action, event.target, tenant, dict(event.detail))


class FreeswitchPort(Protocol):
    """The FreeSWITCH side effects of a change (fs_plugins.fsapi.FreeswitchDirectory in production)."""

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport: ...

    def send_events(self, events: list[FsEvent]) -> FlushReport: ...


class NoFreeswitch:
    """For processes and tests with no FreeSWITCH: nothing is sent, nothing is reported missing."""

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport:
        return FlushReport(tuple(f"{extension}@{domain}" for extension, domain in users))

    def send_events(self, events: list[FsEvent]) -> FlushReport:
        return FlushReport(tuple(event.label for event in events))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class AppContext:
    principal: Principal
    config: Config
    freeswitch: FreeswitchPort = field(default_factory=NoFreeswitch)
    audit: AuditSink = audit_table
    clock: Callable[[], dt.datetime] = utc_now
    # The principal's own tenant and user rows as this request already read them (a portal page's
    # session read joins them): a scope check naming them takes them instead of reading them again
    # (B7: two of a call log page's five statements; an API read is handed the tenant of its URL,
    # read and checked by its guard, B6). Left None for a change: what a change reads
    # belongs inside its transaction, and a row it saved would be the one the request showed.
    own_tenant: Tenant | None = None
    own_user: User | None = None

    @classmethod
    def operator(cls, config: Config | None = None, origin: str = "internal", **kwargs) -> "AppContext":
        """The operator acting from inside Centralita (demo data, tests); no FreeSWITCH unless given."""
        return cls(Principal(OPERATOR, name=origin, source=origin), config or Config(), **kwargs)

    def record(self, action: str, tenant: Tenant | None, target: str, detail: Mapping[str, Any] | None = None) -> None:
        """Tell the audit hook about a change (call it inside the change's transaction). `detail`:
        the values given; secrets (audit.SECRET_FIELDS) never leave here in clear."""
        masked = {k: "(changed)" if k in audit.SECRET_FIELDS else v for k, v in (detail or {}).items()}
        self.audit(AuditEvent(self.clock(), self.principal, action, tenant.id if tenant else None,
                              tenant.domain if tenant else None, str(target), masked))


@dataclass(frozen=True)
class Changed(Generic[T]):
    """What a change returns: the object as it now is (or as it was, for a removal), and what
    FreeSWITCH was told."""

    value: T
    freeswitch: FlushReport = FlushReport()


# --- scope: the one place tenant isolation is decided ----------------------------------------

def sees_tenant(principal: Principal, tenant_id: int) -> bool:
    """The operator sees every tenant; an admin or a user only their own."""
    return principal.role == OPERATOR or principal.tenant_id == tenant_id


def tenant_in_scope(ctx: AppContext, domain: str, field: str = "tenant") -> Tenant:
    """The tenant named by `domain`, if the principal may see it (else it does not exist for them)."""
    domain = (domain or "").strip().lower()
    own = ctx.own_tenant
    row = own if own is not None and own.domain == domain else prepared.get_or_none(Tenant, domain=domain)
    if row is None or not sees_tenant(ctx.principal, row.id):
        raise NotFound(field, f"no tenant with domain {domain!r}")
    return row


def require_operator(ctx: AppContext, what: str) -> None:
    if ctx.principal.role != OPERATOR:
        raise Forbidden(f"only the operator may {what}")


def require_admin(ctx: AppContext, what: str) -> None:
    """The operator or the tenant's administrator (the tenant itself is checked by tenant_in_scope)."""
    if ctx.principal.role not in (OPERATOR, TENANT_ADMIN):
        raise Forbidden(f"only the tenant's administrator may {what}")


def user_in_scope(ctx: AppContext, tenant: Tenant, extension: str, field: str = "user") -> User:
    """A user of `tenant` (already in scope); a user principal reaches only themselves."""
    extension = (extension or "").strip()
    own = ctx.own_user
    if own is not None and own.tenant_id == tenant.id and own.extension == extension:
        row = own  # the request's own row: its tenant set to `tenant` when it was handed over (own_rows)
    else:
        row = prepared.get_or_none(User, tenant=tenant, extension=extension)  # row.tenant is `tenant`, no query
    if row is None or (ctx.principal.role == USER and ctx.principal.user_id != row.id):
        raise NotFound(field, f"no user {extension!r} in {tenant.domain}")
    return row
