"""Assemble Query, Mutation and Subscription from the areas, with the request-level extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from guichet.schema import auth, invoices, members_mutations, organisations, payments, schedules, support
from guichet.schema.extensions import ErrorHygiene, GuichetSchema, OperationMetrics
from guichet.schema.relay import Node

# The areas' root types, merged in this order (the order of schema.graphql's fields).
QUERY_TYPES: tuple[type, ...] = (organisations.Query, support.Query)
MUTATION_TYPES: tuple[type, ...] = (
    auth.Mutation,
    members_mutations.Mutation,
    invoices.Mutation,
    payments.Mutation,
    schedules.Mutation,
)
SUBSCRIPTION_TYPES: tuple[type, ...] = (payments.Subscription,)


class CloseRequestSession(SchemaExtension):
    """Return the request's read session to the pool when the operation ends."""

    async def on_operation(self):  # type: ignore[no-untyped-def, override]
        yield
        context = self.execution_context.context
        close = getattr(context, "close", None)
        if close is not None:
            await close()


def _merged(name: str, types: tuple[type, ...], description: str) -> type:
    merged = merge_types(name, types)
    merged.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return merged


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 15,
    max_tokens: int = 1000,
    introspection: bool = True,
    extra_extensions: list[Any] | None = None,
) -> strawberry.Schema:
    """The schema with its per-request extensions (factories, never shared instances: SEC-10).

    introspection=False refuses __schema/__type (SEC-12) and rewrites validation messages that
    would name the schema (SEC-14); unexpected errors are always masked and logged (SEC-16).
    """
    Query = _merged("Query", QUERY_TYPES, "Entry points for reading.")
    Mutation = _merged("Mutation", MUTATION_TYPES, "Entry points for changing things; each takes one `input`.")
    Subscription = _merged("Subscription", SUBSCRIPTION_TYPES, "Live updates over graphql-transport-ws.")
    # The limiters' rule classes are built once: a fresh class per request would change the
    # ValidationCache key (schema, document, rules) and make every request re-validate (~1.5 ms+).
    # Rule classes hold no state; graphql-core instantiates them per validation.
    limit_rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        CloseRequestSession,
        lambda: ErrorHygiene(hide_schema_hints=not introspection),
        OperationMetrics,
        *([DisableIntrospection] if not introspection else []),
        *(extra_extensions or []),
    ]
    return GuichetSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Node],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
    )


schema = build_schema()
