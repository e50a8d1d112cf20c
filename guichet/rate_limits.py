"""Leaky buckets of cost points, one per principal, shared by every server process (SEC-07).

A bucket holds up to `capacity` points and refills at `restore` points per second; an operation
takes its requested cost before it runs, or is THROTTLED when that many points are not there
(nothing is taken then). Where the buckets live: Redis when GUICHET_REDIS_URL is set (one Lua
script, atomic), PostgreSQL otherwise (one INSERT ... ON CONFLICT statement on a dedicated asyncpg
pool, atomic per row), in-process on SQLite (a single process). Time always comes from the
caller (the app's clock), so tests move it by hand.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from guichet.db import asyncpg_dsn


@dataclass(frozen=True)
class Bucket:
    """A bucket after a debit (or a look): whether the cost fitted and what is left."""

    allowed: bool
    available: float
    capacity: int
    restore: float
    cost: int

    @property
    def remaining(self) -> int:
        return max(int(math.floor(self.available)), 0)

    def retry_after(self) -> int:
        """Whole seconds until `cost` points are available again."""
        missing = self.cost - self.available
        return max(int(math.ceil(missing / self.restore)), 1) if missing > 0 else 0

    def seconds_to_full(self) -> int:
        return max(int(math.ceil((self.capacity - self.available) / self.restore)), 0)


def leak(available: float, elapsed: float, *, capacity: int, restore: float, cost: int) -> tuple[bool, float]:
    """(fits, available after) for a bucket last at `available`, `elapsed` seconds ago."""
    refilled = min(float(capacity), available + max(elapsed, 0.0) * restore)
    if refilled >= cost:
        return True, refilled - cost
    return False, refilled


class Buckets(Protocol):
    capacity: int
    restore: float

    async def take(self, key: str, cost: int, now: datetime) -> Bucket: ...

    async def close(self) -> None: ...


class MemoryBuckets:
    """In-process buckets (SQLite: one process)."""

    def __init__(self, capacity: int, restore: float) -> None:
        self.capacity = capacity
        self.restore = restore
        self._state: dict[str, tuple[float, datetime]] = {}

    async def take(self, key: str, cost: int, now: datetime) -> Bucket:
        available, at = self._state.get(key, (float(self.capacity), now))
        allowed, after = leak(
            available, (now - at).total_seconds(), capacity=self.capacity, restore=self.restore, cost=cost
        )
        self._state[key] = (after, now)
        return Bucket(allowed, after, self.capacity, self.restore, cost)

    async def close(self) -> None:
        self._state.clear()


# Amounts in thousandths of a point (integer columns). Every SET expression reads the row as it
# was, so the refill is written out in each term. Parameters: $1 key, $2 cost, $3 capacity,
# $4 restore (per second), $5 now.
_REFILLED = (
    "LEAST($3::bigint, b.available_milli + CAST(FLOOR(GREATEST(0,"
    " EXTRACT(EPOCH FROM ($5::timestamptz - b.updated_at))) * $4::bigint) AS BIGINT))"
)
_TAKE_SQL = f"""
    INSERT INTO rate_buckets AS b (key, available_milli, updated_at, last_allowed)
    VALUES ($1::varchar, CASE WHEN $3::bigint >= $2::bigint THEN $3 - $2 ELSE $3 END, $5::timestamptz, $3 >= $2)
    ON CONFLICT (key) DO UPDATE SET
      last_allowed = {_REFILLED} >= $2,
      available_milli = {_REFILLED} - CASE WHEN {_REFILLED} >= $2 THEN $2 ELSE 0 END,
      updated_at = GREATEST(b.updated_at, $5)
    RETURNING available_milli, last_allowed
"""  # noqa: S608  (a constant: _REFILLED is no input)

# Connections of one process's bucket pool: as many as requests it may debit at once before they
# queue (a smaller pool closes and reopens connections under load, ~1 ms of CPU each time).
BUCKET_POOL_SIZE = 10


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """The pool's release hook: the debit leaves no session state (no SET, LISTEN, cursor or lock),
    so asyncpg's default reset (four statements on every release) has nothing to undo. asyncpg
    still rolls back a transaction left open before calling this."""


class PostgresBuckets:
    """Buckets in the rate_buckets table, debited by one statement on a dedicated asyncpg pool.

    Straight on asyncpg: the debit is one fixed statement on every request, and SQLAlchemy's
    engine would add ~0.3 ms of CPU to it. Its connections commit without waiting for the WAL
    flush (synchronous_commit off): a crash may forget the last few debits, i.e. give a principal
    back a few points, never take any, and every request saves an fsync wait.
    """

    def __init__(self, database_url: str, capacity: int, restore: float) -> None:
        self.capacity = capacity
        self.restore = restore
        self._dsn = asyncpg_dsn(database_url)
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=BUCKET_POOL_SIZE,
                        server_settings={"synchronous_commit": "off"},
                        reset=_nothing_to_reset,
                    )
        return self._pool

    async def take(self, key: str, cost: int, now: datetime) -> Bucket:
        arguments = (key, cost * 1000, self.capacity * 1000, int(self.restore * 1000), now)
        pool = await self._connections()
        try:
            row = await pool.fetchrow(_TAKE_SQL, *arguments)
        except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError):
            # A connection PostgreSQL dropped (a restart): the pool replaces it; retry once.
            row = await pool.fetchrow(_TAKE_SQL, *arguments)
        assert row is not None  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING always returns the row
        return Bucket(bool(row[1]), row[0] / 1000, self.capacity, self.restore, cost)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


_TAKE_LUA = """
local capacity = tonumber(ARGV[1])
local restore = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'available', 'at')
local available = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
local refilled = math.min(capacity, available + math.max(now - at, 0) * restore)
local allowed = 0
if refilled >= cost then
  refilled = refilled - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'available', tostring(refilled), 'at', tostring(math.max(now, at)))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / restore) + 60)
return {allowed, tostring(refilled)}
"""


class RedisBuckets:
    """Buckets in Redis hashes `guichet:bucket:<key>`, debited by one Lua script."""

    def __init__(self, redis_url: str, capacity: int, restore: float) -> None:
        import redis.asyncio as redis

        self.capacity = capacity
        self.restore = restore
        self._client = redis.from_url(redis_url)
        self._script = self._client.register_script(_TAKE_LUA)

    async def take(self, key: str, cost: int, now: datetime) -> Bucket:
        allowed, available = await self._script(
            keys=[f"guichet:bucket:{key}"], args=[self.capacity, self.restore, cost, now.timestamp()]
        )
        return Bucket(bool(int(allowed)), float(available), self.capacity, self.restore, cost)

    async def close(self) -> None:
        await self._client.aclose()


def make_buckets(database_url: str, redis_url: str | None, capacity: int, restore: float) -> Buckets:
    """Redis when configured, else PostgreSQL, else in-process (SQLite)."""
    if redis_url:
        return RedisBuckets(redis_url, capacity, restore)
    if database_url.startswith("postgresql"):
        return PostgresBuckets(database_url, capacity, restore)
    return MemoryBuckets(capacity, restore)
