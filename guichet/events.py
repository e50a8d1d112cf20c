"""Live updates for subscriptions: publish after commit, deliver in every server process.

The transport follows the deployment: PostgreSQL LISTEN/NOTIFY (asyncpg) when the database is
PostgreSQL, Redis pub/sub when settings.redis_url is set (it wins), in-process otherwise
(SQLite, one process). Either way every process fans a message out to its own local
subscribers, so a webhook received by one process reaches a subscriber of another.

Messages carry only kinds and ids ({"kind": "payment"|"invoice"|"service_request"|"order"|"export", "id", "org"}): subscribers
reload what they may read, with their own permissions, when a message arrives. Publishing never
fails the caller (its transaction is already committed): a lost message is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

from guichet.db import asyncpg_dsn, is_sqlite
from guichet.settings import Settings

log = logging.getLogger("guichet.events")

CHANNEL = "guichet_events"
QUEUE_SIZE = 256


class ChangeLike(Protocol):
    kind: str
    id: int
    organisation_id: int


def payment_topic(payment_id: int) -> str:
    return f"payment:{payment_id}"


def invoices_topic(organisation_id: int) -> str:
    return f"org-invoices:{organisation_id}"


def service_requests_topic(organisation_id: int) -> str:
    return f"org-service-requests:{organisation_id}"


def orders_topic(organisation_id: int) -> str:
    return f"org-orders:{organisation_id}"


def export_topic(export_id: int) -> str:
    return f"export:{export_id}"


def _message(change: ChangeLike) -> dict[str, Any]:
    return {"kind": change.kind, "id": change.id, "org": change.organisation_id}


def _topic(message: dict[str, Any]) -> str | None:
    if message.get("kind") == "payment":
        return payment_topic(int(message["id"]))
    if message.get("kind") == "invoice":
        return invoices_topic(int(message["org"]))
    if message.get("kind") == "service_request":
        return service_requests_topic(int(message["org"]))
    if message.get("kind") == "order":
        return orders_topic(int(message["org"]))
    if message.get("kind") == "export":
        return export_topic(int(message["id"]))
    return None


class Broker:
    """Local fan-out to this process's subscribers; subclasses add the cross-process transport."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    @contextlib.asynccontextmanager
    async def listen(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue receiving the messages of `topic` until the block exits."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(topic)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[topic]

    def deliver(self, message: dict[str, Any]) -> None:
        topic = _topic(message)
        for queue in list(self._subscribers.get(topic or "", ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("subscriber too slow, message dropped topic=%s", topic)

    def deliver_raw(self, payload: str | bytes) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("malformed event ignored")
            return
        if isinstance(message, dict):
            self.deliver(message)

    async def publish(self, changes: Iterable[ChangeLike]) -> None:
        for change in changes:
            self.deliver(_message(change))

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class LocalBroker(Broker):
    """One process (SQLite): publishing is delivering."""


class PostgresBroker(Broker):
    """LISTEN on one dedicated connection (reconnected if lost); NOTIFY from another."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._dsn = asyncpg_dsn(database_url)
        self._listener: Any = None
        self._sender: Any = None
        self._send_lock = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect_listener()
        self._watch = asyncio.create_task(self._watchdog())

    async def _connect_listener(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self._dsn)
        await connection.add_listener(CHANNEL, self._on_notify)
        self._listener = connection

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.deliver_raw(payload)

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(2)
            if self._listener is None or self._listener.is_closed():
                try:
                    await self._connect_listener()
                    log.info("event listener reconnected")
                except Exception:  # the database may be restarting: try again later
                    log.warning("event listener reconnection failed", exc_info=True)

    async def publish(self, changes: Iterable[ChangeLike]) -> None:
        import asyncpg

        payloads = [json.dumps(_message(c), separators=(",", ":")) for c in changes]
        if not payloads:
            return
        async with self._send_lock:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self._dsn)
            for payload in payloads:
                await self._sender.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for connection in (self._listener, self._sender):
            if connection is not None and not connection.is_closed():
                await connection.close()


class RedisBroker(Broker):
    """Redis pub/sub on one channel."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self._url = redis_url
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import redis.asyncio as redis

        self._client = redis.from_url(self._url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(CHANNEL)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis event read failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message and message.get("type") == "message":
                self.deliver_raw(message["data"])

    async def publish(self, changes: Iterable[ChangeLike]) -> None:
        for change in changes:
            await self._client.publish(CHANNEL, json.dumps(_message(change), separators=(",", ":")))

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._client is not None:
            await self._client.aclose()


def make_broker(settings: Settings) -> Broker:
    if settings.redis_url:
        return RedisBroker(settings.redis_url)
    if not is_sqlite(settings.database_url):
        return PostgresBroker(settings.database_url)
    return LocalBroker()


async def publish(broker: Broker, changes: Iterable[ChangeLike]) -> None:
    """Publish committed changes; log, never raise (the caller's work is already committed)."""
    changes = list(changes)
    if not changes:
        return
    try:
        await broker.publish(changes)
    except Exception:
        log.warning("could not publish %d change(s)", len(changes), exc_info=True)


async def publish_once(settings: Settings, changes: Iterable[ChangeLike]) -> None:
    """Publish from a process that serves nobody (a CLI job): a short-lived broker."""
    changes = list(changes)
    if not changes:
        return
    broker = make_broker(settings)
    if isinstance(broker, LocalBroker):
        return  # no other process can hear an in-process broker
    try:
        if isinstance(broker, RedisBroker):
            import redis.asyncio as redis

            broker._client = redis.from_url(settings.redis_url or "")
        await broker.publish(changes)
    except Exception:
        log.warning("could not publish %d change(s)", len(changes), exc_info=True)
    finally:
        await broker.close()
