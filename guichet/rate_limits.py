"""Leaky buckets of cost points, one per principal, shared by every server process (SEC-07).

A bucket holds up to `capacity` points and refills at `restore` points per second; an operation
takes its requested cost before it runs, or is THROTTLED when that many points are not there
(nothing is taken then). Where the buckets live: Redis when GUICHET_REDIS_URL is set (one Lua
script, atomic), PostgreSQL otherwise (one INSERT ... ON CONFLICT statement on a dedicated small
engine, atomic per row), in-process on SQLite (a single process). Time always comes from the
caller (the app's clock), so tests move it by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import BigInteger, DateTime, String, bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


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
# was, so the refill is written out in each term.
_REFILLED = (
    "LEAST(:capacity, b.available_milli"
    " + CAST(FLOOR(GREATEST(0, EXTRACT(EPOCH FROM (:now - b.updated_at))) * :restore) AS BIGINT))"
)
_TAKE_SQL = text(
    f"""
    INSERT INTO rate_buckets AS b (key, available_milli, updated_at, last_allowed)
    VALUES (:key, CASE WHEN :capacity >= :cost THEN :capacity - :cost ELSE :capacity END, :now, :capacity >= :cost)
    ON CONFLICT (key) DO UPDATE SET
      last_allowed = {_REFILLED} >= :cost,
      available_milli = {_REFILLED} - CASE WHEN {_REFILLED} >= :cost THEN :cost ELSE 0 END,
      updated_at = GREATEST(b.updated_at, :now)
    RETURNING available_milli, last_allowed
    """  # noqa: S608  (a constant: _REFILLED is no input)
).bindparams(
    bindparam("key", type_=String()),
    bindparam("cost", type_=BigInteger()),
    bindparam("capacity", type_=BigInteger()),
    bindparam("restore", type_=BigInteger()),
    bindparam("now", type_=DateTime(timezone=True)),
)


class PostgresBuckets:
    """Buckets in the rate_buckets table, on their own small engine (autocommit, one statement)."""

    def __init__(self, database_url: str, capacity: int, restore: float) -> None:
        self.capacity = capacity
        self.restore = restore
        self._engine: AsyncEngine = create_async_engine(
            database_url, pool_size=2, max_overflow=8, isolation_level="AUTOCOMMIT"
        )

    async def take(self, key: str, cost: int, now: datetime) -> Bucket:
        try:
            return await self._take(key, cost, now)
        except DBAPIError as error:
            # A connection PostgreSQL dropped (a restart): the pool is invalidated; retry once.
            if not error.connection_invalidated:
                raise
            return await self._take(key, cost, now)

    async def _take(self, key: str, cost: int, now: datetime) -> Bucket:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    _TAKE_SQL,
                    {
                        "key": key,
                        "cost": cost * 1000,
                        "capacity": self.capacity * 1000,
                        "restore": int(self.restore * 1000),
                        "now": now,
                    },
                )
            ).one()
        return Bucket(bool(row[1]), row[0] / 1000, self.capacity, self.restore, cost)

    async def close(self) -> None:
        await self._engine.dispose()


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
