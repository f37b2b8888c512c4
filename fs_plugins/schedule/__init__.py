"""Time schedules ("gestión horaria"): weekly hours, holidays by country and region, one-off
closures and openings, evaluated in the tenant's time zone.

Files: rules.py (the pure decision and its precedence table), spec.py (the text forms users type),
loader.py (rows → frozen dataclasses), app.py (the application layer: list, show, change, remove; checks in settings.py), cli.py
(`centralita schedule …`). Tables: fs_plugins/models/schedule.py.

Time zone: a schedule follows its tenant's zone (Tenant.timezone) unless it has its own
(`--timezone`, e.g. a branch office abroad); `--timezone tenant` goes back to following it.
Holidays: by default the tenant's country and region (Tenant.country, Tenant.region); a schedule
may name its own (`--holidays ES --region CT`) or none (`--no-holidays`).

How IVR menus, call groups and other features use a schedule (reuse, not copy):

1. The feature's table points at the schedule and keeps where calls go while it is closed::

       from fs_plugins.models.schedule import Schedule
       schedule = peewee.ForeignKeyField(Schedule, null=True, backref="ivr_menus")   # default ON DELETE
       closed_destination = DestinationField(null=True)

   Only the id is stored, so changing the schedule changes every menu and group that uses it.

2. At call time, load then decide (the clock is read by the caller, at the edge)::

       from fs_plugins.schedule.loader import load_schedule
       from fs_plugins.schedule.rules import state_at
       state = state_at(load_schedule(tenant_id, menu.schedule_id), datetime.now(timezone.utc))
       if not state.is_open: route to menu.closed_destination   # state.reason / state.detail say why

3. Removing a schedule still in use is refused with ScheduleInUse (an InvalidInput: exit 2 from
   the CLI) naming its users. Foreign keys to Schedule in any installed plugin's table are found
   automatically (rows are described by their `name` column when they have one), and the database
   constraint backs that up.

The package itself imports nothing, so `fs_plugins.schedule.rules` loads neither peewee nor the
plugins (tests/test_architecture.py).
"""
