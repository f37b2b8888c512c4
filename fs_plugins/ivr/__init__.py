"""IVR menus ("Menú IVR"), each call run as an outbound ESL session.

Files: rules.py (the pure state table: entry_step, next_step), loader.py (rows → frozen Menu,
dangling references dropped), flow.py (the session on a Channel), service.py (validated
create/change/remove, DIDs and short number), cli.py (`centralita ivr …`). Billing (menus that
existed in a month) is fs_plugins/billing. Tables: fs_plugins/models/ivr.py.
"""
from __future__ import annotations


def build_flow(resolve_audio):
    """The `ivr` flow wired to the database (the loader) and the audio library."""
    from fs_plugins.ivr.flow import ivr_flow
    from fs_plugins.ivr.loader import load_menu

    return ivr_flow(lambda tenant, menu_id: load_menu(tenant, menu_id, resolve_audio))
