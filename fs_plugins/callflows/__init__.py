"""Custom call flows: operators' own flows in Python, attached to numbers like any destination.

What a flow author imports (docs/flows.md is the reference)::

    from fs_plugins.callflows import CallFlow, Setting, TEXT, INTEGER, BOOLEAN, CHOICE, URL, SECRET, DESTINATION

The session a flow receives is fs_plugins.callflows.session.FlowSession; the authors' test helper
is fs_plugins.callflows.testing.
"""
from fs_plugins.callflows.kinds import BOOLEAN, CHOICE, DESTINATION, INTEGER, SECRET, TEXT, URL, Setting
from fs_plugins.callflows.records import CallFlow

__all__ = ["BOOLEAN", "CHOICE", "DESTINATION", "INTEGER", "SECRET", "TEXT", "URL", "CallFlow", "Setting"]
