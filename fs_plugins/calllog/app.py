"""The call log, the application layer: pages of one user's calls or a tenant's, and the CSV export.

Who may read what is decided here: a user reads their own log, the tenant's administrator any
user's and the tenant's, the operator every tenant's (fs_plugins.application). The query itself
(fs_plugins.calllog.log.LogQuery: kind, period, page; InvalidInput names the field) is validated
when it is built; the reads are prepared SQL (fs_plugins.calllog.log).
"""
from __future__ import annotations

from typing import Iterator
from zoneinfo import ZoneInfo

from fs_plugins.application import AppContext, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.calllog import export, log
from fs_plugins.calllog.log import PAGE_SIZE, LogEntry, LogPage, LogQuery
from fs_plugins.models import database


def call_page(ctx: AppContext, query: LogQuery) -> LogPage:
    """Page `query.page` of the log, newest first."""
    _check(ctx, query)
    return log.page(database.obj, query)


def calls_after(ctx: AppContext, query: LogQuery, after: tuple[int, int] | None,
                limit: int = PAGE_SIZE) -> tuple[tuple[LogEntry, ...], tuple[int, int] | None]:
    """The entries after the page key `after` and the next page's key (None at the end)."""
    _check(ctx, query)
    return log.page_after(database.obj, query, after, limit)


def call_rows(ctx: AppContext, query: LogQuery) -> tuple[ZoneInfo, Iterator[tuple]]:
    """Every entry of the query as raw rows (log.COLUMNS) and the tenant's zone, read in batches."""
    _check(ctx, query)
    return log.iterate_rows(database.obj, query)


def calls_csv(ctx: AppContext, query: LogQuery) -> Iterator[str]:
    """The CSV export of every entry of the query, in chunks (the scope is checked before the first)."""
    _check(ctx, query)
    return export.export(database.obj, query)


def _check(ctx: AppContext, query: LogQuery) -> None:
    owner = tenant_in_scope(ctx, query.tenant)
    if query.user is None:
        require_admin(ctx, "read the tenant's call log")
    else:
        user_in_scope(ctx, owner, query.user)
