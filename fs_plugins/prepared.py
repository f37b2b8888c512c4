"""Prepared SQL for the hot paths: the directory, the dialplan, API keys, caller names, the call log,
and (get_or_none) the rows every API request looks up.

DESIGN.md measured peewee's query builder at 30–40× raw SQL on a user lookup, so these reads are
written as SQL once, with `?` placeholders, and handed to the driver in its own style (SQLite `?`,
psycopg2 `%s`): `statement(db, sql)` converts once per statement and driver, `run(db, sql, params)`
executes. Values always travel as parameters, never inside the text. A statement here must not hold
a literal `?` or `%` (none does).

`on_server` (and run_planned, get_or_none, insert, save, select, built on it) goes one step further
on serve's PostgreSQL: the statement is prepared on the connection once and then only executed, so
PostgreSQL stops parsing and planning it on every request (fs_plugins.dbpool); anywhere else
(SQLite, the CLI's connection) it is the same plain text.
"""
from __future__ import annotations

import functools
import hashlib


@functools.lru_cache(maxsize=512)
def _styled(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def statement(db, sql: str) -> str:
    """`sql`, written with `?` placeholders, in the placeholder style of `db`'s driver."""
    return _styled(sql, db.param)


def run(db, sql: str, params: tuple = ()):
    """Execute `sql` (written with `?`) with `params` on `db`; returns the cursor."""
    return db.execute_sql(statement(db, sql), params)


def run_planned(db, sql: str, params: tuple = ()):
    """`run`, with `sql` prepared on serve's PostgreSQL connection the first time (`on_server`):
    for the reads a call's routing makes when its answer is not kept, which PostgreSQL planned for
    longer than it ran them (1.0-2.0 ms planning against 0.1-0.2 ms running each, EXPLAIN ANALYZE on
    the quick bench set: ~6 ms of a 7-8 ms extension-to-user route), and the API's and portal's
    reads. `sql` must be one of few texts (each is held prepared for the connection's life)."""
    return db.execute_sql(on_server(db, sql), params)


# --- one row by equal columns, without peewee's query builder -----------------------------------
# The application layer's scope checks (tenant by domain, user by tenant and extension) and a few
# per-request rows run on every API and portal request; built by peewee each costs more CPU than
# the query itself, on a core the xml_curl handler may share (benches/b6_api.py).

@functools.lru_cache(maxsize=256)
def _lookup(model, names: tuple[str, ...]) -> tuple[str, tuple]:
    """(SELECT of every column of `model` where each of `names` equals a parameter, the field names
    in the order of its columns): written once per model and fields."""
    meta = model._meta
    columns = meta.sorted_fields
    where = " AND ".join(f'"{meta.fields[name].column_name}" = ?' for name in names)
    sql = (f'SELECT {", ".join(chr(34) + field.column_name + chr(34) for field in columns)} '
           f'FROM "{meta.table_name}" WHERE {where} LIMIT 1')
    return sql, tuple(field.name for field in columns)


def get_or_none(model, **equal):
    """`model.get_or_none(model.a == x, model.b == y)` as `get_or_none(model, a=x, b=y)`: the same
    instance (values converted by the fields, nothing marked changed), the SQL written once. A
    foreign key given as a row is kept as that row: reading it back costs no query."""
    meta = model._meta
    fields = meta.fields
    db = meta.database
    sql, names = _lookup(model, tuple(equal))
    found = db.execute_sql(on_server(db, sql), tuple(fields[name].db_value(value) for name, value in equal.items()))
    rows = found.fetchall()  # to the end: an unfinished SQLite statement would keep its read open
    if not rows:
        return None
    return row_of(model, names, rows[0], equal)


def row_of(model, names, values, given=None):
    """The instance of `model` whose fields `names` hold the columns `values` (converted by the fields,
    nothing marked changed), as peewee makes it from a SELECT. A row in `given` for a foreign key
    (duck-typed: this module stays free of peewee, tests/test_architecture.py) is kept as that row:
    reading it back costs no query."""
    fields = model._meta.fields
    instance = model(__no_default__=1)
    # What each column's accessor would store on a new row (the value; a foreign key's has no row to
    # drop yet), without a Python call per field through it: a session's four rows, an API key's
    # tenant and user, on every request
    instance.__data__ = {name: fields[name].python_value(value) for name, value in zip(names, values)}
    for name, value in (given or {}).items():
        if hasattr(value, "_meta") and hasattr(fields[name], "rel_model"):
            setattr(instance, name, value)
    instance._dirty.clear()
    return instance


@functools.lru_cache(maxsize=256)
def _insert(model, names: tuple[str, ...]) -> str:
    meta = model._meta
    columns = ", ".join(f'"{meta.fields[name].column_name}"' for name in names)
    return f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({", ".join("?" * len(names))})'


def insert(model, **values) -> None:
    """`model.insert(**values).execute()` for a row whose id nobody reads back (an audit entry);
    a column not given gets its field's default, as with peewee."""
    fields = model._meta.fields
    for field in model._meta.sorted_fields:
        if field.name not in values and field.default is not None and field is not model._meta.primary_key:
            values[field.name] = field.default() if callable(field.default) else field.default
    db = model._meta.database
    db.execute_sql(on_server(db, _insert(model, tuple(values))),
                   tuple(fields[name].db_value(value) for name, value in values.items()))


@functools.lru_cache(maxsize=256)
def _insert_or_touch(model, names: tuple[str, ...], unique: str, touched: str) -> tuple[str, tuple]:
    meta = model._meta
    columns = meta.sorted_fields
    sql = (f'{_insert(model, names)} ON CONFLICT ("{meta.fields[unique].column_name}") DO UPDATE SET '
           f'"{meta.fields[touched].column_name}" = excluded."{meta.fields[touched].column_name}" '
           f'RETURNING {", ".join(chr(34) + field.column_name + chr(34) for field in columns)}')
    return sql, tuple(field.name for field in columns)


def insert_or_touch(model, unique: str, touched: str, **values):
    """The row of `model` whose `unique` column holds `values[unique]`: inserted with `values` (and
    the fields' defaults) when missing, else only its `touched` column set to `values[touched]`,
    which on PostgreSQL holds the row locked to the end of the transaction; in one statement, its
    SQL written once (peewee's upsert followed by a read was two round trips, the upsert planned
    each time)."""
    meta = model._meta
    fields = meta.fields
    for field in meta.sorted_fields:
        if field.name not in values and field.default is not None and field is not meta.primary_key:
            values[field.name] = field.default() if callable(field.default) else field.default
    db = meta.database
    sql, names = _insert_or_touch(model, tuple(values), unique, touched)
    rows = db.execute_sql(on_server(db, sql), tuple(fields[name].db_value(value) for name, value in values.items()))
    row = rows.fetchall()[0]  # to the end: on SQLite the insert completes when its rows are read
    return row_of(model, names, row, {unique: values[unique]})


@functools.lru_cache(maxsize=256)
def _update(model, names: tuple[str, ...]) -> str:
    meta = model._meta
    assignments = ", ".join(f'"{meta.fields[name].column_name}" = ?' for name in names)
    return f'UPDATE "{meta.table_name}" SET {assignments} WHERE "{meta.primary_key.column_name}" = ?'


def save(row) -> None:
    """`row.save()` for a row read from the table (it has its id): the columns it holds written, as
    peewee does, the SQL written once per model and columns. A new row goes through peewee (its id
    comes back)."""
    if row._pk is None:
        row.save()
        return
    meta = row._meta
    key = meta.primary_key
    names = tuple(field.name for field in meta.sorted_fields if field is not key and field.name in row.__data__)
    values = tuple(meta.fields[name].db_value(row.__data__[name]) for name in names)
    db = meta.database
    db.execute_sql(on_server(db, _update(type(row), names)), values + (key.db_value(row._pk),))
    row._dirty.clear()


# --- prepared on the server ---------------------------------------------------------------------
# PostgreSQL parses and plans every statement it is sent; for CDR filing's statements (CTEs over
# cdr_leg, multi-row inserts) planning took longer than running them (EXPLAIN on B5's data set,
# warm: 0.43 + 0.26 + 0.09 ms planned against 0.10 + 0.08 + 0.21 ms run per leg), on the cores the
# server and FreeSWITCH share. serve's PostgreSQL (fs_plugins.dbpool) prepares such statements
# once per connection and then only executes them.

class Statements(str):
    """SQL statements (joined by `; `, in the driver's placeholder style) sent in one round trip,
    which serve's PostgreSQL runs as statements prepared on its connection (`parts`, each with
    `counts` parameters, prepared under `names`); anywhere else the plain text, run as it is.
    `then`: plain SQL sent after them (a COMMIT), never prepared."""

    parts: tuple[str, ...]
    counts: tuple[int, ...]
    names: tuple[str, ...]
    then: str
    executing: str  # the text that executes them all, once prepared (written once, not per execution)

    def followed_by(self, sql: str) -> "Statements":
        """These statements, and `sql` after them in the same round trip (not prepared)."""
        text = Statements(f"{self}; {sql}")
        text.parts, text.counts, text.names, text.then = self.parts, self.counts, self.names, f"{self.then}; {sql}"
        text.executing = self.executing
        return text


@functools.lru_cache(maxsize=512)
def _on_server(parts: tuple[str, ...], param: str) -> Statements:
    styled = tuple(_styled(part, param) for part in parts)
    text = Statements("; ".join(styled))
    text.parts, text.counts, text.then = styled, tuple(part.count(param) for part in styled), ""
    text.names = tuple("centralita_" + hashlib.sha1(part.encode()).hexdigest()[:24] for part in styled)
    text.executing = "; ".join(f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
                               for name, count in zip(text.names, text.counts))
    return text


def on_server(db, *sql: str) -> Statements:
    """`statement(db, …)` of each of `sql` (each one statement, written with `?` or `%s`), sent in
    one round trip and, on serve's PostgreSQL, prepared on the connection the first time."""
    return _on_server(sql, db.param)


def select(query):
    """Run a peewee SELECT whose text is fixed (every value a parameter) as `on_server` runs SQL:
    prepared on serve's PostgreSQL connection the first time. Its rows come as the query would
    hand them (models, tuples). For the reads of every portal page and API request that are not
    worth writing as SQL (a session joined to its login, tenant and user)."""
    db = query._database
    sql, params = query.sql()
    return query._get_cursor_wrapper(db.execute_sql(on_server(db, sql), params))


@functools.lru_cache(maxsize=64)
def _written(build, _engine: type) -> tuple[str, int, object]:  # _engine: part of the cache key only
    query = build()
    sql, params = query.sql()
    return sql, len(params), query


def select_written(db, build, params: tuple):
    """`select(build())` with `params` for its parameters, on `db` (its models' database), peewee
    writing the SQL once per kind of database instead of on every request: for a read every page runs
    whose text never changes, where writing the SQL of a few joined models cost more CPU than running
    it (~0.4 ms of a 4-6 ms portal page, cProfile on B7's portal steps). `build` is a function of
    nothing (the same object on every call: it keys the written SQL) whose query holds placeholder
    values; `params` are the real ones in the order of its SQL, each as the database takes it (a
    row's id, not the row)."""
    # The models' DatabaseProxy is what callers hold: the SQL is written for the database behind it
    # (PostgreSQL's text carries %s, which SQLite would not take).
    sql, count, query = _written(build, type(getattr(db, "obj", None) or db))
    if len(params) != count:
        raise ValueError(f"the query of {build.__name__} takes {count} parameters, not {len(params)}")
    return query._get_cursor_wrapper(db.execute_sql(on_server(db, sql), params))
