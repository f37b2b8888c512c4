"""PostgreSQL tells the handler when its rows change: triggers NOTIFY, one connection LISTENs.

Every table but the busy ones no cached lookup reads (UNWATCHED: the call log, audit, sessions…)
gets a statement-level trigger that sends a notification on channel CHANNEL when a
statement changes it; PostgreSQL delivers it at commit, to every listening process
(postgresql.org/docs/current/sql-notify.html). `Changes` keeps a connection of its own listening in
a greenlet and counts the notifications: xml_curl/cache.py empties its rows when the count moves.

While that connection is not listening (not yet, or lost: PostgreSQL restarted), `version()` is
None and nothing is kept; it listens again on its own, and counts the gap as a change. It only
runs in a gevent-patched process (`centralita serve`): elsewhere (a command, a test that does not
ask for it) nothing is kept, which is always correct.
"""
from __future__ import annotations

import logging
import weakref

import gevent
import peewee

log = logging.getLogger(__name__)

CHANNEL = "centralita_changed"
# Written all day long and read by no cached lookup: a trigger there would only empty the cache.
# Contacts are watched: the dialplan keeps the caller names it read (xml_curl/plans.py); an import
# notifies once per statement, not per row (statement-level triggers).
UNWATCHED = frozenset({"audit_entry", "auth_failure", "call_entry", "cdr_leg", "group_call", "login",
                       "password_reset", "session", "schema_version"})
RETRY_SECONDS = 1.0
_FUNCTION = f"""CREATE OR REPLACE FUNCTION {CHANNEL}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
  RETURN NULL;
END
$body$"""


def install_triggers(db: peewee.PostgresqlDatabase) -> list[str]:
    """The function and a trigger on every watched table of the current schema (idempotent, under
    the schema lock: two processes starting together must not replace the function at once)."""
    from fs_plugins.db import schema_lock

    with schema_lock(db), db.atomic():
        tables = [row[0] for row in db.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
        watched = [table for table in tables if table not in UNWATCHED]
        db.execute_sql(_FUNCTION)
        for table in watched:
            db.execute_sql(f'CREATE OR REPLACE TRIGGER {CHANNEL} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                           f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {CHANNEL}()')
    return watched


class Changes:
    """How many changes were notified so far (None while not listening)."""

    def __init__(self, db: peewee.PostgresqlDatabase):
        self.db = db
        self._count = 0
        self._listening = False
        self._greenlet: gevent.Greenlet | None = None

    def version(self) -> int | None:
        return self._count if self._listening else None

    def start(self) -> None:
        """Install the triggers (at start-up, not inside a request's deadline) and listen."""
        from fs_plugins.dbpool import release

        try:
            install_triggers(self.db)
        except peewee.PeeweeException as exc:
            log.warning("rows are read from PostgreSQL on every request: no change triggers (%s)", exc)
            return
        finally:
            release(self.db)  # serve's pooled connection goes back
        self._greenlet = gevent.spawn(_listen, weakref.ref(self))

    def _connect(self):
        import psycopg2

        conn = psycopg2.connect(dbname=self.db.database, **self.db.connect_params)
        conn.set_session(autocommit=True)  # LISTEN outside a transaction: notifications arrive at once
        conn.cursor().execute(f"LISTEN {CHANNEL}")
        return conn

    def _heard(self, listening: bool) -> None:
        self._count += 1  # a notification, or a gap in listening: either way, rows read before may be old
        self._listening = listening


def _listen(ref) -> None:
    """Listen as long as the Changes object lives; reconnect after a failure."""
    from gevent.select import select

    while (changes := ref()) is not None:
        conn = None
        try:
            conn = changes._connect()
            changes._heard(listening=True)
            del changes  # only a weak reference while waiting
            while True:
                select([conn], [], [], 5.0)  # a notification, or every 5 s: is the cache still there?
                changes = ref()
                if changes is None:
                    return
                conn.poll()
                if conn.notifies:
                    conn.notifies.clear()
                    changes._heard(listening=True)
                del changes
        except Exception as exc:  # the server went away or refused: not listening until it is back
            changes = ref()
            if changes is not None:
                if changes._listening:  # once per outage
                    log.warning("not listening for PostgreSQL changes (rows are read on every request): %s", exc)
                changes._heard(listening=False)
            del changes
            gevent.sleep(RETRY_SECONDS)
        finally:
            if conn is not None:
                conn.close()
