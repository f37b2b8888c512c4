"""The caller name a user sees on an incoming call, looked up on the dialplan hot path.

Order: the caller's entry in the callee's personal contacts, then in the tenant's common
directory, then a user of the tenant calling from their extension; None means "keep the name the
caller sent". It is one prepared SQL statement on the (tenant, e164) index: the query builder
costs 30-40x raw SQL there (DESIGN.md), and this runs inside every dialplan fetch.

Whatever comes back is passed through `safe_name`, because a contact name is user-typed text that
ends up in FreeSWITCH XML and channel variables, where `${…}` and `$${…}` are expanded.
"""
from __future__ import annotations

import re
import unicodedata

from fs_plugins import prepared

MAX_LENGTH = 64

# Ranks: 0 personal contact of the callee, 1 common contact, 2 a user's extension. Within a rank
# the oldest entry wins so the answer is stable.
_SQL = """
SELECT name FROM (
  SELECT c.name AS name, CASE WHEN c.owner_id IS NULL THEN 1 ELSE 0 END AS rnk, c.id AS id
  FROM contact_number n JOIN contact c ON c.id = n.contact_id
  WHERE n.tenant_id = ? AND n.e164 = ? AND (c.owner_id IS NULL OR c.owner_id = ?)
  UNION ALL
  SELECT u.display_name AS name, 2 AS rnk, u.id AS id
  FROM "user" u WHERE u.tenant_id = ? AND u.extension = ? AND u.enabled = ?
) m ORDER BY rnk, id LIMIT 1
"""
def caller_name(db, tenant_id: int, callee_user_id: int | None, caller: str) -> str | None:
    """The name to present for `caller` (an E.164 number or an extension), already made safe."""
    if not caller:
        return None
    params = (tenant_id, caller, callee_user_id, tenant_id, caller, True)
    row = prepared.run_planned(db, _SQL, params).fetchone()
    return safe_name(row[0]) if row else None


# Characters that mean something to FreeSWITCH (variable expansion `$`, `{ }`), to dial strings
# (`, | [ ] ^`), to SIP display names and XML attributes (quotes, `< >`, backslash), or to the
# argument parser of dialplan applications (`;`). None of them is needed to read a name.
_UNSAFE = str.maketrans({ch: " " for ch in "$`{}[],|^\"\\<>;"})
_SPACES = re.compile(r"\s+")


def safe_name(name: str | None, max_length: int = MAX_LENGTH) -> str | None:
    """A name that cannot inject anything into FreeSWITCH: no `${`, `$${`, quotes, CR/LF or
    control/format characters; at most `max_length` characters; None when nothing readable is left.

    Apostrophes (O'Brien) become the typographic ’ so the name still reads right.
    """
    if not name:
        return None
    text = unicodedata.normalize("NFC", name).replace("'", "\u2019").translate(_UNSAFE)
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)
    text = _SPACES.sub(" ", text).strip()[:max_length].rstrip()
    return text or None
