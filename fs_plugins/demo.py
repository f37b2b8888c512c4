"""The demo tenant `centralita serve` creates in an empty database, so a newcomer can try it."""
from __future__ import annotations

from fs_plugins.application import AppContext
from fs_plugins.core import app
from fs_plugins.models import Tenant

DEMO_DOMAIN = "demo.centralita.test"
DEMO_USERS = (("1001", "Ana García"), ("1002", "Bruno López"), ("1003", "Recepción"))
DEMO_DID = "+34910000001"


def create_demo(ctx: AppContext) -> list[str]:
    """Create the demo tenant; returns lines describing it (with its generated passwords)."""
    app.add_tenant(ctx, DEMO_DOMAIN, "Demo S.L.", "Europe/Madrid", "es", "ES", "MD")
    lines = [f"demo tenant {DEMO_DOMAIN} (Europe/Madrid, Spain/Madrid holidays)"]
    for extension, name in DEMO_USERS:
        created = app.add_user(ctx, DEMO_DOMAIN, extension, name).value
        lines.append(f"  user {extension}@{DEMO_DOMAIN} ({name}) SIP password: {created.sip_password}")
    app.add_number(ctx, DEMO_DOMAIN, DEMO_DID, "user:1001", "demo DID")
    lines.append(f"  DID {DEMO_DID} → user 1001")
    return lines


def database_is_empty() -> bool:
    return not Tenant.select().exists()
