"""centralita credentials show|freeswitch: what FreeSWITCH sends to xml_curl and /cdr."""
from __future__ import annotations

from fs_plugins import credentials


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "credentials", help="the credentials FreeSWITCH sends to xml_curl and /cdr (generated on first start)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print both credentials and where they are kept")
    show.set_defaults(handler=_show)
    conf = sub.add_parser("freeswitch", help="print centralita_credentials.xml for FreeSWITCH's configuration "
                                             "folder, the secrets filled in (freeswitch/conf/README.md)")
    conf.set_defaults(handler=_freeswitch)


def _show(args, ctx) -> int:
    found = credentials.current(ctx.config)
    print(f"kept in: {credentials.path_in(ctx.config)} (settings xml_curl_user/password, cdr_user/password win)")
    print(f"xml_curl: {found.xml_curl_user}:{found.xml_curl_password}")
    print(f"cdr: {found.cdr_user}:{found.cdr_password}")
    return 0


def _freeswitch(args, ctx) -> int:
    print(credentials.freeswitch_include(credentials.current(ctx.config)), end="")
    return 0
