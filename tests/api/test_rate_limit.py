"""Leaky buckets of cost points per principal (OPERATIONS.md "Rate limit", SEC-07), on the app's clock.

A bucket of 30 points refilled at 10 points a second: an operation that does not fit answers HTTP
429 with Retry-After and THROTTLED and takes nothing; a second later 10 points are back; another
principal's bucket is untouched. Every answer carries the RateLimit headers. The same buckets are
shared by processes in PostgreSQL and in Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from guichet.domain.ids import to_global_id
from guichet.rate_limits import MemoryBuckets, PostgresBuckets, RedisBuckets
from guichet.server import create_app
from tests.conftest import TEST_NOW
from tests.factories import make_member, make_organisation

# organisation 1 + billingAccounts (1 + 10 x lines (1 + 1 x 0)) = 22 points... with first: 1 for lines
# nodes of scalars only: billingAccounts = 1 + 10 x (lines 1 + 1 x 0) = 11; organisation 1 + 11 = 12.
TWELVE = """query($id: ID!) { organisation(id: $id) { billingAccounts(first: 10) { edges { node {
  lines(first: 1) { totalCount } } } } } }"""


@pytest.fixture
async def small(settings, clock) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    application = create_app(settings.with_overrides(rate_capacity=30, rate_restore=10.0), clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as client:
            yield application, client


async def _two_members(application: Any) -> tuple[dict[str, str], str, str]:
    async with application.state.guichet.sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        first = await make_member(session, org, primary_admin=True)
        second = await make_member(session, org, roles=[("MANAGEMENT", None)])
    return {"id": to_global_id("Organisation", org.id)}, first.token, second.token


async def _post(client: httpx.AsyncClient, token: str, variables: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": TWELVE, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_an_empty_bucket_answers_429_throttled_until_it_refills(small, clock) -> None:
    application, client = small
    variables, token, other = await _two_members(application)

    first = await _post(client, token, variables)
    second = await _post(client, token, variables)
    throttled = await _post(client, token, variables)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["RateLimit-Limit"] == "30"
    assert first.headers["RateLimit-Remaining"] == "18"
    assert second.headers["RateLimit-Remaining"] == "6"
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"  # 6 left, 12 needed, 10 a second
    body = throttled.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "THROTTLED", "retryAfter": 1}
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 12,
        "actualQueryCost": 0,
        "throttleStatus": {"maximumAvailable": 30, "currentlyAvailable": 6, "restoreRate": 10},
    }
    assert (await _post(client, other, variables)).status_code == 200  # another person's bucket

    clock.current += timedelta(seconds=1)
    again = await _post(client, token, variables)
    assert again.status_code == 200
    assert again.headers["RateLimit-Remaining"] == "4"  # 6 + 10 - 12


async def test_a_refused_operation_takes_nothing(small, clock) -> None:
    application, client = small
    variables, token, _other = await _two_members(application)
    await _post(client, token, variables)
    await _post(client, token, variables)

    for _ in range(3):
        assert (await _post(client, token, variables)).status_code == 429
    clock.current += timedelta(milliseconds=600)

    assert (await _post(client, token, variables)).status_code == 200  # 6 + 6 = 12


async def test_memory_buckets_leak_by_the_given_clock() -> None:
    buckets = MemoryBuckets(capacity=100, restore=50.0)

    full = await buckets.take("k:1", 100, TEST_NOW)
    empty = await buckets.take("k:1", 1, TEST_NOW)
    later = await buckets.take("k:1", 50, TEST_NOW + timedelta(seconds=1))

    assert (full.allowed, full.remaining) == (True, 0)
    assert (empty.allowed, empty.retry_after()) == (False, 1)
    assert (later.allowed, later.remaining) == (True, 0)


POSTGRES_URL = os.environ.get("GUICHET_TEST_POSTGRES_URL")


async def test_postgresql_buckets_are_one_row_per_principal(database_url, app) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL store")
    first = PostgresBuckets(database_url, 100, 50.0)
    second = PostgresBuckets(database_url, 100, 50.0)  # another process
    try:
        assert (await first.take("p:1", 60, TEST_NOW)).allowed
        refused = await second.take("p:1", 60, TEST_NOW)
        assert (refused.allowed, refused.remaining) == (False, 40)
        assert (await second.take("p:2", 60, TEST_NOW)).allowed
        assert (await second.take("p:1", 60, TEST_NOW + timedelta(seconds=0.4))).allowed
    finally:
        await first.close()
        await second.close()


async def test_redis_buckets_are_shared() -> None:
    url = "redis://127.0.0.1:6379/0"
    key = f"test:{uuid.uuid4().hex}"
    first, second = RedisBuckets(url, 100, 50.0), RedisBuckets(url, 100, 50.0)
    try:
        try:
            await first.take(key, 0, TEST_NOW)
        except Exception:  # noqa: BLE001
            pytest.skip("no Redis at 127.0.0.1:6379")
        assert (await first.take(key, 60, TEST_NOW)).allowed
        refused = await second.take(key, 60, TEST_NOW)
        assert (refused.allowed, refused.remaining) == (False, 40)
        assert (await second.take(key, 60, TEST_NOW + timedelta(seconds=0.4))).allowed
    finally:
        await first.close()
        await second.close()
