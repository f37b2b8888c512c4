"""Per-user call handling: forwards, do-not-disturb, simultaneous ring, outbound restrictions.

records.py   frozen values the dialplan decides on       numbers.py  external numbers: parse, classify, allow?
loader.py    the hot-path read (one prepared query)       rules.py    pure decisions: settings -> dialplan actions
service.py   validated changes (CLI, future web)          cli.py      `centralita forward|dnd|simring|restrict`
"""
