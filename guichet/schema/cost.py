"""Cost before execution, the principal's leaky bucket, and what every response says about both.

- QueryCost prices the operation (schema/limits.py's walk, OPERATIONS.md formula) once per
  document and values of the variables given as `first` (an LRU keyed by the document's SHA-256),
  and refuses one over GUICHET_MAX_QUERY_COST with the top-level QUERY_TOO_COMPLEX before anything
  else runs: no resolver, no SQL (it runs before the principal is even looked up).
- RateLimit debits that price from the principal's bucket (an API key, a signed-in person, or the
  client address for anonymous calls; guichet/rate_limits.py, shared by every process) before
  execution: THROTTLED with HTTP 429 and Retry-After when it does not fit. Every priced response
  carries `extensions.cost` (Shopify's shape) and RateLimit-Limit / -Remaining / -Reset headers
  (IETF draft: Reset is the seconds until the bucket is full again). actualQueryCost equals the
  requested cost: nothing is refunded after execution.
- An operation running longer than GUICHET_REQUEST_TIMEOUT ends with extensions.code TIMEOUT
  (GuichetSchema.execute, SEC-09; the database has its own statement_timeout on PostgreSQL, guichet/db.py).

Performance: bench/bench_cost.py prints the pricing overhead per request (cached and not).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from graphql import ExecutionResult, FragmentDefinitionNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryResult

from guichet.i18n import render
from guichet.rate_limits import Bucket
from guichet.resolvers import rate_limits
from guichet.resolvers.context import Info
from guichet.resolvers.rate_limits import bucket_key
from guichet.schema.key_gate import selected_operation
from guichet.schema.limits import operation_price

log = logging.getLogger("guichet.rate_limits")


@dataclass
class OperationCost:
    """The price of this request's operation and, once debited, the principal's bucket."""

    requested: int
    maximum: int
    bucket: Bucket | None = None


class PriceCache:
    """Prices by (document SHA-256, operation, values of the `first` variables): each document walked once."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._variables: OrderedDict[tuple[str, str | None], frozenset[str]] = OrderedDict()
        self._prices: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self.walks = 0  # for tests and the benchmark

    def price(
        self, schema: GraphQLSchema, query: str, document: Any, operation_name: str | None, variables: Mapping[str, Any]
    ) -> int | None:
        operation = selected_operation(document, operation_name)
        if operation is None:
            return None
        digest = hashlib.sha256(query.encode()).hexdigest()
        known = self._variables.get((digest, operation_name))
        if known is not None:
            key = (digest, operation_name, _values(known, variables))
            cached = self._prices.get(key)
            if cached is not None:
                self._prices.move_to_end(key)
                return cached
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        price, used = operation_price(schema, fragments, operation, variables)
        self.walks += 1
        self._remember(self._variables, (digest, operation_name), used)
        self._remember(self._prices, (digest, operation_name, _values(used, variables)), price)
        return price

    def _remember(self, table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.maxsize:
            table.popitem(last=False)


def _values(names: frozenset[str], variables: Mapping[str, Any]) -> str:
    return json.dumps({n: variables.get(n) for n in sorted(names)}, sort_keys=True, default=str)


def _refuse(extension: SchemaExtension, error: GraphQLError) -> None:
    extension.execution_context.result = ExecutionResult(data=None, errors=[error])


class QueryCost(SchemaExtension):
    """Price the operation; QUERY_TOO_COMPLEX over the maximum (see the module docstring)."""

    def __init__(self, *, cache: PriceCache, maximum: int) -> None:
        self.cache = cache
        self.maximum = maximum

    def on_execute(self) -> Any:
        context = self.execution_context.context
        execution = self.execution_context
        if execution.result is None and execution.graphql_document is not None and execution.query:
            price = self.cache.price(
                execution.schema._schema,
                execution.query,
                execution.graphql_document,
                execution.operation_name,
                execution.variables or {},
            )
            if price is not None:
                context.cost = OperationCost(price, self.maximum)
                if price > self.maximum:
                    message = render("QUERY_TOO_COMPLEX", context.locale, {"cost": price, "maximum": self.maximum})
                    _refuse(
                        self,
                        GraphQLError(
                            message,
                            extensions={"code": "QUERY_TOO_COMPLEX", "cost": price, "maximumCost": self.maximum},
                        ),
                    )
        yield

    def get_results(self) -> dict[str, Any]:
        cost: OperationCost | None = getattr(self.execution_context.context, "cost", None)
        if cost is None or getattr(self.execution_context.context, "http_response", None) is None:
            return {}  # subscription events over WebSocket are not responses: priced once, not reported
        body: dict[str, Any] = {"requestedQueryCost": cost.requested, "actualQueryCost": cost.requested}
        if cost.bucket is not None:
            body["actualQueryCost"] = cost.requested if cost.bucket.allowed else 0
            body["throttleStatus"] = {
                "maximumAvailable": cost.bucket.capacity,
                "currentlyAvailable": cost.bucket.remaining,
                "restoreRate": int(cost.bucket.restore) if cost.bucket.restore.is_integer() else cost.bucket.restore,
            }
        else:
            body["actualQueryCost"] = 0
        return {"cost": body}


class RateLimit(SchemaExtension):
    """Debit the price from the principal's bucket before execution; THROTTLED (429) when it does not fit."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        cost: OperationCost | None = getattr(context, "cost", None)
        buckets = context.app.buckets if cost is not None else None
        if buckets is not None and self.execution_context.result is None:
            key = await bucket_key(context)
            try:
                bucket = await buckets.take(key, cost.requested, context.now())
            except Exception:
                # The buckets' store is down: serve (availability first) and say so loudly.
                log.exception("rate limit store unavailable; operation served unmetered key=%s", key)
                yield
                return
            cost.bucket = bucket
            self._headers(context, bucket)
            if not bucket.allowed:
                seconds = bucket.retry_after()
                _refuse(
                    self,
                    GraphQLError(
                        render("THROTTLED", context.locale, {"seconds": seconds}),
                        extensions={"code": "THROTTLED", "retryAfter": seconds},
                    ),
                )
                if context.http_response is not None:
                    context.http_response.status_code = 429
                    context.http_response.headers["Retry-After"] = str(seconds)
        yield

    def _headers(self, context: Any, bucket: Bucket) -> None:
        response = context.http_response
        if response is None:
            return
        response.headers["RateLimit-Limit"] = str(bucket.capacity)
        response.headers["RateLimit-Remaining"] = str(bucket.remaining)
        response.headers["RateLimit-Reset"] = str(bucket.seconds_to_full())


def timeout_result(locale: str) -> StrawberryResult:
    """What an operation stopped by the request timeout answers (SEC-09)."""
    error = GraphQLError(render("REQUEST_TIMEOUT", locale), extensions={"code": "TIMEOUT"})
    return StrawberryResult(data=None, errors=[error])


@strawberry.type(
    name="RateLimit",
    description="GitHub's rateLimit object: points per bucket (one per signed-in person, one per API key).",
)
class RateLimitInfo:
    limit: int = strawberry.field(description="The bucket's capacity in points (GUICHET_RATE_CAPACITY).")
    cost: int = strawberry.field(description="What this operation cost.")
    remaining: int = strawberry.field(description="Points left after this operation.")
    used: int = strawberry.field(description="limit - remaining.")
    reset_at: datetime = strawberry.field(description="When the bucket is full again if nothing else is spent.")


@strawberry.type(description="Cost budget.")
class Query:
    @strawberry.field(description="The caller's cost budget now (GitHub's rateLimit object): costs nothing to ask.")
    async def rate_limit(self, info: Info) -> RateLimitInfo:
        budget = await rate_limits.rate_limit(info.context)
        return RateLimitInfo(
            limit=budget.limit,
            cost=budget.cost,
            remaining=budget.remaining,
            used=budget.limit - budget.remaining,
            reset_at=budget.reset_at,
        )
