"""Two tenants with users, numbers, keys and logins, for API tests: `acme` is the callers' own tenant,
`rival` the other one, whose marker strings must never appear in an answer to acme's callers."""
from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from fs_plugins.access import apikeys, logins, passwords
from fs_plugins.application import AppContext
from fs_plugins.callflows import app as callflows
from fs_plugins.callhandling import app as callhandling
from fs_plugins.core import app as core
from fs_plugins.contacts import service as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.audio import app as audio
from fs_plugins.groups import app as groups
from fs_plugins.ivr import app as ivr
from fs_plugins.provisioning import app as provisioning
from fs_plugins.models.audio import RecordingJob
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.recording import Recording
from fs_plugins.schedule import settings as schedules
from fs_plugins.schedule import spec
from fs_plugins.voicemail import app as voicemail
from fs_plugins.api.app import make_api_app
from fs_plugins.config import Config
from tests.audio_helpers import sine
from tests.contact_directories import operator_directory
from tests.provision import QUIET, find_tenant, find_user

OWN, OTHER = "acme.example.com", "rival-secret.example.net"
PASSWORD = "portal-pass-1"
DATA_DIR = tempfile.mkdtemp(prefix="centralita-api-tests-")
FLOWS_DIR = str(Path(__file__).resolve().parents[1] / "examples" / "flows")  # pin_line for /flow-routes
VOICEMAIL_MESSAGE = "0000000a-aaaa-bbbb-cccc-dddddddddddd"  # an id as mod_voicemail gives (no FreeSWITCH here)
GROUP_MEMBER = "+34699000222"  # each tenant's group rings this external number (no user: users stay removable)


@dataclass
class TenantData:
    domain: str
    extension: str  # the user whose key is the "user" role's
    other_extension: str
    number: str
    key_prefix: str
    ring_id: int  # a simultaneous-ring entry of `extension`
    other_ring_id: int  # one of `other_extension`
    contact_id: int  # a personal contact of `extension`
    other_contact_id: int  # one of `other_extension`
    common_contact_id: int
    schedule: str  # a schedule name of this tenant only
    closure_id: int  # one of its closures
    menu: str  # an IVR menu of this tenant only (two options to no user, nothing routes to it)
    group: str  # a call group of this tenant only (an external member, nothing routes to it)
    audio: str  # an audio file of this tenant only (nothing plays it)
    recording_job: int  # a recording by phone of this tenant (ended: failed)
    route: str = ""  # a custom flow route of this tenant only (pin_line, enabled; nothing routes to it)
    flow: str = "pin_line"  # a flow enabled for this tenant only (besides pin_line, which both may use)
    markers: list[str] = field(default_factory=list)
    login: str = ""  # a user login of this tenant only (build_world)
    mac: str = ""  # a provisioned phone of this tenant (its second user's)
    recording: int = 0  # a call recording of this tenant (the first user's received call), its file on disk

    def values(self, user: str = "own", path: str = "") -> dict:
        """Path parameters naming this tenant's objects; `other` for those of its second user. A
        contact under /me is a personal one; under the tenant, a common one."""
        mine = user == "own"
        personal = self.contact_id if mine else self.other_contact_id
        return {"domain": self.domain, "username": self.login, "number": self.number, "prefix": self.key_prefix,
                "extension": self.extension if mine else self.other_extension,
                "ring_id": str(self.ring_id if mine else self.other_ring_id),
                "contact_id": str(personal if path.startswith("/api/v1/me") else self.common_contact_id),
                "name": self.schedule, "kind": "closures", "period_id": str(self.closure_id),
                "menu": self.menu, "key": "1", "group": self.group, "member": GROUP_MEMBER,
                "audio": self.audio, "message": VOICEMAIL_MESSAGE, "flow": self.flow, "route": self.route,
                "job": str(self.recording_job), "recording": str(self.recording), "mac": self.mac}


@dataclass
class World:
    own: TenantData
    other: TenantData
    keys: dict[str, str]  # role -> key of acme's operator / tenant admin / user 1001

    def headers(self, role: str, **more) -> dict:
        return {"Authorization": f"Bearer {self.keys[role]}", **more}


def build_world() -> World:
    own = _tenant(OWN, "Acme S.L.", ("1001", "Ana"), ("1002", "Bruno"), "+34910000001")
    # Other extensions than acme's, so "rival's user under acme's domain" names nobody in acme.
    other = _tenant(OTHER, "Rivalsecret Corp", ("2001", "Rivalina"), ("2002", "Rivaldo"), "+34930000002")
    acme = find_tenant(OWN)
    keys = {
        "operator": apikeys.create("ops", "operator").key,
        "tenant-admin": apikeys.create("acme admin", "tenant-admin", acme).key,
        "user": apikeys.create("ana's phone app", "user", acme, "1001").key,
    }
    logins.add_login("ana@acme.example.com", PASSWORD, "user", acme, "1001")
    logins.add_login("boss@acme.example.com", PASSWORD, "tenant-admin", acme)
    for tenant in (own, other):  # the isolation matrix's {username}: a login of this tenant only
        tenant.login = logins.add_login(f"people@{tenant.domain}", PASSWORD, "user", find_tenant(tenant.domain),
                                        tenant.extension).username
    return World(own, other, keys)


