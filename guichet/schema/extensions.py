"""Error hygiene and operation metrics for every GraphQL operation (SEC-14, SEC-16, SEC-17).

- Expected failures keep their message: GraphQL errors carrying `extensions.code` (FORBIDDEN,
  UNAUTHENTICATED, VALIDATION, ...), and DomainError / NotAuthenticated / AccessDenied that escaped a
  resolver (rendered in the request's language with their code, as schema/errors.py renders them).
- Anything else raised while resolving is a bug: it is logged with the request id (by
  GuichetSchema.process_errors, before masking) and the client sees only "Unexpected error." with
  extensions {code: INTERNAL_SERVER_ERROR, requestId}.
- Parse and validation errors (and variable coercion errors) are the client's own mistakes and pass
  as they are while introspection is on. With introspection off they would rebuild the hidden schema
  (clairvoyance reads type and field names and "Did you mean" hints out of them), so every message
  that is not known to be schema-free becomes "Query validation error.".
- Every request error gets an Apollo-style extensions.code (GRAPHQL_PARSE_FAILED,
  GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT) and, for the common ones, the request's language
  (schema/request_errors.py). FORBIDDEN names the permission it needed (extensions.module, .action).
- The same holds over WebSocket: Schema.stream results are cleaned one by one before they are sent
  (on_stream_result), and syntax errors come back as results there too (ParserCacheReturningSyntaxErrors).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from guichet.domain.errors import DomainError
from guichet.schema import request_errors

log = logging.getLogger("guichet.graphql")

UNEXPECTED_MESSAGE = "Unexpected error."
INTERNAL_CODE = "INTERNAL_SERVER_ERROR"
VALIDATION_MESSAGE = "Query validation error."
VALIDATION_CODE = "GRAPHQL_VALIDATION_FAILED"
# Messages that name nothing of the schema: syntax errors quote only the client's own document, and
# the limiters report numbers. Everything else is rewritten while introspection is off.
SCHEMA_FREE = (
    re.compile(r"^Syntax Error: "),
    re.compile(r"^'[^']*' exceeds maximum operation depth of \d+$"),
    re.compile(r"^\d+ aliases found\. Allowed: \d+$"),
    re.compile(r"^'[^']*' selects \d+ fields once fragments are expanded\. Allowed: \d+$"),
    re.compile(r"^GraphQL introspection has been disabled, but the requested query contained the field '__\w+'\.$"),
    re.compile(r"^Cannot spread fragment '\w+' within itself( via [\w', ]+)?\.$"),
    re.compile(r"^There can be only one operation named '\w+'\.$"),
    re.compile(r"^This anonymous operation must be the only defined operation\.$"),
)


def request_id(execution_context: ExecutionContext | None) -> str | None:
    context = getattr(execution_context, "context", None)
    value = getattr(context, "request_id", None)
    return value if isinstance(value, str) else None


def _coded(error: GraphQLError) -> bool:
    return bool((error.extensions or {}).get("code"))


def is_request_error(error: GraphQLError) -> bool:
    """Parse, validation and variable errors: the client's own document or variables, not a bug."""
    return error.path is None and (error.original_error is None or isinstance(error.original_error, GraphQLError))


def is_expected(error: GraphQLError) -> bool:
    """True for errors the client should see as they are; False for bugs to mask and log."""
    if _coded(error) or is_request_error(error):
        return True
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and _refusal(original) is not None


def _refusal(original: BaseException) -> tuple[str, str, dict[str, Any], list[str] | None] | None:
    """(code, message key, params, field) for domain refusals that escaped a resolver."""
    if isinstance(original, DomainError):
        return original.code.value, original.message_key, dict(original.params or {}), list(original.field or [])
    from guichet.policies.authz import AccessDenied, NotAuthenticated

    if isinstance(original, NotAuthenticated):
        return "UNAUTHENTICATED", "UNAUTHENTICATED", {}, None
    if isinstance(original, AccessDenied):
        return "FORBIDDEN", "FORBIDDEN", {}, None
    return None


def coded_request_error(error: GraphQLError, locale: str, *, message: str | None = None) -> GraphQLError:
    """`error` (or `message` in its place) with an Apollo-style extensions.code and in `locale`."""
    text = message or error.message
    extensions = {"code": VALIDATION_CODE} if message else dict(error.extensions or {})
    extensions.setdefault("code", request_errors.code_of(text))
    return GraphQLError(
        request_errors.localised(text, locale),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions=extensions,
    )


