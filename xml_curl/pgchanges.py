"""PostgreSQL tells the handler whose rows change: triggers NOTIFY the tenant, one connection LISTENs.

Every watched table (xml_curl/changes.py: all but the busy ones no cached lookup reads) gets a
statement-level triggers that send, on channel CHANNEL, the id of each tenant the changed rows
belong to (or EVERY_TENANT), followed by ":" and the user's id for rows of one user's (":" alone for
a table no user's row reads: changes.APART_FROM_USERS), and one for TRUNCATE; PostgreSQL delivers them at commit, one per distinct payload and transaction, to every
listening process (postgresql.org/docs/current/sql-notify.html). `Changes` keeps a connection of its
own listening in a greenlet and keeps the scopes notified in order: xml_curl/cache.py drops the rows
of those read since its last look.

While that connection is not listening (not yet, or lost: PostgreSQL restarted), `version()` is
None and nothing is kept; it listens again on its own, and counts the gap as every tenant's change.
It only runs in a gevent-patched process (`centralita serve`): elsewhere (a command, a test that
does not ask for it) nothing is kept, which is always correct.
"""
from __future__ import annotations

import logging
import weakref

import gevent
import peewee

from xml_curl.changes import EVERY_TENANT, UNWATCHED, Scope, Version, parse_scope, tenant_source

log = logging.getLogger(__name__)

CHANNEL = "centralita_changed"
RETRY_SECONDS = 1.0
MAX_LOG = 10_000  # scopes kept; past it the list starts again (a cache that far behind drops everything)
# The scopes of the rows a statement changed, one notification each, read from the statement's
# transition tables: the rows' tenant (their column TG_ARGV[0], or, when TG_ARGV[1] names the parent
# table, their parents' tenant_id), followed by ":" and the row's user (its column TG_ARGV[2]) for a
# table of one user's rows, or ":" alone when TG_ARGV[3] is 'apart' (changes.APART_FROM_USERS). A trigger per row cost a bulk insert (a contact import) 11-15 µs a row on
# top of the insert's 12 µs, and 80 µs a row where the parent was looked up (10,000 rows, measured).
# (%%: psycopg2 reads one % as a parameter.)
_ROWS_FUNCTION = f"""CREATE OR REPLACE FUNCTION {CHANNEL}_rows() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
  person text := CASE WHEN TG_ARGV[3] = 'apart' THEN '''''::text' WHEN TG_ARGV[2] <> '' THEN format('%%I::text', TG_ARGV[2]) ELSE 'NULL::text' END;
  changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT %%1$I AS k, ' || person || ' AS u FROM new_rows'
                             WHEN 'DELETE' THEN 'SELECT %%1$I AS k, ' || person || ' AS u FROM old_rows'
                             ELSE 'SELECT %%1$I AS k, ' || person || ' AS u FROM old_rows UNION SELECT %%1$I, '
                                  || person || ' FROM new_rows' END;
  scope text;
BEGIN
  FOR scope IN EXECUTE CASE WHEN TG_ARGV[1] = ''
      THEN format('SELECT DISTINCT c.k::text || COALESCE('':'' || c.u, '''') FROM (' || changed || ') AS c',
                  TG_ARGV[0])
      ELSE format('SELECT DISTINCT p.tenant_id::text || COALESCE('':'' || c.u, '''') FROM (' || changed
                  || ') AS c LEFT JOIN %%2$I AS p ON p.id = c.k', TG_ARGV[0], TG_ARGV[1]) END LOOP
    PERFORM pg_notify('{CHANNEL}', COALESCE(scope, '{EVERY_TENANT}'));
  END LOOP;
  RETURN NULL;
END
$body$"""
# A statement's transition tables, by the event that fires its trigger.
_TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows"}
_EVERY_FUNCTION = f"""CREATE OR REPLACE FUNCTION {CHANNEL}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM pg_notify('{CHANNEL}', '{EVERY_TENANT}');
  RETURN NULL;
END
$body$"""


def install_triggers(db: peewee.PostgresqlDatabase) -> list[str]:
    """The functions and the triggers of every watched table of the current schema (idempotent,
    under the schema lock: two processes starting together must not replace a function at once)."""
    from fs_plugins.db import schema_lock

    with schema_lock(db), db.atomic():
        tables = [row[0] for row in db.execute_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
        watched = [table for table in tables if table not in UNWATCHED]
        db.execute_sql(_ROWS_FUNCTION)
        db.execute_sql(_EVERY_FUNCTION)
        for table in watched:
            source = tenant_source(table, {column.name for column in db.get_columns(table)})
            db.execute_sql(f'DROP TRIGGER IF EXISTS {CHANNEL} ON "{table}"')  # before 2026-12: one per statement
            db.execute_sql(f'DROP TRIGGER IF EXISTS {CHANNEL}_row ON "{table}"')  # until 2026-12-04: one per row
            for event in _TRANSITIONS:
                db.execute_sql(f'DROP TRIGGER IF EXISTS {CHANNEL}_{event.lower()} ON "{table}"')
            if source is None:
                db.execute_sql(f'CREATE TRIGGER {CHANNEL} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                               f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {CHANNEL}()')
                continue
            arguments = ", ".join(f"'{value or ''}'" for value in (source.column, source.parent, source.user,
                                                                    "apart" if source.apart else ""))
            for event, transitions in _TRANSITIONS.items():  # one event each: a trigger with transition tables
                db.execute_sql(f'CREATE TRIGGER {CHANNEL}_{event.lower()} AFTER {event} ON "{table}" REFERENCING '
                               f"{transitions} FOR EACH STATEMENT EXECUTE FUNCTION {CHANNEL}_rows({arguments})")
            db.execute_sql(f'CREATE TRIGGER {CHANNEL} AFTER TRUNCATE ON "{table}" '
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {CHANNEL}()")
        db.execute_sql(f"DROP FUNCTION IF EXISTS {CHANNEL}_row()")  # no trigger uses it any more
    return watched


class Changes:
    """The scopes notified so far, in order (None while not listening)."""

    def __init__(self, db: peewee.PostgresqlDatabase):
        self.db = db
        self._log: list[Scope] = []  # appended to; a new list when it starts again
        self._base = 0  # the serial before _log[0]
        self._version: Version | None = None
        self._listening = False
        self._greenlet: gevent.Greenlet | None = None

    def version(self) -> Version | None:
        if not self._listening:
            return None
        serial = self._base + len(self._log)
        if self._version is None or self._version.serial != serial:
            self._version = Version(serial, log=self._log, base=self._base)
        return self._version

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

    def _heard(self, listening: bool, payloads=(str(EVERY_TENANT),)) -> None:
        """Notifications (by default: a gap in listening, after which any row read before may be old)."""
        if len(self._log) >= MAX_LOG:
            self._base += len(self._log)
            self._log = []
        self._log.extend(parse_scope(payload) for payload in payloads)
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
                    payloads = [notify.payload for notify in conn.notifies]
                    conn.notifies.clear()
                    changes._heard(True, payloads)
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
