"""Two changes of one user's call handling at once (the portal and a phone's feature code, two API
clients): both are kept, neither fails, on an engine where they really overlap (PostgreSQL; SQLite's
writers take the lock one after the other at BEGIN)."""
from __future__ import annotations

import threading

import pytest

from fs_plugins.application import AppContext, audit_table
from fs_plugins.callhandling import app as callhandling
from fs_plugins.models.callhandling import CallHandling
from tests import provision

pytestmark = pytest.mark.postgres


@pytest.fixture
def acme(pg_db):
    acme = provision.tenant("Acme", "acme.example", country="ES")
    provision.user(acme, "1001", "Ana")
    return acme


def _first_change_held_open(first_inside: threading.Event, second_started: threading.Event) -> AppContext:
    """A context whose change waits, inside its transaction (at its audit entry), until the other
    change has been sent: both then meet on the user's row."""
    def audit(event):
        first_inside.set()
        second_started.wait(5)
        threading.Event().wait(0.3)  # the second change's statement reaches the server meanwhile
        audit_table(event)

    return AppContext.operator(origin="test", audit=audit)


def test_a_first_forward_and_a_first_dnd_at_once_are_both_kept(acme):
    first_inside, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run(change) -> None:
        try:
            change()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    slow = _first_change_held_open(first_inside, second_started)
    first = threading.Thread(target=run, args=(
        lambda: callhandling.set_forward(slow, "acme.example", "1001", "always", "number:600123456"),))
    first.start()
    assert first_inside.wait(5)
    second = threading.Thread(target=run, args=(
        lambda: callhandling.set_dnd(AppContext.operator(origin="test"), "acme.example", "1001", True),))
    second.start()
    second_started.set()
    first.join(10)
    second.join(10)

    assert errors == []
    rows = list(CallHandling.select())
    assert len(rows) == 1
    assert rows[0].dnd and rows[0].forward_always is not None  # neither change wrote over the other
