"""Organisation.paymentReconciliations: PAYMENTS READ, limited like payments to the reader's accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.payments import PaymentReconciliation as CaseRow
from guichet.domain.payments.reconciliations import cases_statement
from guichet.policies.authz import Decision
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


async def list_reconciliations(
    ctx: Context, *, organisation_id: int, decision: Decision, first: int | None, after: str | None
) -> Page[tuple[CaseRow, PaymentRow]]:
    """The organisation's reconciliation cases, newest first, each with its payment (one query a page).

    Raise DomainError(VALIDATION) for a bad `first` or cursor.
    """
    statement = cases_statement(organisation_id, decision.scope.account_filter)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, CaseRow.id, first=first, after=after, descending=True)
