"""Invoices with chosen numbers, lines, amounts and dates, straight in the database, and the
scene most invoice tests share (build_world)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.conftest import TEST_NOW
from tests.factories import Member, make_account, make_member, make_organisation

_counter = itertools.count(1)


async def make_full_invoice(
    session: Any,
    account: models.BillingAccount,
    *,
    number: str | None = None,
    lines: list[tuple[str, str | None, int]] | None = None,
    currency: str = "XOF",
    issue: date = date(2026, 10, 1),
    due: date = date(2026, 10, 31),
    paid_minor: int = 0,
    service_type: str = "MOBILE",
    period: tuple[date, date] | None = None,
    pending_payment_id: int | None = None,
) -> models.Invoice:
    """An invoice whose total is the sum of its `lines` (description, fleet number, minor units)."""
    lines = lines if lines is not None else [("Forfait Business 20 Go", None, 25000)]
    invoice = models.Invoice(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        number=number or f"FX-{next(_counter):08d}",
        service_type=service_type,
        issue_date=issue,
        due_date=due,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        currency=currency,
        total_minor=sum(amount for _, _, amount in lines),
        amount_paid_minor=paid_minor,
        pending_payment_id=pending_payment_id,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
    )
    session.add(invoice)
    await session.flush()
    for position, (description, line_number, amount) in enumerate(lines, start=1):
        session.add(
            models.InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                description=description,
                line_number=line_number,
                amount_minor=amount,
            )
        )
    await session.flush()
    return invoice


FLEET_A = "+2250701020304"
FLEET_B = "+2250707070707"


@dataclass
class InvoiceWorld:
    org: models.Organisation
    account_a: models.BillingAccount
    account_b: models.BillingAccount
    invoices: dict[str, models.Invoice]  # by number
    other_org: models.Organisation
    other_account: models.BillingAccount
    other_invoice: models.Invoice
    finance: Member
    finance_a: Member  # FINANCE over account A only
    commercial: Member
    management: Member
    other_finance: Member

    @property
    def org_id(self) -> str:
        return to_global_id("Organisation", self.org.id)

    def invoice_id(self, number: str) -> str:
        return to_global_id("Invoice", self.invoices[number].id)


async def build_world(session: Any) -> InvoiceWorld:
    """Today is 2026-11-25 (TEST_NOW). Issue dates give the default order F5, F4, F3, F2, F1."""
    org = await make_organisation(session, name="ACME Côte d'Ivoire")
    account_a = await make_account(session, org, name="Siège Abidjan")
    account_b = await make_account(session, org, name="Agence Bouaké")
    invoices = {
        "F-2026-0001": await make_full_invoice(
            session,
            account_a,
            number="F-2026-0001",
            service_type="MOBILE",
            issue=date(2026, 9, 1),
            due=date(2026, 10, 1),
            period=(date(2026, 8, 1), date(2026, 8, 31)),
            lines=[("Forfait Business 20 Go", FLEET_A, 20000), ("Hors forfait", FLEET_A, 5000)],
        ),  # OVERDUE
        "F-2026-0002": await make_full_invoice(
            session,
            account_a,
            number="F-2026-0002",
            service_type="FIXED",
            issue=date(2026, 10, 1),
            due=date(2026, 11, 25),
            lines=[("Ligne fixe", "+2252720212223", 25000)],
        ),  # OPEN: due today
        "F-2026-0003": await make_full_invoice(
            session,
            account_a,
            number="F-2026-0003",
            service_type="INTERNET",
            issue=date(2026, 11, 1),
            due=date(2026, 12, 1),
            lines=[("Fibre 100 Mb", None, 40000)],
            paid_minor=40000,
        ),  # PAID
        "F-2026-0004": await make_full_invoice(
            session,
            account_b,
            number="F-2026-0004",
            service_type="MOBILE",
            issue=date(2026, 11, 5),
            due=date(2026, 11, 20),
            lines=[("Forfait Business 50 Go", FLEET_B, 30000)],
            paid_minor=10000,
            pending_payment_id=777,
        ),  # OVERDUE, partly paid, payment pending
        "G-2026-0005": await make_full_invoice(
            session,
            account_b,
            number="G-2026-0005",
            service_type="MOBILE",
            currency="EUR",
            issue=date(2026, 11, 10),
            due=date(2026, 12, 10),
            lines=[("Roaming", None, 12796)],
        ),  # OPEN, in EUR
    }
    other_org = await make_organisation(session, name="Globex")
    other_account = await make_account(session, other_org)
    other_invoice = await make_full_invoice(
        session, other_account, number="F-2026-0099", lines=[("Forfait", FLEET_A, 9900)], issue=date(2026, 11, 2)
    )
    return InvoiceWorld(
        org=org,
        account_a=account_a,
        account_b=account_b,
        invoices=invoices,
        other_org=other_org,
        other_account=other_account,
        other_invoice=other_invoice,
        finance=await make_member(session, org, roles=[("FINANCE", None)]),
        finance_a=await make_member(session, org, roles=[("FINANCE", account_a.id)]),
        commercial=await make_member(session, org, roles=[("COMMERCIAL", None)]),
        management=await make_member(session, org, roles=[("MANAGEMENT", None)]),
        other_finance=await make_member(session, other_org, roles=[("FINANCE", None)]),
    )
