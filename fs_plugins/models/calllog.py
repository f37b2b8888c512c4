"""Call log tables: every CDR leg FreeSWITCH posted, and the entries the call log shows.

`CdrLeg` keeps each leg once (unique on the channel uuid, so a re-post is a no-op) with the facts
the classifier and the log read plus every `pbx_*` variable (fs_plugins.calllog.parse.LegFacts), so
what FreeSWITCH was told is stored stays stored and a call can be re-classified after a rule
change. The full ~10 KB body is not kept: it holds media statistics and SIP headers the log never
shows, and writing it costs a third of the ingest rate (measured in benches/b5_cdr.py). Legs of
tenants we do not know are kept too; they produce no entry (see fs_plugins.calllog.store).

`CallEntry` is the call log: one row per call per party (a made and a received row for an internal
call; a row without user for calls only the tenant as a whole received). Times are UTC unix
seconds; the tenant's zone is applied when showing and filtering.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import migrate

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User


class CdrLeg(BaseModel):
    uuid = peewee.CharField(max_length=64, unique=True)
    call_id = peewee.CharField(max_length=64, index=True)  # the A leg's uuid
    tenant_domain = peewee.CharField(max_length=253, null=True)  # as posted; may match no Tenant
    received_at = peewee.DateTimeField(default=utcnow)
    facts = peewee.TextField()  # fs_plugins.calllog.parse.LegFacts as JSON


class CallEntry(BaseModel):
    # No single-column indexes on the foreign keys: the composite indexes below start with them,
    # and every index is one more page written per posted CDR.
    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    user = peewee.ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
    call_id = peewee.CharField(max_length=64, index=True)
    kind = peewee.CharField(max_length=8)  # made | received | missed
    status = peewee.CharField(max_length=16)  # fs_plugins.calllog.classify.Status code
    direction = peewee.CharField(max_length=8)  # inbound | outbound | internal
    started_at = peewee.BigIntegerField()  # UTC unix seconds
    caller_name = peewee.CharField(max_length=120, default="")
    caller_number = peewee.CharField(max_length=64, default="")
    callee = peewee.CharField(max_length=64, default="")
    answered_by = peewee.CharField(max_length=120, default="")
    ring_seconds = peewee.IntegerField(default=0)
    talk_seconds = peewee.IntegerField(default=0)
    cause = peewee.CharField(max_length=16, default="")  # why a made call was never answered (classify.CANCEL_REASONS)

    class Meta:
        # A user's page filtered by kind reads the user's index and skips the other kinds, as the
        # tenant's page does: a (user, kind, started_at) index (until schema 4) made that page
        # 0.24 ms instead of 0.60 for B5's busiest user (1,080 entries), and cost every posted CDR
        # 16% of the pages it writes (B5's SQLite WAL: 12.1 -> 10.2 pages a leg; drop_entry_kind_index).
        indexes = (
            (("user", "started_at"), False),
            (("tenant", "started_at"), False),
        )

    @classmethod
    def create_table(cls, safe=True, **options):
        super().create_table(safe, **options)
        _add_statistics(getattr(cls._meta.database, "obj", cls._meta.database))  # the models' proxy, or a database


# An entry's user decides its tenant, and every call-log page filters on both. Not told so, PostgreSQL
# multiplied the two selectivities, estimated a user's page at a tenth of its rows and read the
# tenant's whole index beside the user's (EXPLAIN ANALYZE on B6's quick set: 0.9 ms planning + 1.6 ms
# running a page; with these statistics 0.15 ms running, the user's index alone). SQLite has no
# such statistics (its planner takes the user's index anyway).
_STATISTICS = ("CREATE STATISTICS IF NOT EXISTS call_entry_tenant_user (dependencies)"
               " ON tenant_id, user_id FROM call_entry")


def _add_statistics(db) -> bool:
    if not isinstance(db, peewee.PostgresqlDatabase):
        return False
    db.execute_sql(_STATISTICS)
    return True


def add_entry_cause(migrator, db) -> None:
    """call_entry.cause: why a made call was never answered (busy, declined, no answer, …)"""
    migrate(migrator.add_column(CallEntry._meta.table_name, "cause", CallEntry.cause))


def add_entry_statistics(migrator, db) -> None:
    """call_entry: PostgreSQL's statistics of its user and tenant together (see _STATISTICS)"""
    if _add_statistics(db):
        db.execute_sql("ANALYZE call_entry")  # gathered now: autovacuum may not analyse a large table for long


def drop_entry_kind_index(migrator, db) -> None:
    """call_entry: no index on (user, kind, started_at) (see CallEntry.Meta)"""
    db.execute_sql("DROP INDEX IF EXISTS call_entry_user_id_kind_started_at")


MODELS = (CdrLeg, CallEntry)
# Upgrade steps, oldest first (fs_plugins.db): version 1 -> 2 adds call_entry.cause (entries of
# calls stored before it get their cause on `centralita cdr reclassify`); 2 -> 3 the statistics
# of call_entry's user and tenant on PostgreSQL (nothing on SQLite); 3 -> 4 drops the index on
# call_entry's user, kind and start.
MIGRATIONS: tuple = (add_entry_cause, add_entry_statistics, drop_entry_kind_index)
