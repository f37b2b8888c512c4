"""Feature codes, the application layer: a tenant's code table, and what dialling a code changes.

The table is the administrator's (`list_codes` is open to the tenant's users too: their phone's
keys and the portal show them). `dial` is what a code does to the settings of the user who dialled
it; it calls the same call-handling functions the portal and the API call, as that user, so the
same checks (outbound restrictions, targets of the same tenant) and the same audit entries apply.
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins import prepared
from fs_plugins.access.principal import USER, Principal
from fs_plugins.application import (
    AppContext, Changed, FreeswitchPort, NoFreeswitch, require_admin, tenant_in_scope, user_in_scope,
)
from fs_plugins.callhandling import app as callhandling
from fs_plugins.groups import app as groups
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.featurecodes import rules
from fs_plugins.featurecodes.kinds import BY_NAME, CHANGES, FEATURES, GROUP_PICKUP
from fs_plugins.fsvalues import check_text
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.featurecodes import FeatureCode, PickupMember

FORWARDS = {"forward_always": "always", "forward_no_answer": "no-answer", "forward_busy": "busy"}
# What a change did, as the flow announces it:
FORWARD_SET, FORWARD_CLEARED, DND_ON, DND_OFF = "forward_set", "forward_cleared", "dnd_on", "dnd_off"
LOGGED_IN, LOGGED_OUT = "logged_in", "logged_out"


@dataclass(frozen=True)
class CodeView:
    feature: str
    code: str  # "" when the tenant turned the feature off
    default: str
    argument: str  # what follows the code: kinds.NONE, NUMBER or EXTENSION
    description: str

    @property
    def changed(self) -> bool:
        return self.code != self.default


def list_codes(ctx: AppContext, tenant: str) -> list[CodeView]:
    return _views(tenant_in_scope(ctx, tenant))


def set_code(ctx: AppContext, tenant: str, feature: str, code: str) -> Changed[list[CodeView]]:
    """Give `feature` the code `code` ("" turns it off for the tenant)."""
    require_admin(ctx, "change the feature codes")
    owner = tenant_in_scope(ctx, tenant)
    _feature(feature)
    code = (code or "").strip()
    with database.atomic():
        before = codes_of(owner)
        _check(before, {**before, feature: code})
        row = FeatureCode.get_or_none(FeatureCode.tenant == owner, FeatureCode.feature == feature)
        row = row or FeatureCode(tenant=owner, feature=feature)
        row.code, row.updated_at = code, utcnow()
        row.save()
        ctx.record("featurecode.update", owner, f"feature code {feature}", {"code": code})
    return Changed(_views(owner))


def replace_codes(ctx: AppContext, tenant: str, codes: dict[str, str]) -> Changed[list[CodeView]]:
    """The whole table at once: `codes` holds each feature whose code is not its default ("" : off),
    every other feature gets its default back. Checked as the table it makes, so codes can swap
    (a tenant file restoring a table one code at a time could not)."""
    require_admin(ctx, "change the feature codes")
    owner = tenant_in_scope(ctx, tenant)
    for feature in codes:
        _feature(feature)
    # a code that is no text (78) is checked as its text, and refused as any malformed code
    wanted = {feature: str(code).strip() for feature, code in codes.items()
              if str(code).strip() != BY_NAME[feature].default}
    with database.atomic():
        before = codes_of(owner)
        _check(before, rules.table(wanted), by_feature=True)
        FeatureCode.delete().where(FeatureCode.tenant == owner).execute()
        for feature, code in wanted.items():
            FeatureCode.create(tenant=owner, feature=feature, code=code, updated_at=utcnow())
        ctx.record("featurecode.replace", owner, "feature codes", {"codes": wanted})
    return Changed(_views(owner))


def reset_code(ctx: AppContext, tenant: str, feature: str) -> Changed[list[CodeView]]:
    """Back to the default code."""
    require_admin(ctx, "change the feature codes")
    owner = tenant_in_scope(ctx, tenant)
    _feature(feature)
    with database.atomic():
        before = codes_of(owner)
        _check(before, {**before, feature: BY_NAME[feature].default})
        deleted = FeatureCode.delete().where(FeatureCode.tenant == owner, FeatureCode.feature == feature).execute()
        if not deleted:
            raise NotFound("feature", f"{feature} already has its default code {BY_NAME[feature].default}")
        ctx.record("featurecode.delete", owner, f"feature code {feature}")
    return Changed(_views(owner))


def dial(ctx: AppContext, tenant: str, user: str, feature: str, argument: str = "") -> str:
    """Make the change `feature` stands for on the user's settings; returns what it did (FORWARD_SET,
    FORWARD_CLEARED, DND_ON, DND_OFF, LOGGED_IN, LOGGED_OUT: queue login/logout in every call group
    the user is a member of). `argument`: the digits dialled after the code. Refusals are
    InvalidInput naming the field ("to" for a number that may not be called), nothing stored."""
    if feature not in CHANGES:
        raise InvalidInput("feature", f"{feature!r} changes no setting")
    owner = user_in_scope(ctx, tenant_in_scope(ctx, tenant), user)
    if feature in ("queue_login", "queue_logout"):
        groups.pause_member(ctx, tenant, user, paused=feature == "queue_logout")
        return LOGGED_OUT if feature == "queue_logout" else LOGGED_IN
    base, _, state = feature.rpartition("_")
    if base in FORWARDS:
        if state == "off":
            callhandling.clear_forward(ctx, tenant, user, FORWARDS[base])
            return FORWARD_CLEARED
        callhandling.set_forward(ctx, tenant, user, FORWARDS[base], _forward_target(owner, argument))
        return FORWARD_SET
    on = not callhandling.show(ctx, tenant, user).dnd if state == "toggle" else state == "on"
    callhandling.set_dnd(ctx, tenant, user, on)
    return DND_ON if on else DND_OFF


def codes_of(tenant: Tenant) -> dict[str, str]:
    """The codes in force in `tenant` (a row already in scope)."""
    rows = prepared.select_written(FeatureCode._meta.database, _codes_query, (tenant.id,))  # every forwards page
    return rules.table({row.feature: row.code for row in rows if row.feature in BY_NAME})


def _codes_query():
    """A tenant's codes, its id the parameter."""
    return FeatureCode.select().where(FeatureCode.tenant == 0)


