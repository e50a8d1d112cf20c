"""Argon2id work off the event loop: hashing takes tens to hundreds of milliseconds by design."""

from __future__ import annotations

import asyncio

from guichet.domain.passwords import PasswordHashing


async def hash_password(passwords: PasswordHashing, password: str) -> str:
    return await asyncio.to_thread(passwords.hash, password)


async def verify_password(passwords: PasswordHashing, password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, verify against a dummy one (same time) and answer False."""
    return await asyncio.to_thread(passwords.verify, password_hash, password)
