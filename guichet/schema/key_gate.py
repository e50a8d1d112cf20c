"""What an API key may call at all (ACCESS.md rule 14), decided once per operation before execution.

A key reads (each field's declared permission then decides, as for a contact) and calls no
mutation but those in KEY_MUTATIONS, on its own objects; fields in SESSION_ONLY_FIELDS (`viewer`)
and every other mutation (sessions, passwords, members...) answer it FORBIDDEN, and so do
subscriptions. A bearer shaped as a key (`gk_…`) that is unknown, revoked or expired, or an old
secret past its grace period, answers a top-level UNAUTHENTICATED for the whole operation.
The sets are data: an area serving a mutation to keys adds its name here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from guichet.domain.trusted_documents import document_id
from guichet.i18n import render

# Mutations a key may call (each still checks its own permission and that the object is the key's).
KEY_MUTATIONS: frozenset[str] = frozenset({"startExport", "cancelExport"})
# Query fields that only mean something for a signed-in person.
SESSION_ONLY_FIELDS: frozenset[str] = frozenset({"viewer"})


def root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> Iterable[str]:
    """The root field names an operation selects, through fragments (each fragment read once)."""
    seen: set[str] = set()
    pending = [selection_set]
    while pending:
        current = pending.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)


def selected_operation(document: object, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in getattr(document, "definitions", ()) if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations if o.name and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def refused_for_key(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    """Whether an API key may not run this operation at all."""
    kind = operation.operation.value
    if kind == "subscription":
        return True
    names = set(root_fields(operation.selection_set, fragments)) - {"__typename"}
    if kind == "mutation":
        return not names <= KEY_MUTATIONS
    return bool(names & SESSION_ONLY_FIELDS)


class ApiKeyGate(SchemaExtension):
    """Refuse, before execution, what no API key may call (see the module docstring)."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        if getattr(context, "presents_api_key", False):
            error = await self._refusal(context)
            if error is not None:
                self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    async def _refusal(self, context: object) -> GraphQLError | None:
        locale = getattr(context, "locale", "en")
        key = await context.api_key()  # type: ignore[attr-defined]
        if key is None:
            return GraphQLError(render("UNAUTHENTICATED", locale), extensions={"code": "UNAUTHENTICATED"})
        document = self.execution_context.graphql_document
        operation = selected_operation(document, self.execution_context.operation_name)
        if operation is None:
            return None  # graphql-core reports the unknown operation itself
        fragments = {
            d.name.value: d for d in getattr(document, "definitions", ()) if isinstance(d, FragmentDefinitionNode)
        }
        if refused_for_key(operation, fragments):
            return GraphQLError(render("api_key_forbidden", locale), extensions={"code": "FORBIDDEN"})
        allowed = key.allowed_document_ids
        if allowed is not None and document_id(self.execution_context.query or "") not in allowed:
            return GraphQLError(
                render("OPERATION_NOT_ALLOWLISTED", locale), extensions={"code": "OPERATION_NOT_ALLOWLISTED"}
            )
        return None