def _forward_target(owner: User, argument: str) -> str:
    """What was dialled after the code, as a destination: a user of the tenant, else a number."""
    if not argument:
        raise InvalidInput("to", "dial the number to forward to after the code")
    if User.select().where(User.tenant == owner.tenant, User.extension == argument).exists():
        return f"user:{argument}"
    return f"number:{argument}"


def _feature(feature: str) -> None:
    if feature not in BY_NAME:
        raise InvalidInput("feature", f"{feature!r}: use one of {', '.join(BY_NAME)}")


def _check(before: dict[str, str], after: dict[str, str], by_feature: bool = False) -> None:
    """Refuse a change that makes the table inconsistent (a problem it already had is not this
    change's); the error's field is "code", or with `by_feature` the feature whose code it is."""
    old = rules.reserved(before) + rules.problems(before)
    new = [problem for problem in rules.reserved(after) + rules.problems(after) if problem not in old]
    if new:
        feature, why = new[0]
        raise InvalidInput(feature if by_feature else "code", why)


def _views(tenant: Tenant) -> list[CodeView]:
    codes = codes_of(tenant)
    return [CodeView(f.name, codes[f.name], f.default, f.argument, f.description) for f in FEATURES]


def dial_from_phone(config, tenant: str, extension: str, feature: str, argument: str = "",
                    dry_run: bool = False, freeswitch: FreeswitchPort | None = None) -> str:
    """`dial` as the user whose phone dialled the code (the `featurecode` flow's door in): their own
    principal, so they reach only their own settings and the audit log names the phone. `dry_run`
    (`centralita simulate`): the change and its audit entry are rolled back, the answer is the same.
    `freeswitch`: where a change's side effects go (a DND's busy lamp), none when simulated."""
    owner = Tenant.get_or_none(Tenant.domain == tenant)
    user = User.get_or_none(User.tenant == owner, User.extension == extension) if owner else None
    if user is None:
        raise NotFound("user", f"no user {extension!r} in {tenant!r}")
    principal = Principal(USER, owner.id, owner.domain, user.id, user.extension, name=f"phone {extension}",
                          source="phone")
    with database.atomic() as transaction:
        ctx = AppContext(principal, config, freeswitch=freeswitch or NoFreeswitch())
        done = dial(ctx, tenant, extension, feature, argument)
        if dry_run:
            transaction.rollback()
    return done


# --- pickup groups ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PickupView:
    extension: str
    name: str
    group: str  # "" : the tenant's own group (every user without one)


def list_pickup(ctx: AppContext, tenant: str) -> list[PickupView]:
    """Every user of the tenant and their pickup group."""
    owner = tenant_in_scope(ctx, tenant)
    groups = {row.user_id: row.group for row in PickupMember.select().join(User).where(User.tenant == owner)}
    users = User.select().where(User.tenant == owner).order_by(User.extension)
    return [PickupView(u.extension, u.display_name, groups.get(u.id, "")) for u in users]


def set_pickup_group(ctx: AppContext, tenant: str, user: str, group: str | None) -> Changed[PickupView]:
    """Put the user in pickup group `group` (a name; None or "" : back in the tenant's own group)."""
    require_admin(ctx, "change pickup groups")
    owner = user_in_scope(ctx, tenant_in_scope(ctx, tenant), user)
    group = check_text(group or "", "group", max_length=32, required=False)
    with database.atomic():
        PickupMember.delete().where(PickupMember.user == owner).execute()
        if group:
            PickupMember.create(user=owner, group=group)
        ctx.record("pickup.update", owner.tenant, f"user {owner.extension}", {"group": group})
    return Changed(PickupView(owner.extension, owner.display_name, group))


def pickup_allowed(tenant: str, picker: str, target: str) -> frozenset[str]:
    """Whose ringing calls the user `picker` may take ("ext@domain" each): for *8 (`target` is
    kinds.GROUP_PICKUP) the users of their pickup group, for **EXT that user of their tenant."""
    owner = Tenant.get_or_none(Tenant.domain == tenant)
    me = User.get_or_none(User.tenant == owner, User.extension == picker) if owner else None
    if me is None:
        return frozenset()
    if target != GROUP_PICKUP:
        found = User.get_or_none(User.tenant == owner, User.extension == target, User.enabled == True)  # noqa: E712
        return frozenset({f"{found.extension}@{tenant}"} if found else ())
    mine = PickupMember.get_or_none(PickupMember.user == me)
    grouped = PickupMember.select(PickupMember.user).join(User).where(User.tenant == owner)
    if mine is not None:
        same = PickupMember.select(PickupMember.user).where(PickupMember.group == mine.group)
        members = User.select().where(User.tenant == owner, User.id.in_(same))
    else:
        members = User.select().where(User.tenant == owner, User.id.not_in(grouped))
    return frozenset(f"{u.extension}@{tenant}" for u in members)
