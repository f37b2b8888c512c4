"""The dialplan's read of a tenant's feature codes: one prepared statement, kept by the xml_curl
cache until the database changes (only a tenant's changed codes are rows; the rest are defaults)."""
from __future__ import annotations

from fs_plugins import prepared
from fs_plugins.featurecodes import rules
from fs_plugins.featurecodes.kinds import BY_NAME

_SQL = "SELECT feature, code FROM feature_code WHERE tenant_id = ?"


def codes(db, tenant_id: int) -> dict[str, str]:
    rows = prepared.run(db, _SQL, (tenant_id,)).fetchall()
    return rules.table({feature: code for feature, code in rows if feature in BY_NAME})
