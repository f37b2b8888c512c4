"""Dialplan actions as data: what a route decided, before it becomes XML (vocabulary: the rules of
call handling build them, xml_curl renders them, and neither imports the other for it).

Every action argument is built by us from ids, extensions, domains, E.164 numbers, causes and
neutralised names; `Action` still refuses CR/LF and `${` so a slip can never reach FreeSWITCH.
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins import channel_vars
from fs_plugins.fsvalues import neutralise


@dataclass(frozen=True)
class Action:
    application: str
    data: str = ""

    def __post_init__(self):
        # ${uuid} is the one expansion we write ourselves (a recording's file is named after the
        # call: fs_plugins/recording/rules.py); it names the channel and runs nothing.
        if "\r" in self.data or "\n" in self.data or "${" in self.data.replace("${uuid}", ""):
            raise ValueError(f"unsafe dialplan argument for {self.application}: {self.data!r}")

    def as_tuple(self) -> tuple[str, str]:
        return self.application, self.data


def set_var(name: str, value: str) -> Action:
    return Action("set", f"{name}={value}")


def hangup(cause: str) -> Action:
    return Action("hangup", cause)


def transfer(extension: str, context: str) -> Action:
    return Action("transfer", f"{extension} XML {context}")


def caller_name(name: str) -> Action:
    return set_var("effective_caller_id_name", neutralise(name))


def socket_flow(esl_address: str, flow: str, object_id: str, tenant_domain: str) -> list[Action]:
    """Hand the call to the outbound ESL app; the caller must append a fallback action."""
    return [
        set_var(channel_vars.FLOW, flow),
        set_var(channel_vars.FLOW_OBJECT, object_id),
        set_var(channel_vars.TENANT, tenant_domain),
        Action("socket", f"{esl_address} async full"),
    ]
