"""Refuse the NUL character (U+0000) in every string a client sends, literal or variable.

PostgreSQL text cannot hold NUL: asyncpg raises on it, so a NUL in any argument (an e-mail on the
anonymous `login`, a search term...) surfaced as "Unexpected error." with a traceback in the log.
No Guichet value may contain it, so it is refused before anything runs, as a client error with
`extensions.code` BAD_USER_INPUT, on HTTP and WebSocket alike:

- in the document (`"a\\u0000b"`): a validation rule, cached with the document;
- in variables: NulInVariables, a schema extension that runs after validation passed (it must come
  after ValidationCache in the extension list: that one sets the validation errors it looks at).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

BAD_USER_INPUT = "BAD_USER_INPUT"
NUL_IN_LITERAL = "Text may not contain the NUL character (U+0000)."
NUL_IN_VARIABLE = "Variable '${name}' may not contain the NUL character (U+0000)."


class NoNulInStringLiterals(ValidationRule):
    """Report each string literal of the document that contains NUL."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(NUL_IN_LITERAL, node, extensions={"code": BAD_USER_INPUT}))


class NulInVariables(SchemaExtension):
    """Refuse the operation when a variable holds NUL anywhere (keys included)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            errors = [
                GraphQLError(NUL_IN_VARIABLE.format(name=name), extensions={"code": BAD_USER_INPUT})
                for name, value in (context.variables or {}).items()
                if "\x00" in name or _holds_nul(value)
            ]
            if errors:
                # Seen by Strawberry as validation errors: the operation does not run.
                context.pre_execution_errors = errors
        yield


def _holds_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds NUL in any string, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