class ParserCacheReturningSyntaxErrors(ParserCache):
    """Strawberry's ParserCache, except that a syntax error takes Strawberry's ordinary path.

    Raised from this hook, a syntax error (the token limit's included) escapes the operation hooks:
    ErrorHygiene never sees it over HTTP, and over WebSocket the operation dies with a logged
    traceback. Left unparsed here, the document is parsed again by Strawberry (with the same
    options, so the token limit holds), whose own handler returns the error as a result.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            pass
        yield


class GuichetSchema(strawberry.Schema):
    """Strawberry's schema with logging that keeps expected refusals out of the error log, and a
    time limit on every operation over HTTP (SEC-09): past `request_timeout` seconds it is cancelled,
    its read session returned to the pool, and it answers extensions.code TIMEOUT."""

    request_timeout: float | None = None

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.request_timeout is None:
            return await super().execute(query, *args, **kwargs)
        try:
            async with asyncio.timeout(self.request_timeout):
                return await super().execute(query, *args, **kwargs)
        except TimeoutError:
            context = kwargs.get("context_value")
            close = getattr(context, "close", None)
            if close is not None:
                await close()
            log.warning(
                "operation stopped after %ss request_id=%s", self.request_timeout, getattr(context, "request_id", None)
            )
            from guichet.schema.cost import timeout_result

            return timeout_result(getattr(context, "locale", "en"))

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        rid = request_id(execution_context)
        operation = getattr(execution_context, "operation_name", None) or "anonymous"
        for error in errors:
            if is_expected(error):
                log.debug("graphql error request_id=%s operation=%s: %s", rid, operation, error.message)
                continue
            original = error.original_error
            log.error(
                "unexpected error request_id=%s operation=%s path=%s",
                rid,
                operation,
                ".".join(str(p) for p in error.path or ()) or "-",
                exc_info=(type(original), original, original.__traceback__) if original is not None else None,
            )


class ErrorHygiene(SchemaExtension):
    """Mask unexpected errors, render escaped refusals, and hide schema hints when asked (see module)."""

    def __init__(self, *, hide_schema_hints: bool) -> None:
        self.hide_schema_hints = hide_schema_hints

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if self._streamed:
            return  # already cleaned result by result, before each was sent
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)) and result.errors:
            result.errors = [self._clean(error) for error in result.errors]
        elif initial := getattr(result, "initial_result", None):
            if getattr(initial, "errors", None):
                initial.errors = [self._clean(error) for error in initial.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Clean each result of Schema.stream (every operation over WebSocket) before it is sent."""
        self._streamed = True
        if getattr(result, "errors", None):
            result.errors = [self._clean(error) for error in result.errors]
        yield

    def _clean(self, error: GraphQLError) -> GraphQLError:
        if is_request_error(error):
            return self._request_error(error)
        if _coded(error):
            return error
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            refusal = _refusal(original)
            if refusal is not None:
                rendered = self._rendered(error, *refusal)
                module, action = getattr(original, "module", None), getattr(original, "action", None)
                if refusal[0] == "FORBIDDEN" and module and action:
                    rendered.extensions = {**(rendered.extensions or {}), "module": module, "action": action}
                return rendered
        extensions: dict[str, Any] = {"code": INTERNAL_CODE}
        rid = request_id(self.execution_context)
        if rid:
            extensions["requestId"] = rid
        return GraphQLError(
            UNEXPECTED_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )

    def _request_error(self, error: GraphQLError) -> GraphQLError:
        """The client's own document or variables: a code always, French when asked, no schema hints when hidden."""
        locale = getattr(self.execution_context.context, "locale", "en")
        hidden = self.hide_schema_hints and not _coded(error) and not any(p.match(error.message) for p in SCHEMA_FREE)
        return coded_request_error(error, locale, message=VALIDATION_MESSAGE if hidden else None)

    def _rendered(
        self, error: GraphQLError, code: str, key: str, params: dict[str, Any], field: list[str] | None
    ) -> GraphQLError:
        from guichet.i18n import render

        locale = getattr(self.execution_context.context, "locale", "en")
        extensions: dict[str, Any] = {"code": code}
        if field:
            extensions["field"] = field
        return GraphQLError(
            render(key, locale, params),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


class OperationMetrics(SchemaExtension):
    """Count each operation by name, type and outcome in the app's Metrics (web/metrics.py)."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except Exception:
            # Strawberry throws a syntax error into the operation hooks instead of resuming them.
            self._record("invalid")
            raise
        self._record(None)

    def _record(self, outcome: str | None) -> None:
        context = self.execution_context.context
        metrics = getattr(getattr(context, "app", None), "metrics", None)
        if metrics is None:
            return
        try:
            operation_type = self.execution_context.operation_type.value
        except Exception:  # an unparsable document has no operation type
            operation_type = "unknown"
        if outcome is None:
            result = self.execution_context.result
            errors = getattr(result, "errors", None)
            if not errors:
                outcome = "ok"
            elif getattr(result, "data", None) is None and all(e.path is None for e in errors):
                outcome = "invalid"
            else:
                outcome = "error"
        metrics.graphql_operation(self.execution_context.operation_name, operation_type, outcome)
