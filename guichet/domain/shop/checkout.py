"""Checkout with payment: place the order, then pay it at once when the buyer may (rule 12).

PAY_NOW by a buyer holding ORDERS PAY (over the order's account) who names a method pays the
order's ORDER pending payment through the payment machinery (pay_invoices), under a key derived
from the checkout's, so a retried checkout never pays twice; the payment's settlement then
acknowledges the order. Without ORDERS PAY the order waits AWAITING_PAYMENT for finance.
The method is checked before the order is placed: a refused card places nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain.cards import CardDetails, validate_card
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.payments import PayRequest, pay_invoices
from guichet.domain.payments.rules import METHODS, normalise_msisdn
from guichet.domain.payments.service import Gateways
from guichet.domain.shop import orders
from guichet.domain.shop.carts import Actor
from guichet.domain.shop.moves import Change


@dataclass(frozen=True)
class PaymentChoice:
    """How a PAY_NOW buyer pays at checkout; `pay_scope` is where it holds ORDERS PAY (None: all)."""

    method: str
    pay_scope: frozenset[int] | None
    msisdn: str | None = None
    card: CardDetails | None = None
    saved_payment_method_id: int | None = None


@dataclass(frozen=True)
class Checkout:
    order_id: int
    organisation_id: int
    payment_id: int | None
    replayed: bool
    changes: list[Change]


def _precheck(choice: PaymentChoice, now: datetime) -> None:
    """Refuse a malformed method before anything is written (the payment would refuse it later)."""
    if choice.method not in METHODS:
        raise DomainError(ErrorCode.VALIDATION, field=["input", "method"])
    if choice.method == "ORANGE_MONEY":
        normalise_msisdn(choice.msisdn, field=["input", "msisdn"])
    elif choice.method == "CARD" and choice.saved_payment_method_id is None:
        if choice.card is None:
            raise DomainError(ErrorCode.VALIDATION, "card_required", field=["input", "card"])
        validate_card(choice.card, today=now.date(), field=["input", "card"])


async def checkout_and_pay(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    actor: Actor,
    request: orders.CheckoutRequest,
    choice: PaymentChoice | None,
    gateways: Gateways,
    secret: str,
    now: datetime,
    expiry_seconds: int,
    bank_transfer_expiry_seconds: int,
) -> Checkout:
    """Place the order (orders.checkout) and, when `choice` is given and reaches the order's
    account, pay its ORDER pending payment at once.

    Raise the refusals of orders.checkout, the method's VALIDATION / CARD_* refusals (nothing
    placed then), and those of pay_invoices for what only the payment can check (the order then
    stays AWAITING_PAYMENT and a retry with the same key pays it).
    """
    if choice is not None and request.payment_terms == "PAY_NOW":
        _precheck(choice, now)

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session, session.begin():
            yield session

    outcome = await orders.checkout(uow, actor=actor, request=request, now=now)
    order = outcome.order
    changes = list(outcome.changes)
    payment_id = None
    pays = (
        choice is not None
        and request.payment_terms == "PAY_NOW"
        and outcome.pending_payment_id is not None
        and (choice.pay_scope is None or order.billing_account_id in choice.pay_scope)
    )
    if pays:
        assert choice is not None and outcome.pending_payment_id is not None
        paid = await pay_invoices(
            sessionmaker,
            request=PayRequest(
                organisation_id=order.organisation_id,
                invoice_ids=[],
                method=choice.method,
                idempotency_key=f"checkout:{request.idempotency_key.strip()}",
                msisdn=choice.msisdn,
                card=choice.card,
                pending_payment_ids=[outcome.pending_payment_id],
                pending_scopes={"ORDER": choice.pay_scope},
                saved_payment_method_id=choice.saved_payment_method_id,
            ),
            payer_contact_id=actor.contact_id,
            pay_scope=None,
            gateways=gateways,
            secret=secret,
            now=now,
            expiry_seconds=expiry_seconds,
            bank_transfer_expiry_seconds=bank_transfer_expiry_seconds,
        )
        payment_id = paid.payment_id
        changes += [Change(c.kind, c.id, c.organisation_id) for c in paid.changes]
        changes.append(Change("order", order.id, order.organisation_id))
    return Checkout(order.id, order.organisation_id, payment_id, outcome.replayed, changes)
