"""IVR menus ("Menú IVR"), each call run as an outbound ESL session.

Files: rules.py (the pure state table: entry_step, next_step), loader.py (rows → frozen Menu,
dangling references dropped), flow.py (the session on a Channel), app.py (the application
layer; settings.py checks a menu as a whole), cli.py (`centralita ivr …`). Billing (menus that
existed in a month) is fs_plugins/billing. Tables: fs_plugins/models/ivr.py.
"""
