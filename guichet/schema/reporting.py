"""Reporting: spending rows (REPORTS READ)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from guichet.domain.reporting.spending import SpendingRow as SpendingValue
from guichet.schema.billing import BillingAccount, Line
from guichet.schema.common import Money, ServiceType


@strawberry.enum(description="What spending rows are grouped by.")
class SpendingDimension(Enum):
    MONTH = "MONTH"
    SERVICE_TYPE = "SERVICE_TYPE"
    BILLING_ACCOUNT = "BILLING_ACCOUNT"
    LINE = "LINE"


@strawberry.type(description="Invoiced, paid and due amounts of one group of invoices (one currency).")
class SpendingRow:
    month: date | None = strawberry.field(description="First day of the month, when grouped by MONTH.")
    service_type: ServiceType | None = strawberry.field(description="When grouped by SERVICE_TYPE.")
    billing_account: BillingAccount | None = strawberry.field(description="When grouped by BILLING_ACCOUNT.")
    line: Line | None = strawberry.field(
        description="When grouped by LINE; null for invoice lines without a fleet number."
    )
    invoice_count: int = strawberry.field(description="Invoices counted in this row.")
    invoiced: Money = strawberry.field(description="What was invoiced.")
    paid: Money = strawberry.field(description="What of it is paid (never more than invoiced).")
    due: Money = strawberry.field(description="What is left to pay: invoiced minus paid.")

    @classmethod
    def of(cls, row: SpendingValue) -> SpendingRow:
        return cls(
            month=row.month,
            service_type=ServiceType(row.service_type) if row.service_type is not None else None,
            billing_account=BillingAccount.from_row(row.billing_account) if row.billing_account is not None else None,
            line=Line.from_row(row.line) if row.line is not None else None,
            invoice_count=row.invoice_count,
            invoiced=Money.of(row.invoiced_minor, row.currency),
            paid=Money.of(row.paid_minor, row.currency),
            due=Money.of(row.due_minor, row.currency),
        )
