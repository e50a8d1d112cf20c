"""Organisation.paymentReconciliations: PAYMENTS READ, limited like payments to the reader's accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guichet.domain.models.payments import PaymentReconciliation as CaseRow
from guichet.domain.payments.reconciliations import cases_statement
from guichet.resolvers.context import Info
from guichet.resolvers.graphql_errors import domain_to_graphql
from guichet.resolvers.pagination import paginate_by_id
from guichet.resolvers.payments import payment_from_row
from guichet.schema.relay import Connection

if TYPE_CHECKING:
    from guichet.schema.organisations import Organisation
    from guichet.schema.payment_reconciliations import PaymentReconciliation


async def organisation_payment_reconciliations(
    info: Info, organisation: Organisation, *, first: int | None, after: str | None
) -> Connection[PaymentReconciliation]:
    """The organisation's reconciliation cases, newest first, each with its payment (one query a page)."""
    from guichet.schema.payment_reconciliations import PaymentReconciliation

    ctx = info.context
    with domain_to_graphql(info):
        await ctx.authz.require(organisation.pk, "PAYMENTS", "READ")
        scope = await ctx.authz.scope(organisation.pk, "PAYMENTS", "READ")
        statement = cases_statement(organisation.pk, None if scope.all_accounts else scope.account_ids)
        now, locale = ctx.now(), ctx.locale

        def to_node(case: CaseRow, payment: Any) -> PaymentReconciliation:
            return PaymentReconciliation.from_row(case, payment_from_row(payment, now=now, locale=locale))

        async with ctx.read() as session:
            return await paginate_by_id(
                session, statement, CaseRow.id, first=first, after=after, to_node=to_node, descending=True
            )
