"""The dialplan's reads for feature codes: a tenant's code table (one prepared statement, kept by the
xml_curl cache until the database changes; only a tenant's changed codes are rows, the rest are
defaults), and the members a group page reaches."""
from __future__ import annotations

from fs_plugins import prepared
from fs_plugins.featurecodes import rules
from fs_plugins.featurecodes.kinds import BY_NAME

_SQL = "SELECT feature, code FROM feature_code WHERE tenant_id = ?"
# A call group's users a page reaches: enabled, of the tenant, not in do-not-disturb, in ring order.
_PAGED = ('SELECT u.extension FROM group_member m JOIN "user" u ON u.id = m.user_id '
          "LEFT JOIN call_handling c ON c.user_id = u.id "
          "WHERE m.group_id = ? AND u.tenant_id = ? AND u.enabled AND NOT COALESCE(c.dnd, FALSE) "
          "ORDER BY m.position, m.id")


def codes(db, tenant_id: int) -> dict[str, str]:
    rows = prepared.run_planned(db, _SQL, (tenant_id,)).fetchall()
    return rules.table({feature: code for feature, code in rows if feature in BY_NAME})


def paged(db, tenant_id: int, group_id: int) -> list[str]:
    """The extensions a page to the group reaches (read per call: paging is rare, never cached)."""
    return [row[0] for row in prepared.run_planned(db, _PAGED, (group_id, tenant_id)).fetchall()]
