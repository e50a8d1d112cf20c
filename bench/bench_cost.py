"""The cost overhead per request: pricing an operation (OPERATIONS.md "Cost") cached and fresh,
and the bucket debit, in microseconds.

    .venv/bin/python -m bench.bench_cost [--rounds 20000]

In-process, on the served schema: a dashboard-sized document (an organisation's invoices with
their lines and billing accounts, members with roles, a fragment spread twice) priced by
PriceCache.price — `cached` is every request after the first for a document and values of its
`first` variables (SHA-256 of the document plus two dictionary lookups), `fresh` is the one walk
a new document or value costs — and MemoryBuckets.take, the in-process bucket debit.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from graphql import parse

from guichet.rate_limits import MemoryBuckets
from guichet.schema.cost import PriceCache
from guichet.schema.schema import schema

DOCUMENT = """query Dashboard($id: ID!, $n: Int) {
  organisation(id: $id) {
    name
    invoices(first: $n) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { number status total { amount currency } amountDue { amount currency }
        billingAccount { ...Account } lines { description amount { amount currency } } } } }
    billingAccounts(first: 10) { edges { node { ...Account } } }
    members(first: 10) { edges { node { email roles { role billingAccount { ...Account } } } } }
  }
  rateLimit { cost remaining resetAt }
}
fragment Account on BillingAccount { name number lines(first: 5) { totalCount edges { node { number } } } }"""


def timed(rounds: int, action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20_000)
    rounds = parser.parse_args().rounds
    graphql_schema = schema._schema
    document = parse(DOCUMENT)
    variables = {"id": "T3JnYW5pc2F0aW9uOjE=", "n": 50}

    cache = PriceCache()
    price = cache.price(graphql_schema, DOCUMENT, document, "Dashboard", variables)
    cached = timed(rounds, lambda: cache.price(graphql_schema, DOCUMENT, document, "Dashboard", variables))
    fresh = timed(
        max(rounds // 10, 1),
        lambda: PriceCache().price(graphql_schema, DOCUMENT, document, "Dashboard", variables),
    )

    buckets = MemoryBuckets(capacity=10**9, restore=50.0)
    start = datetime(2026, 11, 25, tzinfo=UTC)
    clock = iter(start + timedelta(microseconds=i) for i in range(rounds + 1))
    loop = asyncio.new_event_loop()

    async def debits() -> float:
        began = time.perf_counter()
        for _ in range(rounds):
            await buckets.take("p:1", price or 0, next(clock))
        return (time.perf_counter() - began) / rounds * 1e6

    debit = loop.run_until_complete(debits())
    loop.close()
    print(f"document price: {price} points ({len(DOCUMENT)} bytes)")
    print(f"price, cached (every request after the first): {cached:.1f} µs")
    print(f"price, fresh walk (a new document or first value): {fresh:.1f} µs")
    print(f"bucket debit, in-process: {debit:.1f} µs")
    print(f"overhead per request (cached price + in-process debit): {cached + debit:.1f} µs")


if __name__ == "__main__":
    main()
