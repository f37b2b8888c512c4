"""Kamailio in front of several FreeSWITCH servers: the database view its digest authentication reads."""
