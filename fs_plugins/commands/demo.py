"""centralita demo"""
from __future__ import annotations

from fs_plugins import demo
from fs_plugins.errors import Conflict


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help=f"create the demo tenant {demo.DEMO_DOMAIN} with three users")
    parser.set_defaults(handler=_demo)


def _demo(args, ctx) -> int:
    try:
        lines = demo.create_demo(ctx.app)
    except Conflict as exc:
        if exc.field != "domain":
            raise
        raise Conflict("demo", f"{demo.DEMO_DOMAIN} already exists (remove it with: centralita tenant remove "
                               f"{demo.DEMO_DOMAIN} --yes)") from None
    for line in lines:
        print(line)
    return 0
