"""Describe every field argument the areas leave undescribed, so the schema documents all of them.

Most arguments are the same few conventions (Relay's `first`/`after`, one `input` per mutation,
global IDs, filters), so their descriptions are written once here, from the same constants the
code enforces (relay.py's page sizes), rather than repeated on some fifty fields. An argument
described where it is declared keeps its own text; a new argument that neither place describes
fails tests/test_schema_file.py.
"""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLNamedType, GraphQLObjectType, GraphQLSchema

from guichet.resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_NODES = 100  # resolvers/nodes.py refuses more IDs than this

# By argument name, for any field.
BY_NAME = {
    "first": f"How many items to return: 1–{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}; more is refused (VALIDATION).",
    "after": "Return the items after this cursor: the `pageInfo.endCursor` of the previous page.",
    "filter": "Only the items meeting every condition given; all of them when absent.",
    "input": "The operation's input; each of its fields is described on its type.",
}
# By "Type.field.argument", where the name alone says too little.
BY_FIELD = {
    "Query.organisation.id": "The organisation's global ID. One the viewer is not a member of answers null, "
    "exactly like an unknown ID.",
    "Query.node.id": "Any object's global ID. An unknown ID, or one out of the viewer's reach, answers null.",
    "Query.nodes.ids": f"Global IDs, at most {MAX_NODES}; each unknown or out-of-reach one answers null in its place.",
    "Query.supportChannels.topic": "Only the channels serving this topic; every channel when absent.",
    "Organisation.invoices.orderBy": "The sort order; default: issue date, newest first (ties by ID).",
    "Organisation.invoiceSummary.filter": "Summarise only the invoices meeting every condition given; "
    "all of those in the viewer's scope when absent.",
    "Organisation.invitations.status": "Only the invitations in this status; all of them when absent.",
    "Organisation.apiKeys.status": "Only the keys in one of these statuses; all of them when absent.",
    "Contract.billingScheduleUrl.format": "CSV (default) or PDF.",
    "RewardAccount.transactions.type": "Only the entries of these types; every entry when absent.",
    "Organisation.billingScheduleUrl.format": "CSV (default) or PDF.",
    "Subscription.paymentUpdated.paymentId": "The payment's global ID (from `payInvoices`); "
    "its current state comes first, then every change.",
    "Subscription.invoiceUpdated.organisationId": "The organisation's global ID; only invoices in the "
    "viewer's scope are reported.",
    "Subscription.exportUpdated.exportId": "The export's global ID (from `startExport`); its current state "
    "comes first, then every change until it is final.",
}


def describe_arguments(schema: GraphQLSchema) -> None:
    """Fill the description of every undescribed argument (in place, once, when the schema is built)."""
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not _has_fields(named):
            continue
        for field_name, field in named.fields.items():  # type: ignore[attr-defined]
            for argument_name, argument in field.args.items():
                if not argument.description:
                    argument.description = BY_FIELD.get(f"{type_name}.{field_name}.{argument_name}") or BY_NAME.get(
                        argument_name
                    )


def _has_fields(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
