"""centralita demo"""
from __future__ import annotations

from fs_plugins import demo
from fs_plugins.errors import Conflict
from fs_plugins.models import Tenant


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help=f"create the demo tenant {demo.DEMO_DOMAIN} with three users")
    parser.set_defaults(handler=_demo)


def _demo(args, ctx) -> int:
    ctx.db
    if Tenant.select().where(Tenant.domain == demo.DEMO_DOMAIN).exists():
        raise Conflict("demo", f"{demo.DEMO_DOMAIN} already exists (remove it with: centralita tenant remove "
                                   f"{demo.DEMO_DOMAIN} --yes)")
    for line in demo.create_demo(ctx.app):
        print(line)
    return 0
