"""Error hygiene and operation metrics for every GraphQL operation (SEC-14, SEC-16, SEC-17).

- Expected failures keep their message: GraphQL errors carrying `extensions.code` (FORBIDDEN,
  UNAUTHENTICATED, VALIDATION, ...), and DomainError / NotAuthenticated / AccessDenied that escaped a
  resolver (rendered in the request's language with their code, as domain_to_graphql would).
- Anything else raised while resolving is a bug: it is logged with the request id (by
  GuichetSchema.process_errors, before masking) and the client sees only "Unexpected error." with
  extensions {code: INTERNAL_SERVER_ERROR, requestId}.
- Parse and validation errors (and variable coercion errors) are the client's own mistakes and pass
  as they are while introspection is on. With introspection off they would rebuild the hidden schema
  (clairvoyance reads type and field names and "Did you mean" hints out of them), so every message
  that is not known to be schema-free becomes "Query validation error.".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from guichet.domain.errors import DomainError

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


class GuichetSchema(strawberry.Schema):
    """Strawberry's schema with logging that keeps expected refusals out of the error log."""

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
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)) and result.errors:
            result.errors = [self._clean(error) for error in result.errors]
        elif initial := getattr(result, "initial_result", None):
            if getattr(initial, "errors", None):
                initial.errors = [self._clean(error) for error in initial.errors]

    def _clean(self, error: GraphQLError) -> GraphQLError:
        if _coded(error):
            return error
        if is_request_error(error):
            if self.hide_schema_hints and not any(p.match(error.message) for p in SCHEMA_FREE):
                return GraphQLError(
                    VALIDATION_MESSAGE,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    extensions={"code": VALIDATION_CODE},
                )
            return error
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            refusal = _refusal(original)
            if refusal is not None:
                return self._rendered(error, *refusal)
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
