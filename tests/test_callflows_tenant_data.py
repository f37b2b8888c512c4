"""What a flow reads of its tenant (session.tenant): users, schedules, contacts — its own tenant's
only, whatever the flow asks for."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.application import AppContext
from fs_plugins.callflows import CallFlow
from fs_plugins.callflows.testing import flow_world
from fs_plugins.contacts import app as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.core import app as core
from fs_plugins.errors import NotFound
from fs_plugins.schedule import app as schedules

OPERATOR = AppContext.operator(audit=lambda event: None)
MONDAY_10 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)  # 10:00 in Madrid
SUNDAY_10 = dt.datetime(2026, 11, 8, 9, 0, tzinfo=dt.timezone.utc)


def reader(session):
    data = session.tenant
    with pytest.raises(NotFound):
        data.schedule_open("Other hours", MONDAY_10)  # the other tenant's schedule
    session.store(users=",".join(f"{u.extension}={u.name}" for u in data.users()),
                  open_monday=data.schedule_open("Office", MONDAY_10),
                  open_sunday=data.schedule_open("Office", SUNDAY_10),
                  known=data.contact_name("+34911222333") or "", stranger=data.contact_name("+34944555666") or "",
                  other_user=bool(data.user("2001")))


def test_a_flow_reads_only_its_own_tenants_users_schedules_and_contacts(tmp_path):
    with flow_world(CallFlow("reader", reader), tmp_path, users={"1001": "Ana", "1002": "Bruno"}) as world:
        schedules.add_schedule(OPERATOR, world.domain, "Office", hours=["mon-fri 09:00-18:00"])
        contacts.add_contact(OPERATOR, world.domain, None, ContactInput("Proveedor", numbers=(("work", "+34911222333"),)))
        core.add_tenant(OPERATOR, "other.test", "Other")
        core.add_user(OPERATOR, "other.test", "2001", "Stranger")
        schedules.add_schedule(OPERATOR, "other.test", "Other hours", hours=["mon-sun 00:00-23:59"])
        contacts.add_contact(OPERATOR, "other.test", None, ContactInput("Secret", numbers=(("work", "+34944555666"),)))
        call = world.call()
        assert call.hangup_cause == "NORMAL_CLEARING", call.steps
        assert world.records() == [{"users": "1001=Ana,1002=Bruno", "open_monday": True, "open_sunday": False,
                                    "known": "Proveedor", "stranger": "", "other_user": False}]
