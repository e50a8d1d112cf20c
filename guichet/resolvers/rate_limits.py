"""Whose bucket an operation draws on, and the caller's budget now (Query.rateLimit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from guichet.resolvers.context import KeyPrincipal

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class Budget:
    limit: int
    cost: int
    remaining: int
    reset_at: datetime


async def bucket_key(ctx: Context) -> str:
    """k:<API key id>, p:<person id> for a session, or a:<client address> when anonymous."""
    principal = await ctx.principal()
    if isinstance(principal, KeyPrincipal):
        return f"k:{principal.api_key_id}"
    if principal is not None:
        return f"p:{principal.person_id}"
    request = ctx.request
    host = request.client.host if request is not None and request.client is not None else "unknown"
    return f"a:{host}"


async def rate_limit(ctx: Context) -> Budget:
    """The bucket as this operation's debit left it; a look that takes nothing when none was made."""
    cost = ctx.cost
    bucket = cost.bucket if cost is not None else None
    if bucket is None:
        assert ctx.app.buckets is not None
        bucket = await ctx.app.buckets.take(await bucket_key(ctx), 0, ctx.now())
    return Budget(
        limit=bucket.capacity,
        cost=cost.requested if cost is not None else 0,
        remaining=bucket.remaining,
        reset_at=ctx.now() + timedelta(seconds=bucket.seconds_to_full()),
    )
