"""Start-up: what the lifespan starts for the app's lifetime, in order, and stops in reverse.

The policy runtime (enforcer and watcher), mail delivery and the payment-event broker; each
start function takes the AppState, sets its fields and returns an async closer (or None).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from guichet import events, mailer
from guichet.app_state import AppState, Closer
from guichet.policies import runtime

STARTS: tuple[Callable[[AppState], Awaitable[Closer | None]], ...] = (runtime.start, mailer.start, events.start)


async def start_all(state: AppState) -> list[Closer]:
    closers: list[Closer] = []
    for start in STARTS:
        closer = await start(state)
        if closer is not None:
            closers.append(closer)
    return closers


async def stop_all(closers: list[Closer]) -> None:
    for closer in reversed(closers):
        await closer()