def _tenant(domain: str, name: str, first: tuple, second: tuple, number: str) -> TenantData:
    # Set up unaudited, as the world always was (the audit log tests count entries).
    core.add_tenant(QUIET, domain, name)
    row = find_tenant(domain)
    (ext1, first), (ext2, second) = first, second
    core.add_user(QUIET, domain, ext1, f"{first} Uno", f"{first.lower()}@{domain}", password="sip-pass-1001")
    core.add_user(QUIET, domain, ext2, f"{second} Dos", password="sip-pass-1002")
    # To the general voicemail, not a user: removing a user something routes to is refused (409).
    core.add_number(QUIET, domain, number, "voicemail:", f"{first} line")
    if ext1 != "1001":  # the API's example bodies name user 1001: every tenant has one
        core.add_user(QUIET, domain, "1001", f"{first} Tres", password="sip-pass-1001")
    key = apikeys.create(f"{first} integration", "tenant-admin", row)
    users = [find_user(row, ext) for ext in (ext1, ext2)]
    # External targets: a user another user's settings route to cannot be removed (409), and the
    # matrix removes users.
    rings = [callhandling.add_ring(QUIET, domain, ext, "number:+34699000111").value.rings[0].id
             for ext in (ext1, ext2)]
    callhandling.set_forward(QUIET, domain, ext1, "busy", f"voicemail:{ext1}")
    for n, owner in enumerate(users):
        CallEntry.create(tenant=row, user=owner, call_id=f"{domain}-call-{n}", kind="received", status="received",
                         direction="inbound", started_at=1_790_000_000 + n, caller_name=f"{first} caller",
                         caller_number="+34600999888", callee=owner.extension)
    for ext in (ext1, ext2, None):
        voicemail.set_box(AppContext.operator(audit=lambda event: None), domain, ext, pin="1234" if ext else None,
                          email=f"box@{domain}")  # set-up, as the world was before: not an audited change
    contact_ids = [contacts.add_contact(operator_directory(domain, ext), ContactInput(
        f"{first} contact of {ext}", numbers=(("work", "+34 912 345 678"),))).id for ext in (ext1, ext2, None)]
    hours = schedules.create_schedule(row, f"{first} horario", hours=spec.parse_hours("mon-fri 09:00-18:00"))
    closure = schedules.add_override(hours, "closure", dt.datetime(2026, 12, 24), dt.datetime(2026, 12, 26),
                                     f"{first} navidad")
    menu = ivr.add_menu(AppContext.operator(audit=lambda event: None), domain, f"{first} menú",
                        options={"1": "number:+34699000111", "2": "voicemail:"}).value
    group = groups.add_group(AppContext.operator(audit=lambda event: None), domain, f"{first} ventas").value
    groups.add_member(AppContext.operator(audit=lambda event: None), domain, group.name, number=GROUP_MEMBER)
    with tempfile.TemporaryDirectory() as folder:
        sound = audio.upload_audio(AppContext.operator(Config().replace(data_dir=DATA_DIR), audit=lambda event: None),
                                   domain, f"{first} saludo",
                                   sine(Path(folder) / "saludo.wav", seconds=0.3, rate=8000)).value
    flows = AppContext.operator(Config(flows_dir=FLOWS_DIR), audit=lambda event: None)
    callflows.enable_flow(flows, domain, "pin_line")
    only_here = "pin_line" if domain == OWN else "survey"
    callflows.enable_flow(flows, domain, only_here)
    route = callflows.add_route(flows, domain, f"{first.lower()}_line", "pin_line",
                                {"pin": "1234", "target": "voicemail:"}).value
    job = RecordingJob.create(tenant=row, name=f"{first} grabación", call=ext1, state="failed",
                              detail="no recording was confirmed", give_up_at=dt.datetime(2026, 1, 1))
    recorded = Recording.create(tenant=row, call_id=f"{domain}-call-0", file=f"{row.id}/call-0.wav", size=4,
                                started_at=1_790_000_000)
    put_recording_file(recorded.file)
    phone = provisioning.add_device(QUIET, domain, "80:5e:c0:00:00:01" if domain == OWN else "80:5e:c0:00:00:02",
                                    "snom", ext2).value.device
    return TenantData(domain, ext1, ext2, number, key.row.prefix, *rings, *contact_ids, hours.name, closure.id,
                      menu.name, group.name, sound.name, job.id, route.name, only_here, recording=recorded.id, mac=phone.mac,
                      markers=[domain, name, f"{first} Uno", f"{second} Dos", number, key.row.prefix,
                               f"{domain}-call", f"{first} caller", f"{first} contact", f"{first} horario",
                               f"{first} navidad", f"{first} menú", f"{first} ventas", f"{first} saludo",
                               route.name, f"{first} grabación", phone.mac])


def put_recording_file(name: str) -> None:
    """A recording's file where the API's config finds it (<data_dir>/recordings), as FreeSWITCH wrote it."""
    path = Path(DATA_DIR) / "recordings" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")


def api_client():
    # No FreeSWITCH to flush in tests; audio files under a temporary folder, not ./var.
    config = Config().replace(fs_event_socket_port=0, data_dir=DATA_DIR, flows_dir=FLOWS_DIR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # apispec's duplicate-schema notice
        app = make_api_app(config)
    return app, app.test_client()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """Still argon2id, at a cost a test suite on two cores can pay hundreds of times (production keeps
    argon2-cffi's defaults, checked in test_api_auth)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY", hasher.hash("not a password of anyone"))


@pytest.fixture
def world(db):
    """A fresh world for tests that change it (the `db` fixture: each backend, a new database)."""
    return build_world()


@pytest.fixture
def client(world):
    return api_client()[1]
