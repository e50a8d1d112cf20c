"""An operation running past the request timeout ends with extensions.code TIMEOUT (SEC-09)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import strawberry

from guichet.schema.extensions import GuichetSchema


@strawberry.type
class Slow:
    @strawberry.field
    async def nap(self) -> int:
        await asyncio.sleep(5)
        return 1


async def test_a_slow_operation_is_stopped_with_a_timeout_code() -> None:
    schema = GuichetSchema(query=Slow)
    schema.request_timeout = 0.05
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    result = await schema.execute("{ nap }", context_value=SimpleNamespace(locale="fr", close=close))

    assert result.data is None
    assert [e.extensions for e in result.errors or []] == [{"code": "TIMEOUT"}]
    assert "trop de temps" in result.errors[0].message
    assert closed == [True]  # the read session goes back to the pool
