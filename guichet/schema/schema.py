"""Assemble Query, Mutation and Subscription from the areas, with the request-level extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from guichet.execution.executor import FastExecutor
from guichet.schema import (
    api_keys,
    auth,
    billing_profiles,
    cost,
    exports,
    invoices,
    members_mutations,
    organisations,
    payments,
    pending_payments,
    rewards,
    schedules,
    service_requests,
    shop,
    support,
    webhooks,
)
from guichet.schema.arguments import describe_arguments
from guichet.schema.cost import PriceCache, QueryCost, RateLimit
from guichet.schema.extensions import ErrorHygiene, GuichetSchema, OperationMetrics, ParserCacheReturningSyntaxErrors
from guichet.schema.key_gate import ApiKeyGate
from guichet.schema.limits import operation_limits_rule
from guichet.schema.relay import Node
from guichet.schema.text_input import NoNulInStringLiterals, NulInVariables
from guichet.schema.trusted_documents import TrustedDocuments

# The areas' root types, merged in this order (the order of schema.graphql's fields).
QUERY_TYPES: tuple[type, ...] = (organisations.Query, support.Query, service_requests.Query, cost.Query)
MUTATION_TYPES: tuple[type, ...] = (
    auth.Mutation,
    members_mutations.Mutation,
    invoices.Mutation,
    payments.Mutation,
    schedules.Mutation,
    exports.Mutation,
    pending_payments.Mutation,
    rewards.Mutation,
    billing_profiles.Mutation,
    api_keys.Mutation,
    service_requests.Mutation,
    shop.Mutation,
    webhooks.Mutation,
)
SUBSCRIPTION_TYPES: tuple[type, ...] = (
    payments.Subscription,
    service_requests.Subscription,
    exports.Subscription,
    shop.Subscription,
)


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
    max_selections: int = 2000,
    introspection: bool = True,
    max_cost: int = 1000,
    request_timeout: float = 10.0,
    trusted_documents: str = "off",
    extra_extensions: list[Any] | None = None,
    fast_path: bool = True,
) -> strawberry.Schema:
    """The schema with its per-request extensions (factories, never shared instances: SEC-10).

    introspection=False refuses __schema/__type (SEC-12) and rewrites validation messages that
    would name the schema (SEC-14); unexpected errors are always masked and logged (SEC-16).
    fast_path=False leaves every operation to graphql-core's executor (guichet/execution/).
    """
    Query = _merged("Query", QUERY_TYPES, "Entry points for reading.")
    Mutation = _merged("Mutation", MUTATION_TYPES, "Entry points for changing things; each takes one `input`.")
    Subscription = _merged("Subscription", SUBSCRIPTION_TYPES, "Live updates over graphql-transport-ws.")
    # The limits rule class is built once: a fresh class per request would change the
    # ValidationCache key (schema, document, rules) and make every request re-validate (~1.5 ms+).
    # It holds no state; graphql-core instantiates it per validation. It replaces Strawberry's
    # QueryDepthLimiter and MaxAliasesLimiter, which are exponential in fragment spreads (limits.py).
    limit_rules = [
        operation_limits_rule(max_depth=max_depth, max_aliases=max_aliases, max_selections=max_selections),
        NoNulInStringLiterals,
    ]
    prices = PriceCache()  # one per schema: a document is priced once, whatever the request
    extensions: list[Any] = [
        # First: a document id becomes its document before anything parses it.
        lambda: TrustedDocuments(mode=trusted_documents),
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCacheReturningSyntaxErrors(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        NulInVariables,  # after ValidationCache (text_input.py)
        CloseRequestSession,
        # Priced first: an operation over the maximum is refused before anything reads the database.
        lambda: QueryCost(cache=prices, maximum=max_cost),
        ApiKeyGate,
        RateLimit,
        lambda: ErrorHygiene(hide_schema_hints=not introspection),
        OperationMetrics,
        *([DisableIntrospection] if not introspection else []),
        *(extra_extensions or []),
    ]
    built = GuichetSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Node],
        extensions=extensions,
        # "Did you mean" hints name the schema: only while it is public (SEC-14).
        config=StrawberryConfig(disable_field_suggestions=not introspection),
        execution_context_class=FastExecutor if fast_path else None,
    )
    built.request_timeout = request_timeout
    describe_arguments(built._schema)
    return built


schema = build_schema()
