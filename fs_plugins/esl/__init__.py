"""Outbound event socket: the server FreeSWITCH's `socket` app connects to, and the Channel over it."""
