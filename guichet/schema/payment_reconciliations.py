"""Reconciliation cases: money a provider confirmed after its payment had failed or expired that
paid no invoice (all of it, or what exceeded what the invoices still owed). Finance refunds or
allocates it; Guichet records it so that no confirmed payment is ever lost."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.payments import PaymentReconciliation as CaseRow
from guichet.resolvers.context import Info
from guichet.resolvers.pagination import Page
from guichet.schema.common import Money
from guichet.schema.payments import Payment
from guichet.schema.relay import Connection


@strawberry.enum(description="Why the money could pay no invoice.")
class PaymentReconciliationReason(Enum):
    NOTHING_TO_PAY = "nothing_to_pay"
    MORE_THAN_DUE = "more_than_due"


@strawberry.enum(description="OPEN: to refund or allocate by hand.")
class PaymentReconciliationStatus(Enum):
    OPEN = "OPEN"


@strawberry.type(
    description="Money a provider confirmed after the payment had failed or expired, that no invoice could "
    "take: NOTHING_TO_PAY when its invoices had been paid meanwhile, MORE_THAN_DUE for what exceeded "
    "what they still owed (the rest paid them)."
)
class PaymentReconciliation:
    id: strawberry.ID = strawberry.field(description="The case's ID.")
    payment: Payment = strawberry.field(description="The payment the provider confirmed.")
    provider: str = strawberry.field(description="The webhook that reported it: orange-money, bank-transfer or card.")
    amount_received: Money = strawberry.field(description="What the provider said it received.")
    amount_unapplied: Money = strawberry.field(description="The part no invoice took: to refund or allocate.")
    reason: PaymentReconciliationReason = strawberry.field(description="NOTHING_TO_PAY or MORE_THAN_DUE.")
    status: PaymentReconciliationStatus = strawberry.field(description="OPEN.")
    created_at: datetime = strawberry.field(description="When the provider's confirmation arrived.")

    @classmethod
    def from_row(cls, row: CaseRow, payment: Payment) -> PaymentReconciliation:
        return cls(
            id=strawberry.ID(to_global_id("PaymentReconciliation", row.id)),
            payment=payment,
            provider=row.provider,
            amount_received=Money.of(row.received_minor, row.currency),
            amount_unapplied=Money.of(row.unapplied_minor, row.currency),
            reason=PaymentReconciliationReason(row.reason),
            status=PaymentReconciliationStatus(row.status),
            created_at=row.created_at,
        )


PaymentReconciliationConnection = Connection[PaymentReconciliation]


def reconciliation_connection(page: Page[tuple[CaseRow, PaymentRow]], info: Info) -> Connection[PaymentReconciliation]:
    now, locale = info.context.now(), info.context.locale
    return PaymentReconciliationConnection.from_page(
        page, lambda rows: PaymentReconciliation.from_row(rows[0], Payment.from_row(rows[1], now=now, locale=locale))
    )
