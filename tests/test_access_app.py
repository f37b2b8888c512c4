"""API keys through the application layer (fs_plugins/access/app.py), as the CLI, the REST API and
the portal call it: who may create and revoke which keys, the audit entries, the secret shown once."""
from __future__ import annotations

import pytest

from fs_plugins.access import app
from fs_plugins.access.apikeys import authenticate
from fs_plugins.errors import Forbidden, NotFound
from tests.test_core_app import admin_of, operator_principal, pbx, user_of  # noqa: F401 (fixture)


def test_a_tenant_admin_manages_only_their_tenants_keys_and_never_an_operator_key(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    new = app.create_key(admin, "billing", "tenant-admin", "acme.example").value
    assert (new.key.tenant, new.key.role) == ("acme.example", "tenant-admin") and new.secret.startswith("ck_")
    assert authenticate(new.secret, "127.0.0.1").tenant_domain == "acme.example"
    with pytest.raises(Forbidden):
        app.create_key(admin, "root", "operator")
    with pytest.raises(NotFound):
        app.create_key(admin, "theirs", "tenant-admin", "globex.example")
    with pytest.raises(Forbidden):
        app.list_keys(admin)  # every tenant's keys: the operator's view
    with pytest.raises(Forbidden):
        app.list_keys(context(user_of("acme.example", "1001")), "acme.example")
    assert [k.name for k in app.list_keys(admin, "acme.example")] == ["billing"]
    assert [(e.action, e.tenant, e.target) for e in events] == [
        ("key.create", "acme.example", f"key {new.key.prefix} (billing)")]
    assert new.secret not in str(events)


def test_revoking_is_audited_and_a_key_of_another_tenant_is_not_found(pbx):
    context, events, _ = pbx
    operator = context(operator_principal())
    theirs = app.create_key(operator, "globex sync", "tenant-admin", "globex.example").value.key
    with pytest.raises(NotFound):
        app.revoke_key(context(admin_of("acme.example")), theirs.prefix, "acme.example")
    revoked = app.revoke_key(operator, theirs.prefix).value
    assert revoked.revoked_at is not None and [e.action for e in events] == ["key.create", "key.revoke"]
    assert events[-1].tenant == "globex.example"
