"""Cross-process propagation of access changes: PostgreSQL LISTEN/NOTIFY over asyncpg.

Guards "a change of access takes effect on the next request in every server process". Writers
call store.announce() inside their transaction (pg_notify is delivered on commit only); each
process keeps one dedicated asyncpg connection LISTENing on the channel and hands every payload,
in order, to its runtime, which re-reads only the contacts named (incremental, never a full
load_policy()). When the connection drops, the watcher reconnects with back-off and asks the
runtime to resynchronise everything it holds, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from guichet.policies.store import CHANNEL

log = logging.getLogger("guichet.policies.watcher")

START_SECONDS = 10.0
OnMessage = Callable[[str], Awaitable[None]]
OnResync = Callable[[], Awaitable[None]]


class PostgresWatcher:
    """LISTEN on CHANNEL; deliver payloads one at a time; resync after a reconnection."""

    def __init__(self, dsn: str, on_message: OnMessage, on_resync: OnResync, *, channel: str = CHANNEL) -> None:
        self._dsn = dsn
        self._on_message = on_message
        self._on_resync = on_resync
        self._channel = channel
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._connection: asyncpg.Connection | None = None
        self.received = 0

    async def start(self) -> None:
        """Connect and LISTEN before returning (at most START_SECONDS), so no later change is missed."""
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._consume())]
        async with asyncio.timeout(START_SECONDS):
            await self._ready.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    def _listener(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.received += 1
        self._queue.put_nowait(payload)

    async def _listen(self) -> None:
        delay = 0.5
        first = True
        while True:
            lost = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(self._dsn)
                self._connection.add_termination_listener(lambda _c, event=lost: event.set())
                await self._connection.add_listener(self._channel, self._listener)
                if not first:
                    await self._on_resync()
                first = False
                delay = 0.5
                self._ready.set()
                await lost.wait()
                log.warning("policy watcher connection lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("policy watcher cannot listen; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _consume(self) -> None:
        while True:
            payload = await self._queue.get()
            try:
                await self._on_message(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A message we could not apply: resync what we hold rather than keep a stale rule.
                log.exception("policy message could not be applied; resynchronising")
                await self._on_resync()
