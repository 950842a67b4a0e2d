"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when an account does not exist, so that answers take the same time either way.
_DUMMY_HASH = _hasher.hash("no-such-account-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_in_thread(password: str) -> str:
    """``hash_password`` off the event loop (for request handlers)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """In a thread: Argon2 takes tens of milliseconds of CPU, which must not stall the event loop."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
