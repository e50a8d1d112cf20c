"""A password hasher that counts (and can hold) Argon2 verifications, for the throttle races."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from guichet.domain.passwords import PasswordHashing


class CountingHasher:
    """Wrap the app's hasher: count every verification; `gate.clear()` holds them until `gate.set()`."""

    def __init__(self, inner: PasswordHashing) -> None:
        self.inner = inner
        self.verified: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def verify(self, password_hash: str | None, password: str) -> bool:
        with self._lock:
            self.verified.append(password)
        self.gate.wait(timeout=30)
        return self.inner.verify(password_hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def count_verifications(app: Any) -> CountingHasher:
    """Install a CountingHasher on the running app and return it."""
    state = app.state.guichet
    hasher = CountingHasher(state.passwords)
    state.passwords = hasher
    return hasher


async def wait_until(condition: Callable[[], bool], *, rounds: int = 1000) -> None:
    """Yield to the event loop until `condition` holds (fail after `rounds` short sleeps)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")
