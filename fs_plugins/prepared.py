"""Prepared SQL for the hot paths: the directory, the dialplan, API keys, caller names, the call log.

DESIGN.md measured peewee's query builder at 30–40× raw SQL on a user lookup, so these reads are
written as SQL once, with `?` placeholders, and handed to the driver in its own style (SQLite `?`,
psycopg2 `%s`): `statement(db, sql)` converts once per statement and driver, `run(db, sql, params)`
executes. Values always travel as parameters, never inside the text. A statement here must not hold
a literal `?` or `%` (none does).
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=512)
def _styled(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def statement(db, sql: str) -> str:
    """`sql`, written with `?` placeholders, in the placeholder style of `db`'s driver."""
    return _styled(sql, db.param)


def run(db, sql: str, params: tuple = ()):
    """Execute `sql` (written with `?`) with `params` on `db`; returns the cursor."""
    return db.execute_sql(statement(db, sql), params)
