"""The call log through its application layer: a user reads their own calls only, the tenant's
administrator the tenant's, and nobody another tenant's."""
from __future__ import annotations

import pytest

from fs_plugins.calllog import app
from fs_plugins.calllog.log import LogQuery
from fs_plugins.errors import Forbidden, NotFound
from tests.test_core_app import admin_of, pbx, user_of  # noqa: F401  (fixture)


def test_a_user_reads_their_own_log_and_not_a_colleagues_nor_the_tenants(pbx):
    context, _, _ = pbx
    ana = context(user_of("acme.example", "1001"))
    assert app.call_page(ana, LogQuery("acme.example", "1001")).entries == ()
    assert app.calls_after(ana, LogQuery("acme.example", "1001"), None) == ((), None)
    with pytest.raises(NotFound):
        app.call_page(ana, LogQuery("acme.example", "1002"))
    with pytest.raises(Forbidden):
        app.calls_csv(ana, LogQuery("acme.example"))


def test_an_admin_reads_the_tenants_log_but_another_tenant_does_not_exist_for_them(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    assert "".join(app.calls_csv(admin, LogQuery("acme.example"))).count("\n") == 1  # the header only
    with pytest.raises(NotFound):
        app.call_rows(context(admin_of("globex.example")), LogQuery("acme.example"))
