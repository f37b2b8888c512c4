"""The caller of a change or a view, and what they may reach.

Three roles: an operator runs the platform (every tenant), a tenant admin runs one tenant, a user
sees and changes only their own settings. Everything a front end does is checked against a
Principal; a thing outside it is reported as missing, never as forbidden, so no caller learns
that another tenant's objects exist.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass, replace

OPERATOR, TENANT_ADMIN, USER = "operator", "tenant-admin", "user"
# Someone not signed in (signing in, asking for a password-reset link): no scope check lets them
# through, since they have no tenant and are neither operator nor admin.
VISITOR = "visitor"


@dataclass(frozen=True)
class Principal:
    role: str
    tenant_id: int | None = None
    tenant_domain: str = ""
    user_id: int | None = None
    extension: str = ""
    name: str = ""  # who, as the audit log shows it: "login ana", "key ck_1a2b3c4d5e (billing)"
    source: str = ""  # where from: the client's address, or "cli"
    login_id: int | None = None  # the login a session belongs to (its own password is theirs to change)

    def sees_tenant(self, tenant_id: int) -> bool:
        return self.role == OPERATOR or (self.role == TENANT_ADMIN and self.tenant_id == tenant_id)

    @property
    def has_self(self) -> bool:
        """True when the caller is (also) a user with an extension: /me means something."""
        return self.user_id is not None

    def at(self, source: str) -> "Principal":
        return replace(self, source=source)


def cli_principal() -> Principal:
    """Whoever runs `centralita` on the server: root there is the operator."""
    return Principal(OPERATOR, name=f"cli {getpass.getuser()}", source="cli")


def visitor(source: str) -> Principal:
    """Someone at `source` who has not signed in."""
    return Principal(VISITOR, name=f"visitor {source or '?'}", source=source)
