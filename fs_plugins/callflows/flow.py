"""The `flow` ESL flow: run a tenant's custom flow on a call, within its budget, with a way out.

The dialplan hands a ``flow:<route id>`` destination here (pbx_flow=flow, pbx_flow_object=<id>).
  1. the route is loaded inside the call's tenant; none: NotFound, the call goes back to the
     dialplan's fallback action before anything was done (like a deleted menu)
  2. the flow is looked up in the catalog; missing (its file broke, its package went away) or no
     longer allowed for the tenant: the call goes to the route's fallback destination
  3. the flow runs with its settings and its time budget (fs_plugins.callflows.budget), watched
     for holding every other call (fs_plugins.callflows.watchdog: a CPU loop that never yields)
  4. it raised, ran past its budget or held the loop: logged once with the call's uuid and the traceback, and
     the call goes to the fallback destination (unless the flow had already handed it on)
  5. it returned without handing the call on: the call is hung up (NORMAL_CLEARING)
A caller hanging up (CallGone) ends the flow wherever it is, as in every flow.
The fallback is the route's, else the tenant's general voicemail box.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Callable

from fs_plugins.callflows import loader
from fs_plugins.callflows.budget import Budget, BudgetSpent
from fs_plugins.callflows.catalog import Catalog
from fs_plugins.callflows.kinds import DESTINATION
from fs_plugins.callflows.records import CallFlow, Route
from fs_plugins.callflows.session import FlowSession
from fs_plugins.callflows.watchdog import WATCHDOG, LoopHeld, Watchdog
from fs_plugins.channel import CallGone, Channel, SessionInfo
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.mediaurls import Media

log = logging.getLogger(__name__)

GENERAL_VOICEMAIL = Destination("voicemail", "")
RouteLoader = Callable[[str, int], "tuple[Route, loader.TenantFacts] | None"]
Resolver = Callable[[int, str], Destination]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def custom_flow(catalog: Catalog, budget_seconds: float, resolve: Resolver, load: RouteLoader = loader.load_route,
                clock: Callable[[], dt.datetime] = utc_now, hold_seconds: float = 0.5, watchdog: Watchdog = WATCHDOG,
                media: Media | None = None):
    def run(channel: Channel, info: SessionInfo) -> None:
        loaded = load(info.tenant, int(info.flow_object)) if info.flow_object.isdecimal() else None
        if loaded is None:
            raise NotFound("flow", f"no flow route {info.flow_object!r} in tenant {info.tenant!r}")
        route, tenant = loaded
        flow = catalog.get(route.flow) if route.enabled else None
        if flow is None:
            log.warning("call %s: flow %r of route %r (%s) is %s; going to the fallback", info.uuid, route.flow,
                        route.name, route.domain, "not loaded" if route.enabled else "not enabled for the tenant")
            _fall_back(channel, route)
            return
        try:
            values = effective_settings(flow, route)
        except InvalidInput as exc:  # a stored value the flow's settings no longer accept (the flow changed)
            log.error("call %s: route %r (%s): %s; going to the fallback", info.uuid, route.name, route.domain, exc)
            _fall_back(channel, route)
            return
        budget = Budget(budget_seconds)
        data = loader.TenantData(route.tenant_id, route.domain, media)
        session = FlowSession(channel, route, tenant, values, budget, data, resolve, clock)
        held = watchdog.guard(hold_seconds, f"call {info.uuid}: flow {flow.name!r}", budget.spend)
        if run_guarded(flow, session, budget, info.uuid, held) and not session.handed_on:
            channel.hangup("NORMAL_CLEARING")
        elif not session.handed_on:
            _fall_back(channel, route)

    return run


def run_guarded(flow: CallFlow, session: FlowSession, budget: Budget, uuid: str, held=contextlib.nullcontext()) -> bool:
    """Run the flow; True when it returned, False when it failed (logged once). CallGone passes.
    `held`: the watchdog's guard, around the flow's own code only (left before any logging)."""
    budget.start()
    try:
        with held:
            flow.run(session)
        return True
    except CallGone:
        raise
    except LoopHeld as stopped:
        log.error("call %s: flow %r computed for %.2f s without yielding, holding every other call (limit "
                  "flow_hold_seconds = %g s; CPU work belongs in session.compute); going to the fallback", uuid,
                  flow.name, stopped.cpu, stopped.hold, exc_info=True)
    except BudgetSpent as spent:
        log.error("call %s: flow %r ran past its budget (%g s); going to the fallback", uuid, flow.name, spent.seconds,
                  exc_info=True)
    except Exception:
        log.exception("call %s: flow %r failed; going to the fallback", uuid, flow.name)
    finally:
        budget.stop()
    return False


def effective_settings(flow: CallFlow, route: Route) -> dict:
    """Each declared setting: the route's value, else the tenant's, else the default. A stored
    destination is a Destination (resolved when stored); a default stays as the author wrote it
    (``voicemail:``), resolved in the tenant when the flow transfers to it."""
    values = {}
    for setting in flow.settings:
        value = route.settings.get(setting.name)
        if value is None:
            values[setting.name] = setting.default
        elif setting.type == DESTINATION:
            values[setting.name] = Destination.parse(value, setting.name)
        else:
            values[setting.name] = value
    return values


def _fall_back(channel: Channel, route: Route) -> None:
    target = route.fallback or GENERAL_VOICEMAIL
    channel.transfer(target.routing_extension, route.domain)
