"""Random tokens and how they are kept: shown once, stored as SHA-256, compared in constant time.

Session ids and API keys carry 256 random bits, so a fast hash is as safe as a slow one (there
is no dictionary to try) and keeps the check on every request to one indexed lookup. People's
passwords are different: see fs_plugins.access.passwords.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)


def derived(token: str, purpose: str) -> str:
    """A value bound to a token (the CSRF token of a session) that reveals nothing about it."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()
