"""The call log: mod_json_cdr ingest (receiver, sweep), the ten statuses, queries, CSV export.

parse (bodies -> LegFacts) -> classify (legs -> Call, pure) -> store (idempotent, entries per
party) -> log (queries in the tenant's zone) -> export (streamed CSV); receiver is the WSGI app,
sweep imports err-log-dir files, cli the `centralita calls` / `centralita cdr` commands.
"""
