"""No hash or password in any log, at any level.

peewee logs every statement at DEBUG as ``(sql, params)``; an UPDATE or INSERT of a user carries
its a1-hash, a voicemail box its vm-a1-hash, a login its argon2 hash, a session or API key its
digest. `hide_secret_parameters` (installed on the "peewee" logger when a database is opened)
replaces every parameter of a statement that names such a column with "(hidden)": the statement
stays readable, the values are gone. Centralita's own log lines never format a secret (tests
check it at DEBUG, tests/test_log_redaction.py).
"""
from __future__ import annotations

import logging
import re

SECRET_COLUMN = re.compile(r"hash|password|passwd|secret|token|digest|\bpin\b", re.IGNORECASE)
HIDDEN = "(hidden)"


class HideSecretParameters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if isinstance(message, tuple) and len(message) == 2 and isinstance(message[0], str):
            sql, params = message
            if params and SECRET_COLUMN.search(sql):
                record.msg = (sql, [HIDDEN] * len(params))
        return True


_FILTER = HideSecretParameters()


def hide_secret_parameters() -> None:
    """Idempotent: the filter is added to peewee's logger once."""
    logger = logging.getLogger("peewee")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
