"""The executor class the schema gives graphql-core: compiled plans for queries, graphql-core otherwise.

One plan per validated operation and schema (the ParserCache hands back the same document object
for the same text, so the plan is found by the identity of the operation node and the schema). Queries only: mutations run
their fields serially with side effects, so a retry is not free; subscription events are left
to graphql-core as well. When a plan cannot complete (see plan.py), whatever it started is
awaited to its end and graphql-core executes the operation from the start in the same request
context (memoised decisions and DataLoader caches included), so the answer, errors and their
paths are exactly graphql-core's.

GUICHET_FASTPATH_VERIFY=1 (the test suite sets it) executes every query the plan answered a
second time with graphql-core and records any difference in MISMATCHES (the answer then is
graphql-core's); COVERAGE counts, per document, how it was answered.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from contextvars import ContextVar
from types import CoroutineType
from typing import Any

import orjson
from graphql import OperationType
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from guichet.execution.plan import Fallback, Plan, Unsupported, arguments, compile_operation

log = logging.getLogger("guichet.execution")

MAX_PLANS = 512
# (id(schema), id(operation node)) -> (both, kept alive so their ids are not reused; the plan or why
# there is none). The schema is part of the key: ParserCache shares one document between schemas.
_PLANS: dict[tuple[int, int], tuple[Any, Any, Plan | str]] = {}
# (document text or "?", outcome) -> count; outcome is "fast", "fallback: <why>" or "unsupported: <why>"
COVERAGE: Counter[tuple[str, str]] = Counter()
MISMATCHES: list[dict[str, Any]] = []
# True while verification re-executes a query: statement counters leave those statements out.
_VERIFYING: ContextVar[bool] = ContextVar("guichet_fastpath_verifying", default=False)


def verifying() -> bool:
    return os.environ.get("GUICHET_FASTPATH_VERIFY", "") not in ("", "0")


def verification_rerun() -> bool:
    """Whether the caller runs inside verification's second execution (not the request's own)."""
    return _VERIFYING.get()


def _document_text(operation: Any) -> str:
    loc = getattr(operation, "loc", None)
    return loc.source.body if loc is not None else "?"


def plan_for(executor: FastExecutor) -> Plan | str:
    """The operation's plan, compiled on first use, or the reason it has none."""
    operation, schema = executor.operation, executor.schema
    key = (id(schema), id(operation))
    found = _PLANS.get(key)
    if found is not None and found[0] is schema and found[1] is operation:
        return found[2]
    plan: Plan | str
    try:
        plan = compile_operation(executor)
    except Unsupported as reason:
        plan = str(reason)
    if len(_PLANS) >= MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = (schema, operation, plan)
    return plan


class FastExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, answering covered queries from their compiled plan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.abandoned: list[Any] = []

    def execute_operation(self, serially: bool | None = None) -> Any:
        if (
            serially is not None
            or self.operation.operation is not OperationType.QUERY
            or self.abort_signal is not None
            or self.hooks is not None
            or (self.middleware_manager is not None and self.middleware_manager._middleware_resolvers)
        ):
            return super().execute_operation(serially)
        plan = plan_for(self)
        if isinstance(plan, str):
            COVERAGE[(_document_text(self.operation), f"unsupported: {plan}")] += 1
            return super().execute_operation(serially)
        return self._run(plan)

    async def _run(self, plan: Plan) -> Any:
        text = _document_text(self.operation)
        try:
            data = plan.root(self, self.root_value, None)
            if data.__class__ is CoroutineType:
                data = await data
        except Exception as error:
            await self._settle_abandoned()
            COVERAGE[(text, f"fallback: {type(error).__name__}")] += 1
            return await _awaited(super().execute_operation())
        COVERAGE[(text, "fast")] += 1
        if verifying():
            token = _VERIFYING.set(True)
            try:
                reference = await _awaited(super().execute_operation())
            finally:
                _VERIFYING.reset(token)
            if reference.errors or orjson.dumps(reference.data) != orjson.dumps(data):
                MISMATCHES.append(
                    {"document": text, "fast": data, "reference": reference.data, "errors": reference.errors}
                )
                log.error("fast path answer differs from graphql-core's for %s", text)
            return reference
        return self.finish(self.build_response(data))

    async def _settle_abandoned(self) -> None:
        while self.abandoned:
            awaitable = self.abandoned.pop()
            try:
                await awaitable
            except Exception:  # noqa: S110 - graphql-core re-executes and reports the error itself
                pass

    def resolve_field(self, parent: Any, source: Any, call: tuple[Any, ...], complete: Any, path: Path) -> Any:
        """Call a field's resolver as graphql-core's execute_field does, then complete its value."""
        resolver, field_def, nodes, _first, _has_args = call
        info = self.build_resolve_info(field_def, nodes, parent, path)
        result = resolver(source, info, **arguments(self, call))
        if self.is_awaitable(result):
            return _resolved_later(result, complete, self, path)
        return complete(self, result, path)


async def _resolved_later(awaitable: Any, complete: Any, executor: FastExecutor, path: Path) -> Any:
    result = complete(executor, await awaitable, path)
    if result.__class__ is CoroutineType:
        result = await result
    return result


async def _awaited(value: Any) -> Any:
    if value.__class__ is CoroutineType or hasattr(value, "__await__"):
        return await value
    return value


__all__ = ["COVERAGE", "MISMATCHES", "Fallback", "FastExecutor", "plan_for", "verification_rerun", "verifying"]
