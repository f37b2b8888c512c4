"""A small, realistic tenant for the portal's screenshots (docs/screenshots/take.py): Acme's users,
forwards, a day of calls in every status, contacts, two voicemail messages, a schedule with a closure,
an advanced call group; and a second customer, suspended, whose login is refused."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from pathlib import Path

from werkzeug.serving import make_server

from fs_plugins import db as dbmod
from fs_plugins.access import logins
from fs_plugins.application import AppContext
from fs_plugins.callflows import app as callflows
from fs_plugins.callhandling import app as callhandling
from fs_plugins.calllog.classify import Status
from fs_plugins.config import Config
from fs_plugins.contacts import service as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.core import app as core
from fs_plugins.models.groups import GroupCall
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.recording import Recording
from fs_plugins.provisioning import app as provisioning
from fs_plugins.recording import app as recording
from fs_plugins.schedule import settings as schedules
from fs_plugins.schedule.spec import parse_hours
from fs_plugins.sim.voicemail import StoredMessage
from fs_plugins.web import make_web_app
from tests import provision
from tests.audio_helpers import sine
from tests.browser_support import emulator_in_its_own_thread
from tests.contact_directories import operator_directory

DOMAIN = "acme.example.com"
PASSWORD = "portal-pass-1"
USER = ("ana@acme.example.com", PASSWORD)
ADMIN = ("jefa@acme.example.com", PASSWORD)
OPERATOR = ("operador", PASSWORD)
SUSPENDED_DOMAIN = "ferreteria-lopez.example.com"
SUSPENDED_USER = ("luis@ferreteria-lopez.example.com", PASSWORD)
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
FLOWS_DIR = str(Path(__file__).resolve().parents[1] / "examples" / "flows")  # the operator's flows page lists them


def pages():
    """(file name, login, path, viewport) of each screenshot."""
    return [
        ("login", None, "/login", DESKTOP),
        ("forwards", USER, "/me/forwards", DESKTOP),
        ("call-log", USER, "/me/calls?period=day&day=2026-11-24", DESKTOP),
        ("contacts", USER, "/me/contacts", DESKTOP),
        ("voicemail", USER, "/me/voicemail", DESKTOP),
        ("phonebook", USER, "/me/phonebook", DESKTOP),
        ("users", ADMIN, f"/t/{DOMAIN}/users", DESKTOP),
        ("numbers", ADMIN, f"/t/{DOMAIN}/numbers", DESKTOP),
        ("schedules", ADMIN, f"/t/{DOMAIN}/schedules?year=2026", DESKTOP),
        ("schedule-edit", ADMIN, f"/t/{DOMAIN}/schedules/1?year=2026", DESKTOP),
        ("ivr", ADMIN, f"/t/{DOMAIN}/ivr/1", DESKTOP),
        ("group-edit", ADMIN, f"/t/{DOMAIN}/groups/1", DESKTOP),
        ("group-stats", ADMIN, f"/t/{DOMAIN}/groups/1/stats?month=2026-11", DESKTOP),
        ("audio-record", ADMIN, f"/t/{DOMAIN}/audio", DESKTOP),  # take.py starts a recording by phone
        ("feature-codes", ADMIN, f"/t/{DOMAIN}/feature-codes", DESKTOP),
        ("logins", ADMIN, f"/t/{DOMAIN}/logins", DESKTOP),
        ("devices", ADMIN, f"/t/{DOMAIN}/devices", DESKTOP),
        ("recordings", ADMIN, f"/t/{DOMAIN}/recordings", DESKTOP),
        ("customers", OPERATOR, "/operator/tenants", DESKTOP),
        ("flows", OPERATOR, f"/operator/tenants/{DOMAIN}/flows", DESKTOP),
        ("login-suspended", None, "/login", DESKTOP),  # take.py signs in as SUSPENDED_USER: refused
        ("health", OPERATOR, "/operator/health", DESKTOP),
        ("phone-menu", USER, "/me/calls?period=day&day=2026-11-24", PHONE),
    ]


@contextlib.contextmanager
def serve(folder: Path):
    emulator, stop_emulator = emulator_in_its_own_thread()
    _messages(emulator, folder / "voicemail")
    database = dbmod.connect(f"sqlite:///{folder / 'centralita.db'}")
    host, port = emulator.address
    config = Config().replace(data_dir=str(folder), fs_event_socket_host=host, fs_event_socket_port=port,
                              voicemail_files_dir=str(folder / "voicemail"), flows_dir=FLOWS_DIR)
    server = make_server("127.0.0.1", 0, make_web_app(config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        database.close()
        stop_emulator()


def _messages(emulator, files: Path) -> None:
    folder = files / "default" / DOMAIN / "1001"
    folder.mkdir(parents=True)
    for n, (name, number, seconds) in enumerate((("Proveedor S.A.", "+34911234567", 34),
                                                 ("Clínica Dental Sol", "+34600111222", 12)), 1):
        path = folder / f"msg_{n}.wav"
        path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
        emulator.voicemail.leave(DOMAIN, "1001", StoredMessage(
            f"5e1f0c2{n}-6a4b-4c7d-9e0f-1a2b3c4d5e6f", name, number, seconds, str(path),
            created=int(dt.datetime(2026, 11, 24, 9 + n, 12, tzinfo=dt.timezone.utc).timestamp()),
            read=0 if n == 2 else 1764000000))


def sample_world(folder: Path) -> None:
    """The sample customer; `folder` is serve's data_dir (its call recordings' files go there)."""
    ctx = AppContext.operator()
    core.add_tenant(ctx, domain=DOMAIN, name="Acme S.L.", timezone="Europe/Madrid", language="es", country="ES",
                    region="MD")
    for extension, name in (("1001", "Ana García"), ("1002", "Bruno Díaz"), ("1003", "Carmen Ruiz")):
        core.add_user(ctx, DOMAIN, extension=extension, name=name)
    logins.add_login(USER[0], PASSWORD, "user", _tenant(), "1001")
    logins.add_login(ADMIN[0], PASSWORD, "tenant-admin", _tenant())
    logins.add_login(OPERATOR[0], PASSWORD, "operator")
    core.add_number(ctx, DOMAIN, "+34 910 000 001", "user:1001", "Centralita")
    core.add_number(ctx, DOMAIN, "+34 910 000 002", "voicemail:", "Fax antiguo")
    callhandling.set_forward(ctx, DOMAIN, "1001", "no-answer", "voicemail:1001", 20)
    callhandling.set_forward(ctx, DOMAIN, "1001", "busy", "user:1002")
    callhandling.add_ring(ctx, DOMAIN, "1001", "number:600123456", 5, True)
    mine = operator_directory(DOMAIN, "1001")
    for name, company, numbers in (("Proveedor S.A.", "Suministros", (("work", "91 123 45 67"),)),
                                   ("Luis Martín", "Gestoría Martín", (("mobile", "600 222 333"), ("work", "91 555 12 34"))),
                                   ("Clínica Dental Sol", None, (("work", "91 765 43 21"),))):
        contacts.add_contact(mine, ContactInput(name, company, None, None, numbers))
    office = schedules.create_schedule(_tenant(), "Oficina", hours=parse_hours("mon-fri 09:00-14:00,16:00-19:00"))
    schedules.add_override(office, "closure", dt.datetime(2026, 12, 24, 14), dt.datetime(2026, 12, 26), "Navidad")
    schedules.add_override(office, "opening", dt.datetime(2026, 12, 19, 10), dt.datetime(2026, 12, 19, 14),
                           "Sábado de inventario")
    provision.menu(_tenant(), "Principal", comment="Horario de oficina", short_number="5000",
                   options={"1": "user:1002", "2": "user:1003"}, exit="voicemail:")
    _calls()
    _group_calls()
    _phones_recordings_and_flows(ctx, folder)
    _suspended_customer(ctx)


def _phones_recordings_and_flows(ctx, folder: Path) -> None:
    provisioning.add_device(ctx, DOMAIN, "0c:38:3e:12:34:56", "fanvil", "1001", blf=("1002", "1003"))
    provisioning.add_device(ctx, DOMAIN, "80:5e:c0:12:34:56", "yealink", "1002", blf=("1001",))
    recording.set_policy(ctx, DOMAIN, "inbound", user="1001")
    recording.set_settings(ctx, DOMAIN, announce=True, retention_days=90)
    for call in ("sample-0", "sample-6"):  # two answered calls of the sample call log
        started = CallEntry.get(CallEntry.call_id == call).started_at
        file = f"{_tenant().id}/{call}.wav"
        (folder / "recordings" / file).parent.mkdir(parents=True, exist_ok=True)
        sine((folder / "recordings" / file), seconds=1.0, rate=8000)
        Recording.create(tenant=_tenant(), call_id=call, file=file, size=16044, started_at=started)
    flows = AppContext.operator(Config(flows_dir=FLOWS_DIR))
    callflows.enable_flow(flows, DOMAIN, "pin_line")
    callflows.enable_flow(flows, DOMAIN, "survey")


def _suspended_customer(ctx) -> None:
    core.add_tenant(ctx, domain=SUSPENDED_DOMAIN, name="Ferretería López", timezone="Europe/Madrid", language="es",
                    country="ES")
    core.add_user(ctx, SUSPENDED_DOMAIN, extension="1001", name="Luis López")
    logins.add_login(SUSPENDED_USER[0], PASSWORD, "user", _tenant(SUSPENDED_DOMAIN), "1001")
    core.suspend_tenant(ctx, SUSPENDED_DOMAIN)


def _tenant(domain: str = DOMAIN):
    from fs_plugins.models import Tenant

    return Tenant.get(Tenant.domain == domain)


def _calls() -> None:
    from fs_plugins.models import User

    ana = User.get(User.extension == "1001", User.tenant == _tenant())
    day = dt.datetime(2026, 11, 24, 7, 30, tzinfo=dt.timezone.utc)
    calls = [  # (minutes after 08:30 local, kind, status, name, number, callee, ring, talk)
        (0, "received", Status.RECEIVED, "Proveedor S.A.", "+34911234567", "1001", 6, 245),
        (25, "missed", Status.MISSED, "Clínica Dental Sol", "+34917654321", "1001", 21, 0),
        (40, "made", Status.MADE, "Ana García", "1001", "+34600222333", 8, 312),
        (55, "missed", Status.FORWARDED, "Luis Martín", "+34600222333", "1001", 20, 0),
        (70, "made", Status.WRONG_NUMBER, "Ana García", "1001", "+34900000000", 2, 0),
        (95, "missed", Status.DND, "Desconocido", "+34699000111", "1001", 0, 0),
        (130, "received", Status.TRANSFERRED, "Bruno Díaz", "1002", "1001", 3, 61),
        (150, "missed", Status.REJECTED, "Televenta", "+34911000999", "1001", 4, 0),
        (180, "made", Status.CANCELLED, "Ana García", "1001", "1003", 9, 0),
        (200, "made", Status.RESTRICTED, "Ana García", "1001", "+4490012345", 0, 0),
    ]
    for n, (minutes, kind, status, name, number, callee, ring, talk) in enumerate(calls):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"sample-{n}", kind=kind, status=status.code,
                         direction="outbound" if kind == "made" else "inbound",
                         started_at=int((day + dt.timedelta(minutes=minutes)).timestamp()), caller_name=name,
                         caller_number=number, callee=callee, answered_by="", ring_seconds=ring, talk_seconds=talk)


def _group_calls() -> None:
    """A month of calls to an advanced group, as its flow records them."""
    from fs_plugins.models import User

    group = provision.group(_tenant(), "Soporte", ("1001", "1002", "1003"), kind="advanced", ring_mode="consecutive",
                            member_seconds="15")
    members = [User.get(User.extension == e, User.tenant == _tenant()) for e in ("1001", "1002", "1003")]
    for day in range(2, 28):
        if dt.date(2026, 11, day).weekday() >= 5:
            continue
        for n in range(4 + day % 5):
            outcome = "abandoned" if (day + n) % 7 == 0 else "overflowed" if (day + n) % 11 == 0 else "answered"
            GroupCall.create(group=group, call_uuid=f"g-{day}-{n}", started_at=dt.datetime(2026, 11, day, 8 + n),
                             outcome=outcome, wait_seconds=5 + (day * n) % 40,
                             member_user=members[(day + n) % 3] if outcome == "answered" else None,
                             talk_seconds=60 + (day * 7 + n * 13) % 300 if outcome == "answered" else 0)
