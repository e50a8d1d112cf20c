"""Resolvers of reporting: spending totals (REPORTS READ) within the decided scope."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from guichet.domain.reporting import spending as queries
from guichet.policies.authz import Decision

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


async def spending(
    ctx: Context, *, decision: Decision, issued_from: date, issued_to: date, group_by: list[str]
) -> list[queries.SpendingRow]:
    """Invoiced, paid and due amounts of the invoices in the decided scope, grouped as asked.

    One statement. Raise DomainError(VALIDATION) for a reversed or too long range.
    """
    request = queries.SpendingRequest(
        organisation_id=decision.membership.organisation_id,
        account_ids=decision.scope.account_filter,
        issued_from=issued_from,
        issued_to=issued_to,
        group_by=tuple(dict.fromkeys(group_by)),
    )
    request.validate()
    async with ctx.read() as session:
        result = (await session.execute(queries.spending_statement(request))).all()
    return queries.rows_of(result, request)
