"""Two changes of one user's call handling at once (the portal and a phone's feature code, two API
clients): both are kept, neither fails, on an engine where they really overlap (PostgreSQL; SQLite's
writers take the lock one after the other at BEGIN)."""
from __future__ import annotations

import pytest

from fs_plugins.callhandling import app as callhandling
from fs_plugins.models.callhandling import CallHandling
from tests import provision
from tests.overlap import overlapping

pytestmark = pytest.mark.postgres


@pytest.fixture
def acme(pg_db):
    acme = provision.tenant("Acme", "acme.example", country="ES")
    provision.user(acme, "1001", "Ana")
    return acme


def test_a_first_forward_and_a_first_dnd_at_once_are_both_kept(acme):
    outcomes = overlapping(
        lambda ctx: callhandling.set_forward(ctx, "acme.example", "1001", "always", "number:600123456"),
        lambda ctx: callhandling.set_dnd(ctx, "acme.example", "1001", True))
    assert not [o for o in outcomes.values() if isinstance(o, BaseException)], outcomes
    rows = list(CallHandling.select())
    assert len(rows) == 1
    assert rows[0].dnd and rows[0].forward_always is not None  # neither change wrote over the other
