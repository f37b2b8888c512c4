"""The demo tenant `centralita serve` creates in an empty database, so a newcomer can try it."""
from __future__ import annotations

from fs_plugins import provisioning
from fs_plugins.models import Tenant

DEMO_DOMAIN = "demo.centralita.test"
DEMO_USERS = (("1001", "Ana García"), ("1002", "Bruno López"), ("1003", "Recepción"))
DEMO_DID = "+34910000001"


def create_demo() -> list[str]:
    """Create the demo tenant; returns lines describing it (with its generated passwords)."""
    tenant = provisioning.add_tenant("Demo S.L.", DEMO_DOMAIN, "Europe/Madrid", "es", "ES", "MD").row
    lines = [f"demo tenant {DEMO_DOMAIN} (Europe/Madrid, Spain/Madrid holidays)"]
    for extension, name in DEMO_USERS:
        change = provisioning.add_user(tenant, extension, name)
        lines.append(f"  user {extension}@{DEMO_DOMAIN} ({name}) SIP password: {change.generated_password}")
    provisioning.add_number(tenant, DEMO_DID, "user:1001", "demo DID")
    lines.append(f"  DID {DEMO_DID} → user 1001")
    return lines


def database_is_empty() -> bool:
    return not Tenant.select().exists()
