"""A tenant with something of everything the tenant file holds, built through the application layer."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from fs_plugins.application import AppContext
from fs_plugins.audio import app as audio
from fs_plugins.callflows import app as callflows
from fs_plugins.callhandling import app as callhandling
from fs_plugins.config import Config
from fs_plugins.contacts import app as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.core import app as core
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.groups import app as groups
from fs_plugins.ivr import app as ivr
from fs_plugins.schedule import app as schedule
from fs_plugins.voicemail import app as voicemail
from tests.audio_helpers import sine

DOMAIN = "acme.example"
OTHER = "globex.example"
FLOWS_DIR = str(Path(__file__).resolve().parents[1] / "examples" / "flows")  # crm_router, pin_line, survey


def operator(data_dir: Path, audit=None) -> AppContext:
    kwargs = {"audit": audit} if audit is not None else {}
    return AppContext.operator(Config(data_dir=str(data_dir), flows_dir=FLOWS_DIR), **kwargs)


def build(ctx: AppContext, tmp: Path, domain: str = DOMAIN, numbers=("+34910000001", "+34910000002")) -> None:
    core.add_tenant(ctx, domain, "Acme S.L.", country="ES", region="MD")
    for extension, name in (("1001", "Ana García"), ("1002", "Bruno"), ("1003", "Recepción")):
        core.add_user(ctx, domain, extension, name, email=f"u{extension}@acme.example", password="s3cret-pass-1")
    core.set_user(ctx, domain, "1003", enabled=False)
    audio.upload_audio(ctx, domain, "Bienvenida", sine(tmp / "welcome.wav", 0.3, 8000))
    audio.upload_audio(ctx, domain, "Cerrado", sine(tmp / "closed.wav", 0.2, 8000))
    schedule.add_schedule(ctx, domain, "Office", hours=["mon-fri 09:00-14:00,16:00-19:00", "sat 10:00-13:00"],
                          description="Main office")
    schedule.add_schedule(ctx, domain, "Summer", hours=["mon-fri 08:00-15:00"], holidays="none",
                          timezone="Atlantic/Canary")
    schedule.add_period(ctx, domain, "Office", "closure", dt.datetime(2026, 12, 24, 14), dt.datetime(2026, 12, 26),
                        "Christmas")
    schedule.add_period(ctx, domain, "Office", "opening", dt.datetime(2026, 12, 20, 10), dt.datetime(2026, 12, 20, 13))
    callhandling.set_restriction(ctx, domain, None, "national,mobile,international")
    callhandling.set_restriction(ctx, domain, "1002", "national")
    groups.add_group(ctx, domain, "Sales", comment="Ventas", ring_mode="consecutive", member_seconds=20,
                     short_number="500")
    groups.add_member(ctx, domain, "Sales", user="1002")
    groups.add_member(ctx, domain, "Sales", user="1001")
    groups.add_member(ctx, domain, "Sales", number="+34600111222")
    ivr.add_menu(ctx, domain, "Main", welcome="Bienvenida", options={"1": "group:Sales", "2": "user:1001",
                                                                    "0": "voicemail:"},
                 forward="schedule", schedule="Office", closed="message:Cerrado", short_number="600")
    groups.add_group(ctx, domain, "Support", kind="advanced", opening="schedule", schedule="Office",
                     closed_destination="ivr:Main", overflow_destination="voicemail:1001", queue_size=5,
                     melody="audio:Bienvenida", callback_key="5")
    groups.add_member(ctx, domain, "Support", user="1001")
    ivr.change_menu(ctx, domain, "Main", options={"3": "group:Support"})  # a cycle: Main -> Support -> Main
    callflows.enable_flow(ctx, domain, "crm_router", {"crm_url": "https://crm.acme.example/lookup", "timeout": 3})
    callflows.enable_flow(ctx, domain, "survey")
    callflows.add_route(ctx, domain, "vip_router", "crm_router", {"vip": "group:Support", "customers": "ivr:Main"},
                        fallback="user:1001")
    callflows.add_route(ctx, domain, "rate_us", "survey", {"agent": "1002"})
    ivr.change_menu(ctx, domain, "Main", options={"4": "flow:vip_router"})  # Main -> vip_router -> Main
    callhandling.set_forward(ctx, domain, "1001", "no-answer", "voicemail:1001", seconds=25)
    callhandling.set_forward(ctx, domain, "1001", "busy", "group:Sales")
    callhandling.set_forward(ctx, domain, "1002", "always", "ivr:Main")
    callhandling.set_dnd(ctx, domain, "1002", True, "voicemail")
    callhandling.add_ring(ctx, domain, "1001", "number:+34600333444", delay=5, confirm=True)
    callhandling.add_ring(ctx, domain, "1001", "user:1002")
    voicemail.set_box(ctx, domain, "1001", pin="1234", email="ana@acme.example", attach=False)
    voicemail.set_box(ctx, domain, None, pin="9999", keep=False)
    core.add_number(ctx, domain, numbers[0], "ivr:Main", "main line")
    core.add_number(ctx, domain, numbers[1], "user:1002")
    contacts.add_contact(ctx, domain, None, ContactInput("Proveedor Uno", company="Uno S.A.",
                                                         numbers=(("work", "91 123 45 67"), ("mobile", "600 999 888")),
                                                         note="Pedidos\nlunes a jueves"))
    contacts.add_contact(ctx, domain, None, ContactInput("Zeta", email="zeta@example.com"))
    contacts.add_contact(ctx, domain, "1001", ContactInput("Mamá", numbers=(("mobile", "+34 600 123 123"),)))
    # phone features: two codes swapped (only a whole table can restore that), one off, one moved
    featurecodes.set_code(ctx, domain, "dnd_on", "*4")
    featurecodes.set_code(ctx, domain, "dnd_off", "*78")
    featurecodes.set_code(ctx, domain, "dnd_on", "*79")
    featurecodes.set_code(ctx, domain, "intercom", "")
    featurecodes.set_code(ctx, domain, "pickup_direct", "*88")
    featurecodes.set_pickup_group(ctx, domain, "1001", "Ventas")
    featurecodes.set_pickup_group(ctx, domain, "1002", "Ventas")
    groups.pause_member(ctx, domain, "1002", paused=True)  # logged out of Sales with *51
