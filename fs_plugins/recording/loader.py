"""The dialplan's read of a tenant's recording policies: one prepared statement, kept by the
xml_curl cache until that tenant's rows change (recording_policy and recording_settings are
watched tables, xml_curl/changes.py)."""
from __future__ import annotations

import logging

from fs_plugins import prepared
from fs_plugins.recording.kinds import GROUP_MODES, MODES
from fs_plugins.recording.records import NOTHING, TenantRecording

log = logging.getLogger(__name__)

_SQL = """
SELECT u.extension, NULL, p.mode FROM recording_policy p JOIN "user" u ON u.id = p.user_id
 WHERE p.tenant_id = ? AND u.tenant_id = ?
UNION ALL
SELECT NULL, g.id, p.mode FROM recording_policy p JOIN call_group g ON g.id = p.group_id
 WHERE p.tenant_id = ? AND g.tenant_id = ?
UNION ALL
SELECT NULL, NULL, CASE WHEN s.announce THEN 'announce' ELSE '' END FROM recording_settings s WHERE s.tenant_id = ?
"""


def tenant_recording(db, tenant_id: int) -> TenantRecording:
    users, groups, announce = {}, {}, False
    for extension, group_id, mode in prepared.run_planned(db, _SQL, (tenant_id,) * 5).fetchall():
        if extension is None and group_id is None:
            announce = mode == "announce"
        elif extension is not None and mode in MODES:
            users[extension] = mode
        elif group_id is not None and mode in GROUP_MODES:
            groups[int(group_id)] = mode
        else:  # a hand-edited row: never passed on
            log.warning("tenant %s: recording policy %r ignored", tenant_id, mode)
    if not users and not groups:
        return NOTHING
    return TenantRecording(users, groups, announce)
