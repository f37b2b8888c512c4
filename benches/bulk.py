"""Bulk loading for the bench data sets: rows in, as a database restore would write them.

Rows are dicts keyed by column name; every column a row leaves out gets the model's default (so a
column another change adds with a default needs nothing here). SQLite gets batched executemany
with its journal off; PostgreSQL gets COPY. Indexes are dropped first and built once at the end,
which is far cheaper than millions of random index inserts.
"""
from __future__ import annotations

import datetime as dt
import io
from itertools import islice
from typing import Iterable

import peewee

BATCH = 50_000


def columns(model) -> list[tuple[str, object]]:
    """(column, default) for every column of the model's table, the defaults evaluated once."""
    out = []
    for field in model._meta.sorted_fields:
        default = field.default() if callable(field.default) else field.default
        if isinstance(default, dt.datetime):
            default = default.replace(microsecond=0)
        out.append((field.column_name, None if default is None else _plain(field.db_value(default))))
    return out


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    return value


class Loader:
    """Loads rows into one open database (peewee), SQLite or PostgreSQL."""

    def __init__(self, db: peewee.Database):
        self.db = db
        self.postgres = isinstance(db, peewee.PostgresqlDatabase)

    def insert(self, model, rows: Iterable[dict]) -> int:
        spec = columns(model)
        names = [name for name, _ in spec]
        tuples = (tuple(_plain(row.get(name, default)) for name, default in spec) for row in rows)
        table = model._meta.table_name
        count = 0
        while chunk := list(islice(tuples, BATCH)):
            if self.postgres:
                self._copy(table, names, chunk)
            else:
                quoted = ", ".join(f'"{name}"' for name in names)
                sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
                self.db.connection().executemany(sql, chunk)
            count += len(chunk)
        return count

    def _copy(self, table: str, names: list[str], rows: list[tuple]) -> None:
        text = io.StringIO()
        for row in rows:
            text.write("\t".join(_copy_value(value) for value in row))
            text.write("\n")
        text.seek(0)
        quoted = ", ".join(f'"{name}"' for name in names)
        with self.db.connection().cursor() as cursor:
            cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', text)

    def drop_indexes(self) -> list[str]:
        """Drop every secondary index; returns the statements that build them again."""
        if self.postgres:
            rows = self.db.execute_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
        else:
            rows = self.db.execute_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in rows:
            self.db.execute_sql(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def finish(self, create_indexes: list[str], tables: Iterable[str]) -> None:
        """Build the indexes, move the id sequences past the loaded ids, refresh the planner's statistics."""
        for sql in create_indexes:
            self.db.execute_sql(sql)
        if self.postgres:
            for table in tables:
                self.db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)')
        self.db.execute_sql("ANALYZE")


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text
