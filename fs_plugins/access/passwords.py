"""People's login passwords: argon2id (RFC 9106's second recommendation, argon2-cffi's default).

Separate from the SIP a1-hash on purpose: that one is an md5 FreeSWITCH needs for digest auth, so
anyone with the table can try passwords fast; a portal password deserves a slow, salted hash.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from fs_plugins import validate

PARAMETERS = RFC_9106_LOW_MEMORY  # argon2id, 64 MiB, 3 passes, 4 lanes: argon2-cffi's default
_hasher = PasswordHasher.from_parameters(PARAMETERS)
# Checked when the username is unknown, so a miss costs the same time as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def hash_password(password: str, field: str = "password") -> str:
    return _hasher.hash(validate.password(password, field))


def verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
