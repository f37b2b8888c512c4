"""Billing: what each tenant is billed for in a month (today: the IVR menus that existed).

report.py  the month's rows (pure query over the models)      cli.py  `centralita billing report`
"""
