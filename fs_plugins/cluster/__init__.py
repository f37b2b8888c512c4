"""Several machines: the FreeSWITCH media servers every cache flush goes to (app.py, cli.py) and the
Centralita nodes' heartbeats (nodes.py); the tables are fs_plugins/models/cluster.py."""
