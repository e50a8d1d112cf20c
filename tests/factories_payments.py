"""Test data and helpers for payments: a finance contact with invoices, signed webhooks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import IdempotencyKey, Payment, PaymentInvoice, WebhookEvent
from guichet.domain.payments.webhooks import signature_header
from tests.factories import Member, make_account, make_invoice, make_member, make_organisation

WEBHOOK_SECRET = "test-webhook-secret"  # tests/conftest.py settings

PAY = """
mutation($input: PayInvoicesInput!) {
  payInvoices(input: $input) {
    payment {
      id reference method status instructions createdAt completedAt
      amount { amount currency } amountReceived { amount currency }
      failure { code message support { kind value } }
    }
    errors { code message field }
  }
}
"""

PAYMENT = """
query($id: ID!) {
  node(id: $id) {
    ... on Payment {
      id reference method status instructions completedAt
      amount { amount currency } amountReceived { amount currency }
      failure { code message support { kind label value } }
    }
  }
}
"""


@dataclass
class PayWorld:
    org: models.Organisation
    account: models.BillingAccount
    finance: Member
    invoices: list[models.Invoice]

    @property
    def org_id(self) -> str:
        return to_global_id("Organisation", self.org.id)

    def invoice_ids(self, *indexes: int) -> list[str]:
        chosen = indexes or tuple(range(len(self.invoices)))
        return [to_global_id("Invoice", self.invoices[i].id) for i in chosen]


async def make_pay_world(
    session: Any,
    *,
    currency: str = "XOF",
    totals: tuple[int, ...] = (25000, 30000),
    roles: list[tuple[str, int | None]] | None = None,
) -> PayWorld:
    """ACME-like: one account and overdue invoices, due a day apart from 15 Oct 2026 (oldest first)."""
    org = await make_organisation(session, currency=currency)
    account = await make_account(session, org)
    finance = await make_member(session, org, roles=roles or [("FINANCE", None)])
    invoices = []
    for index, total in enumerate(totals):
        invoices.append(
            await make_invoice(
                session,
                account,
                total_minor=total,
                currency=currency,
                issue=date(2026, 9, 1) + timedelta(days=index),
                due=date(2026, 10, 15) + timedelta(days=index),
            )
        )
    return PayWorld(org, account, finance, invoices)


def pay_input(world: PayWorld, *, key: str = "key-1", method: str = "ORANGE_MONEY", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisationId": world.org_id,
        "invoiceIds": world.invoice_ids(),
        "method": method,
        "idempotencyKey": key,
    }
    if method == "ORANGE_MONEY":
        data["msisdn"] = "+225 07 01 02 03 04"
    data.update(extra)
    return {"input": data}


def signed_request(
    payload: dict[str, Any] | bytes, *, at: datetime, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {
        "Guichet-Signature": signature_header(body, secret, int(at.timestamp())),
        "Content-Type": "application/json",
    }


async def send_webhook(
    http: httpx.AsyncClient,
    provider: str,
    payload: dict[str, Any] | bytes,
    *,
    at: datetime,
    secret: str = WEBHOOK_SECRET,
) -> httpx.Response:
    body, headers = signed_request(payload, at=at, secret=secret)
    return await http.post(f"/webhooks/payments/{provider}", content=body, headers=headers)


@dataclass(frozen=True)
class Snapshot:
    """Everything a payment can change, to assert "nothing changed"."""

    invoices: tuple[tuple[int, int, int | None], ...]
    payments: tuple[tuple[int, str, int], ...]
    links: int
    keys: int
    webhook_events: int
    emails: int
    audit: int


async def snapshot(sessionmaker: Any) -> Snapshot:
    async with sessionmaker() as session:
        invoices = (
            await session.execute(
                select(models.Invoice.id, models.Invoice.amount_paid_minor, models.Invoice.pending_payment_id).order_by(
                    models.Invoice.id
                )
            )
        ).all()
        payments = (
            await session.execute(select(Payment.id, Payment.status, Payment.received_minor).order_by(Payment.id))
        ).all()

        async def count(model: Any) -> int:
            return (await session.execute(select(func.count()).select_from(model))).scalar_one()

        return Snapshot(
            invoices=tuple(tuple(r) for r in invoices),
            payments=tuple(tuple(r) for r in payments),
            links=await count(PaymentInvoice),
            keys=await count(IdempotencyKey),
            webhook_events=await count(WebhookEvent),
            emails=await count(models.OutboxEmail),
            audit=await count(models.AuditEvent),
        )
