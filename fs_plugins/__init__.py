"""Centralita: a multi-tenant virtual PBX built as a plugin suite for FreeSWITCH."""

__version__ = "0.1.0"
