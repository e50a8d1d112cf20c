"""Payment services: pay invoices exactly once, settle from a provider, expire what nobody settled.

Each service owns its transaction(s). Exactly-once comes from the database, never from
process locks (several server processes run):
- the idempotency key row is INSERTed first in the payment's own transaction; a concurrent
  duplicate waits on the unique index, fails, and then answers the first result;
- each invoice is claimed by `UPDATE invoices SET pending_payment_id=:p WHERE id=:i AND
  pending_payment_id IS NULL AND amount_paid_minor < total_minor` (rowcount checked), which also
  works on SQLite where FOR UPDATE does not exist;
- a payment leaves PENDING by `UPDATE payments ... WHERE id=:p AND status='PENDING'`, so two
  deliveries racing to settle it change it once;
- a webhook delivery is recorded under a unique (provider, dedup_key): a replay changes nothing.

A card is never charged inside a database transaction (a failed commit would lose a charge the
provider made; a slow provider would hold row locks): transaction 1 writes the key, the PENDING
payment and its invoice claims and commits; the card is charged under the payment's reference
with no transaction open; transaction 2 records the outcome with the guarded UPDATE above. If
the process dies in between, the payment stays PENDING (it has no expiry, so nothing fails it
blindly) until `reconcile_card_payments` asks the provider what became of that reference.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain import models, pending_payments
from guichet.domain.audit import record_event
from guichet.domain.cards import CardDetails, StoredCard, validate_card
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.gateways.bank_transfer import BankTransferGateway, SandboxBankTransferGateway
from guichet.domain.gateways.card import (
    CardChargeLookup,
    CardGateway,
    ChargeResult,
    SandboxCardGateway,
    charge_outside_transaction,
)
from guichet.domain.gateways.orange_money import OrangeMoneyGateway, PendingRequest, SandboxOrangeMoneyGateway
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.billing_profiles import SavedPaymentMethod
from guichet.domain.models.payments import IdempotencyKey, Payment, PaymentInvoice, WebhookEvent
from guichet.domain.money import Money, MoneyError, parse_amount
from guichet.domain.payments import reconciliations
from guichet.domain.payments.queries import invoice_accounts
from guichet.domain.payments.rules import (
    BANK_TRANSFER_EXPIRY_SECONDS,
    CARD_RECONCILE_AFTER_SECONDS,
    CARD_TWIN_WAIT_SECONDS,
    IDEMPOTENCY_RETENTION_SECONDS,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_INVOICES_PER_PAYMENT,
    METHOD_OF_PROVIDER,
    METHODS,
    allocate,
    clean_reason,
    failure_code_from_reason,
    new_reference,
    normalise_msisdn,
    request_fingerprint,
)
from guichet.domain.payments.webhooks import WebhookEvent as IncomingEvent
from guichet.domain.payments.webhooks import WebhookRejected
from guichet.domain.pending_payments.services import (
    amount_without_invoice,
    cancel_failed_charges_of_paid_invoices,
    covers_pending_payments,
)
from guichet.domain.webhooks import events as webhook_events

log = logging.getLogger("guichet.payments")

OPERATION = "payInvoices"
PENDING_OPERATION = "payPendingPayments"
METHOD_WORDS = {"ORANGE_MONEY": "Orange Money", "BANK_TRANSFER": "bank transfer", "CARD": "card"}


@dataclass(frozen=True)
class Change:
    """Something subscribers may want to hear about once the transaction has committed."""

    kind: str  # "payment" | "invoice" | "order"
    id: int
    organisation_id: int


@dataclass
class Gateways:
    """The providers, one small interface each; sandboxes by default."""

    card: CardGateway = field(default_factory=SandboxCardGateway)
    orange_money: OrangeMoneyGateway = field(default_factory=SandboxOrangeMoneyGateway)
    bank_transfer: BankTransferGateway = field(default_factory=SandboxBankTransferGateway)


@dataclass(frozen=True)
class PayRequest:
    organisation_id: int
    invoice_ids: Sequence[int]
    method: str
    idempotency_key: str
    msisdn: str | None = None
    card: CardDetails | None = None
    # payPendingPayments: the items, and per kind the accounts where the payer may PAY it.
    pending_payment_ids: Sequence[int] = ()
    pending_scopes: Mapping[str, frozenset[int] | None] = field(default_factory=dict)
    # A saved card of the paid items' billing account, instead of `card`.
    saved_payment_method_id: int | None = None

    @property
    def operation(self) -> str:
        return PENDING_OPERATION if self.pending_payment_ids else OPERATION


@dataclass(frozen=True)
class PayResult:
    payment_id: int
    replayed: bool
    changes: list[Change]


@dataclass(frozen=True)
class WebhookResult:
    payment_id: int | None
    replayed: bool
    applied: bool
    changes: list[Change]


@dataclass(frozen=True)
class _Prepared:
    """A payment committed PENDING with its invoices claimed (transaction 1)."""

    payment_id: int
    reference: str
    amount: Money
    changes: list[Change]


@dataclass
class CardReconciliation:
    """What `reconcile_card_payments` did: payments settled, and references still awaiting the provider."""

    settled: int = 0
    awaiting: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


class _KeyTaken(Exception):
    """The idempotency key exists (committed by an earlier or concurrent request)."""


class _Replay(Exception):
    """This webhook event was already received."""


class PaymentStateError(RuntimeError):
    """An invariant the guarded updates protect did not hold; the transaction is rolled back."""


async def pay_invoices(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    request: PayRequest,
    payer_contact_id: int,
    pay_scope: frozenset[int] | None,
    gateways: Gateways,
    secret: str,
    now: datetime,
    expiry_seconds: int,
    bank_transfer_expiry_seconds: int = BANK_TRANSFER_EXPIRY_SECONDS,
) -> PayResult:
    """Pay invoices of one organisation and one currency with one method, exactly once per key.

    `pay_scope` is the billing accounts where the payer may PAY (None: all of them). Raise
    DomainError: VALIDATION (key, ids, msisdn, card missing, mixed currencies), NOT_FOUND (an
    invoice unknown, foreign or out of scope), INVOICE_NOT_PAYABLE (paid, or a payment pending:
    also when a concurrent payment won the claim), IDEMPOTENCY_KEY_REUSED (same key, other
    input), CARD_INVALID / CARD_BRAND_NOT_ACCEPTED. A card is charged at once,
    after the PENDING payment is committed and outside any transaction (SUCCEEDED or FAILED, both
    recorded); when the provider's answer is unknown (it raised) the payment is returned PENDING
    and the expiry job reconciles it. Orange Money and bank transfer stay PENDING until their
    webhook, or until they expire: Orange Money after `expiry_seconds` (the wallet prompt times
    out within minutes), a bank transfer after `bank_transfer_expiry_seconds` (wires take days).
    A twin of a card payment still being charged waits for its outcome (CARD_TWIN_WAIT_SECONDS).
    """
    key = request.idempotency_key
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise DomainError(ErrorCode.VALIDATION, "idempotency_key_invalid", field=["input", "idempotencyKey"])
    if request.pending_payment_ids:
        if len(request.pending_payment_ids) > MAX_INVOICES_PER_PAYMENT:
            raise DomainError(
                ErrorCode.VALIDATION,
                "invoice_ids_too_many",
                field=["input", "pendingPaymentIds"],
                params={"max": MAX_INVOICES_PER_PAYMENT},
            )
        if len(set(request.pending_payment_ids)) != len(request.pending_payment_ids):
            raise DomainError(
                ErrorCode.VALIDATION, "pending_payment_ids_repeated", field=["input", "pendingPaymentIds"]
            )
    elif not request.invoice_ids:
        raise DomainError(ErrorCode.VALIDATION, "invoice_ids_required", field=["input", "invoiceIds"])
    if len(request.invoice_ids) > MAX_INVOICES_PER_PAYMENT:
        raise DomainError(
            ErrorCode.VALIDATION,
            "invoice_ids_too_many",
            field=["input", "invoiceIds"],
            params={"max": MAX_INVOICES_PER_PAYMENT},
        )
    if len(set(request.invoice_ids)) != len(request.invoice_ids):
        raise DomainError(ErrorCode.VALIDATION, "invoice_ids_repeated", field=["input", "invoiceIds"])
    if request.method not in METHODS:
        raise DomainError(ErrorCode.VALIDATION, field=["input", "method"])
    msisdn: str | None = None
    card: StoredCard | None = None
    saved_account_id: int | None = None
    if request.saved_payment_method_id is not None and request.method != "CARD":
        raise DomainError(ErrorCode.VALIDATION, "saved_method_needs_card", field=["input", "savedPaymentMethodId"])
    if request.method == "ORANGE_MONEY":
        msisdn = normalise_msisdn(request.msisdn, field=["input", "msisdn"])
    elif request.method == "CARD" and request.saved_payment_method_id is not None:
        card, saved_account_id = await _saved_card(sessionmaker, request, now)
    elif request.method == "CARD":
        if request.card is None:
            raise DomainError(ErrorCode.VALIDATION, "card_required", field=["input", "card"])
        card = validate_card(request.card, today=now.date(), field=["input", "card"])
    fingerprint = request_fingerprint(
        secret,
        request.operation,
        {
            "organisation": request.organisation_id,
            "invoices": sorted(request.invoice_ids),
            "pending": sorted(request.pending_payment_ids),
            "method": request.method,
            "msisdn": msisdn,
            "saved": request.saved_payment_method_id,
            "card": None
            if request.card is None
            else [
                request.card.number.replace(" ", ""),
                request.card.exp_month,
                request.card.exp_year,
                request.card.cvc,
            ],
        },
    )
    for _attempt in range(3):
        try:
            prepared = await _pay_once(
                sessionmaker,
                request=request,
                payer_contact_id=payer_contact_id,
                pay_scope=pay_scope,
                gateways=gateways,
                fingerprint=fingerprint,
                msisdn=msisdn,
                card=card,
                now=now,
                expiry_seconds=expiry_seconds,
                bank_transfer_expiry_seconds=bank_transfer_expiry_seconds,
                saved_account_id=saved_account_id,
            )
        except _KeyTaken:
            replay = await _replay(sessionmaker, payer_contact_id, key, fingerprint, now, request.operation)
            if replay is not None:
                return replay
            # The key was freed meanwhile (the first attempt failed, or the key outlived 24 h).
            continue
        changes = prepared.changes
        if request.method == "CARD":
            assert card is not None
            result = await charge_outside_transaction(
                gateways.card, card, prepared.amount, reference=prepared.reference
            )
            if result is not None:
                try:
                    async with sessionmaker() as session, session.begin():
                        changes = changes + await settle_card_payment(session, prepared.payment_id, result, now)
                except Exception:
                    log.error("card payment %s charged but not recorded: left PENDING to reconcile", prepared.reference)
                    raise
        return PayResult(prepared.payment_id, False, _unique(changes))
    raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, "idempotency_key_in_use", field=["input", "idempotencyKey"])


async def _pay_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    request: PayRequest,
    payer_contact_id: int,
    pay_scope: frozenset[int] | None,
    gateways: Gateways,
    fingerprint: str,
    msisdn: str | None,
    card: StoredCard | None,
    now: datetime,
    expiry_seconds: int,
    bank_transfer_expiry_seconds: int,
    saved_account_id: int | None = None,
) -> _Prepared:
    """Transaction 1: claim the key and the invoices, write the PENDING payment, and commit."""
    changes: list[Change] = []
    async with sessionmaker() as session, session.begin():
        # First write of the transaction: a concurrent twin waits here until we commit.
        claim = IdempotencyKey(
            organisation_id=request.organisation_id,
            contact_id=payer_contact_id,
            key=request.idempotency_key,
            operation=request.operation,
            request_hash=fingerprint,
            created_at=now,
        )
        session.add(claim)
        try:
            await session.flush()
        except IntegrityError:
            raise _KeyTaken() from None

        claimed_items: pending_payments.services.Claimed | None = None
        invoice_ids = list(request.invoice_ids)
        if request.pending_payment_ids:
            claimed_items = await pending_payments.claim_for_payment(
                session,
                organisation_id=request.organisation_id,
                pending_payment_ids=request.pending_payment_ids,
                scopes=dict(request.pending_scopes),
                payment_id=None,
                field=["input", "pendingPaymentIds"],
                now=now,
            )
            invoice_ids = claimed_items.invoice_ids
        changes += await _expire_stale(session, invoice_ids, now)
        rows = (
            (
                await session.execute(
                    select(models.Invoice)
                    .where(
                        models.Invoice.id.in_(invoice_ids),
                        models.Invoice.organisation_id == request.organisation_id,
                    )
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        by_id = {row.id: row for row in rows}
        # An item's invoice refused below is reported on the item (its position in the input).
        if claimed_items is None:
            position = {invoice_id: index for index, invoice_id in enumerate(invoice_ids)}
            invoice_field = ["input", "invoiceIds"]
            not_payable = ErrorCode.INVOICE_NOT_PAYABLE
        else:
            order = list(request.pending_payment_ids)
            position = {i.invoice_id: order.index(i.id) for i in claimed_items.items if i.invoice_id is not None}
            invoice_field = ["input", "pendingPaymentIds"]
            not_payable = ErrorCode.PENDING_PAYMENT_NOT_PAYABLE
        for invoice_id in invoice_ids:
            invoice = by_id.get(invoice_id)
            scoped_out = claimed_items is None and pay_scope is not None
            if invoice is None or (scoped_out and invoice.billing_account_id not in pay_scope):  # type: ignore[operator]
                raise DomainError(ErrorCode.NOT_FOUND, field=[*invoice_field, str(position[invoice_id])])
        currencies = {row.currency for row in rows} | {
            i.currency for i in (claimed_items.items if claimed_items else [])
        }
        if len(currencies) != 1:
            if claimed_items is not None:
                raise DomainError(ErrorCode.CURRENCY_MISMATCH, field=invoice_field)
            raise DomainError(ErrorCode.VALIDATION, "payment_mixed_currencies", field=invoice_field)
        for invoice_id in invoice_ids:
            invoice = by_id[invoice_id]
            if invoice.amount_paid_minor >= invoice.total_minor or invoice.pending_payment_id is not None:
                raise DomainError(not_payable, field=[*invoice_field, str(position[invoice_id])])
        accounts = {row.billing_account_id for row in rows} | {
            i.billing_account_id for i in (claimed_items.items if claimed_items else [])
        }
        if saved_account_id is not None and accounts != {saved_account_id}:
            # A saved method pays its own account's items only.
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "savedPaymentMethodId"])
        currency = currencies.pop()
        without_invoice = sum(
            i.amount_minor for i in (claimed_items.items if claimed_items else []) if i.invoice_id is None
        )
        amount = Money(sum(row.total_minor - row.amount_paid_minor for row in rows) + without_invoice, currency)

        payment = Payment(
            organisation_id=request.organisation_id,
            payer_contact_id=payer_contact_id,
            reference=new_reference(),
            method=request.method,
            status="PENDING",
            currency=currency,
            amount_minor=amount.minor,
            received_minor=0,
            msisdn=msisdn,
            card_brand=card.brand if card else None,
            card_last4=card.last4 if card else None,
            card_exp_month=card.exp_month if card else None,
            card_exp_year=card.exp_year if card else None,
            created_at=now,
            updated_at=now,
        )
        session.add(payment)
        await session.flush()

        # Claim in id order so that two payments over the same invoices never deadlock.
        for invoice in sorted(rows, key=lambda r: r.id):
            claimed = await session.execute(
                update(models.Invoice)
                .where(
                    models.Invoice.id == invoice.id,
                    models.Invoice.pending_payment_id.is_(None),
                    models.Invoice.amount_paid_minor < models.Invoice.total_minor,
                    # Still what was read: a redemption of rewards in between changes what is due.
                    models.Invoice.amount_paid_minor == invoice.amount_paid_minor,
                )
                .values(pending_payment_id=payment.id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError(not_payable, field=[*invoice_field, str(position[invoice.id])])
            session.add(
                PaymentInvoice(
                    payment_id=payment.id,
                    invoice_id=invoice.id,
                    organisation_id=request.organisation_id,
                    requested_minor=invoice.total_minor - invoice.amount_paid_minor,
                    amount_minor=0,
                )
            )
        if claimed_items is not None:
            await pending_payments.claim_for_payment(
                session,
                organisation_id=request.organisation_id,
                pending_payment_ids=request.pending_payment_ids,
                scopes=dict(request.pending_scopes),
                payment_id=payment.id,
                field=["input", "pendingPaymentIds"],
                now=now,
            )
        claim.payment_id = payment.id

        pending: PendingRequest | None = None
        if request.method == "ORANGE_MONEY":
            assert msisdn is not None
            pending = await gateways.orange_money.request_payment(msisdn, amount, reference=payment.reference)
        elif request.method == "BANK_TRANSFER":
            pending = await gateways.bank_transfer.request_transfer(amount, reference=payment.reference)
        if pending is not None:
            payment.provider_reference = pending.provider_reference
            payment.instructions = {"key": pending.instructions_key, "params": dict(pending.instructions_params)}
            payment.expires_at = now + timedelta(
                seconds=expiry_seconds if request.method == "ORANGE_MONEY" else bank_transfer_expiry_seconds
            )
        await record_event(
            session,
            at=now,
            organisation_id=request.organisation_id,
            actor_contact_id=payer_contact_id,
            action="payment.created",
            summary=f"Payment {payment.reference} of {amount.format('en')} by {METHOD_WORDS[request.method]} "
            f"for {len(rows)} invoice(s)"
            + (f" and {len(request.pending_payment_ids)} pending payment(s)" if claimed_items else ""),
            subject_id=to_global_id("Payment", payment.id),
            data={
                "reference": payment.reference,
                "method": request.method,
                "invoices": sorted(by_id),
                "pending_payments": sorted(request.pending_payment_ids),
            },
        )
        await session.flush()
        changes.append(Change("payment", payment.id, request.organisation_id))
        changes += [Change("invoice", i, request.organisation_id) for i in sorted(by_id)]
        prepared = _Prepared(payment.id, payment.reference, amount, changes)
    return prepared


async def _saved_card(
    sessionmaker: async_sessionmaker[AsyncSession], request: PayRequest, now: datetime
) -> tuple[StoredCard, int]:
    """The saved card named by the request and its account.

    Raise DomainError(NOT_FOUND) for a method unknown, removed, foreign or not a card, and
    DomainError(CARD_INVALID, card_expired) for a card whose expiry has passed.
    """
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(SavedPaymentMethod).where(
                    SavedPaymentMethod.id == request.saved_payment_method_id,
                    SavedPaymentMethod.organisation_id == request.organisation_id,
                    SavedPaymentMethod.removed_at.is_(None),
                    SavedPaymentMethod.type == "CARD",
                )
            )
        ).scalar_one_or_none()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "savedPaymentMethodId"])
    assert row.card_brand and row.card_last4 and row.card_exp_month and row.card_exp_year
    card = StoredCard(row.card_brand, row.card_last4, row.card_exp_month, row.card_exp_year)
    if card.last_valid_day() < now.date():
        raise DomainError(ErrorCode.CARD_INVALID, "card_expired", field=["input", "savedPaymentMethodId"])
    return card, row.billing_account_id


async def settle_card_payment(
    session: AsyncSession, payment_id: int, result: ChargeResult, now: datetime, *, reason: str | None = None
) -> list[Change]:
    """Record a card charge's outcome on a PENDING payment (transaction 2, the job, or a webhook).

    A payment made by regulariseSchedule is settled by the schedules area (its plan changes with
    it); any other pays or frees its invoices. Return no change when the payment had already left
    PENDING (someone else recorded it first; logged when the outcomes disagree).
    """
    values: dict[str, object] = {"updated_at": now}
    if result.provider_reference:
        values["provider_reference"] = result.provider_reference
    # The guarded write comes first: on SQLite the transaction takes the write lock at once.
    moved = await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == "PENDING")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        status = (await session.execute(select(Payment.status).where(Payment.id == payment_id))).scalar_one()
        if status != ("SUCCEEDED" if result.succeeded else "FAILED"):
            log.error("card payment %s is %s but the provider says %s", payment_id, status, result)
        return []
    covers_invoices = (
        await session.execute(select(PaymentInvoice.invoice_id).where(PaymentInvoice.payment_id == payment_id).limit(1))
    ).first()
    if covers_invoices is None:
        from guichet.domain.schedules.services import settle_regularisation_charge

        settled = await settle_regularisation_charge(session, payment_id=payment_id, result=result, now=now)
        if settled is not None:
            return [Change("payment", payment_id, settled)]
    if result.succeeded:
        amount_minor = (
            await session.execute(select(Payment.amount_minor).where(Payment.id == payment_id))
        ).scalar_one()
        return await _succeed(session, payment_id, amount_minor, now)
    return await _fail(session, payment_id, result.failure_code or "card_declined", reason, now)


async def _replay(
    sessionmaker: async_sessionmaker[AsyncSession],
    contact_id: int,
    key: str,
    fingerprint: str,
    now: datetime,
    operation: str = OPERATION,
) -> PayResult | None:
    """The first result for this key, or None when the key is free again (it may be retried)."""
    async with sessionmaker() as session, session.begin():
        row = (
            await session.execute(
                select(IdempotencyKey).where(IdempotencyKey.contact_id == contact_id, IdempotencyKey.key == key)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        if row.created_at <= now - timedelta(seconds=IDEMPOTENCY_RETENTION_SECONDS):
            await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at)
            )
            return None
        if row.operation != operation or row.request_hash != fingerprint or row.payment_id is None:
            raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
        payment_id = row.payment_id
        method, status = (
            await session.execute(select(Payment.method, Payment.status).where(Payment.id == payment_id))
        ).one()
    if method == "CARD" and status == "PENDING":
        await _await_card_outcome(sessionmaker, payment_id)
    return PayResult(payment_id, True, [])


async def _await_card_outcome(sessionmaker: async_sessionmaker[AsyncSession], payment_id: int) -> None:
    """Poll (one short read each) until the first request recorded its card's outcome.

    Give up after CARD_TWIN_WAIT_SECONDS: the twin then answers the payment PENDING, as the
    first request does when the provider's answer is unknown; the expiry job settles it.
    """
    deadline = time.monotonic() + CARD_TWIN_WAIT_SECONDS
    pause = 0.02
    while time.monotonic() < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
        async with sessionmaker() as session:
            status = (await session.execute(select(Payment.status).where(Payment.id == payment_id))).scalar_one()
        if status != "PENDING":
            return


async def _expire_stale(session: AsyncSession, invoice_ids: Sequence[int], now: datetime) -> list[Change]:
    """Fail the expired PENDING payments still holding these invoices, freeing them (expiry on access)."""
    stale = (
        await session.execute(
            select(Payment.id)
            .join(models.Invoice, models.Invoice.pending_payment_id == Payment.id)
            .where(
                models.Invoice.id.in_(invoice_ids),
                Payment.status == "PENDING",
                Payment.expires_at <= now,
            )
            .distinct()
        )
    ).scalars()
    changes: list[Change] = []
    for payment_id in sorted(stale):
        changes += await _fail(session, payment_id, "expired", None, now)
    return changes


async def _succeed(session: AsyncSession, payment_id: int, received_minor: int, now: datetime) -> list[Change]:
    """PENDING -> SUCCEEDED: pay the invoices (oldest due first), audit, e-mail the receipt.

    Return no change when the payment had already left PENDING (a concurrent delivery won).
    Raise PaymentStateError if an invoice no longer belongs to this payment.
    """
    moved = await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == "PENDING")
        .values(status="SUCCEEDED", received_minor=received_minor, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return []
    payment = (
        await session.execute(select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True))
    ).scalar_one()
    covered = (
        await session.execute(
            select(PaymentInvoice.invoice_id, models.Invoice.due_date, PaymentInvoice.requested_minor, models.Invoice)
            .join(models.Invoice, models.Invoice.id == PaymentInvoice.invoice_id)
            # A reopened payment asks nothing of the invoices paid meanwhile (_late_success).
            .where(PaymentInvoice.payment_id == payment_id, PaymentInvoice.requested_minor > 0)
        )
    ).all()
    numbers = {row[0]: row[3].number for row in covered}
    # Items without an invoice (renewals, orders) take their share first; such payments settle in full.
    for_invoices = received_minor - await amount_without_invoice(session, payment_id=payment_id)
    for share in allocate(for_invoices, [(r[0], r[1], r[2]) for r in covered]):
        paid = await session.execute(
            update(models.Invoice)
            .where(
                models.Invoice.id == share.invoice_id,
                models.Invoice.pending_payment_id == payment_id,
                models.Invoice.amount_paid_minor + share.amount_minor <= models.Invoice.total_minor,
            )
            .values(
                amount_paid_minor=models.Invoice.amount_paid_minor + share.amount_minor,
                pending_payment_id=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if paid.rowcount != 1:  # type: ignore[attr-defined]
            raise PaymentStateError(f"invoice {share.invoice_id} is not held by payment {payment_id}")
        await session.execute(
            update(PaymentInvoice)
            .where(PaymentInvoice.payment_id == payment_id, PaymentInvoice.invoice_id == share.invoice_id)
            .values(amount_minor=share.amount_minor)
            .execution_options(synchronize_session=False)
        )
    settled = await pending_payments.settle_for_payment(session, payment_id=payment_id, now=now)
    await cancel_failed_charges_of_paid_invoices(session, invoice_ids=sorted(numbers), now=now)
    received = Money(received_minor, payment.currency)
    asked = Money(payment.amount_minor, payment.currency)
    await record_event(
        session,
        at=now,
        organisation_id=payment.organisation_id,
        actor_contact_id=None,
        action="payment.succeeded",
        summary=f"Payment {payment.reference} succeeded: {received.format('en')} received"
        + ("" if received_minor == payment.amount_minor else f" of {asked.format('en')} asked"),
        subject_id=to_global_id("Payment", payment.id),
        data={"reference": payment.reference, "received_minor": received_minor},
    )
    await _report_success(session, payment, sorted(numbers), now)
    await _email_receipt(session, payment, received, asked, [numbers[i] for i in sorted(numbers)], now)
    # An ORDER item's order was acknowledged by the settlement: its subscribers hear of it too.
    orders = sorted({i.order_id for i in settled if i.kind == "ORDER" and i.order_id is not None})
    return (
        [Change("payment", payment_id, payment.organisation_id)]
        + [Change("invoice", i, payment.organisation_id) for i in sorted(numbers)]
        + [Change("order", o, payment.organisation_id) for o in orders]
    )


async def _report_success(session: AsyncSession, payment: Payment, invoice_ids: list[int], now: datetime) -> None:
    """PAYMENT_SUCCEEDED, and INVOICE_PAID for each invoice the payment left with nothing due."""
    await webhook_events.record_event(
        session,
        type=webhook_events.EventType.PAYMENT_SUCCEEDED,
        organisation_id=payment.organisation_id,
        subject_pk=payment.id,
        billing_account_ids=(await invoice_accounts(session, [payment.id]))[payment.id],
        now=now,
    )
    if not invoice_ids:
        return
    paid = await session.execute(
        select(models.Invoice.id, models.Invoice.billing_account_id)
        .where(models.Invoice.id.in_(invoice_ids), models.Invoice.amount_paid_minor >= models.Invoice.total_minor)
        .order_by(models.Invoice.id)
    )
    for invoice_id, account_id in paid.all():
        await webhook_events.record_event(
            session,
            type=webhook_events.EventType.INVOICE_PAID,
            organisation_id=payment.organisation_id,
            subject_pk=invoice_id,
            billing_account_ids=[account_id],
            now=now,
        )


async def _fail(
    session: AsyncSession, payment_id: int, failure_code: str, reason: str | None, now: datetime
) -> list[Change]:
    """PENDING -> FAILED: free the invoices (they stay payable) and audit; no change if already settled."""
    moved = await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == "PENDING")
        .values(
            status="FAILED",
            failure_code=failure_code,
            failure_reason=clean_reason(reason),
            completed_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return []
    organisation_id, reference = (
        await session.execute(select(Payment.organisation_id, Payment.reference).where(Payment.id == payment_id))
    ).one()
    invoice_ids = sorted(
        (
            await session.execute(select(PaymentInvoice.invoice_id).where(PaymentInvoice.payment_id == payment_id))
        ).scalars()
    )
    await session.execute(
        update(models.Invoice)
        .where(models.Invoice.pending_payment_id == payment_id)
        .values(pending_payment_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await pending_payments.release_for_payment(session, payment_id=payment_id, now=now)
    await webhook_events.record_event(
        session,
        type=webhook_events.EventType.PAYMENT_FAILED,
        organisation_id=organisation_id,
        subject_pk=payment_id,
        billing_account_ids=(await invoice_accounts(session, [payment_id]))[payment_id],
        now=now,
    )
    action = "payment.expired" if failure_code == "expired" else "payment.failed"
    await record_event(
        session,
        at=now,
        organisation_id=organisation_id,
        actor_contact_id=None,
        action=action,
        summary=f"Payment {reference} failed ({failure_code}); its invoices can be paid again",
        subject_id=to_global_id("Payment", payment_id),
        data={"reference": reference, "failure_code": failure_code},
    )
    return [Change("payment", payment_id, organisation_id)] + [
        Change("invoice", i, organisation_id) for i in invoice_ids
    ]


async def _email_receipt(
    session: AsyncSession,
    payment: Payment,
    received: Money,
    asked: Money,
    invoice_numbers: list[str],
    now: datetime,
) -> None:
    """The payer's receipt, in French then English (the person's language is not known)."""
    if payment.payer_contact_id is None:
        return
    email = (
        await session.execute(
            select(models.Person.email)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .where(models.Contact.id == payment.payer_contact_id)
        )
    ).scalar_one_or_none()
    if email is None:
        return
    numbers = ", ".join(invoice_numbers)
    partial_fr = "" if received == asked else f"\nMontant reçu : {received.format('fr')} sur {asked.format('fr')}."
    partial_en = "" if received == asked else f"\nAmount received: {received.format('en')} of {asked.format('en')}."
    body = (
        f"Bonjour,\n\nVotre paiement de {received.format('fr')} a bien été accepté et nous vous en remercions.\n"
        f"Référence : {payment.reference}\nFactures : {numbers}{partial_fr}\n\n"
        f"---\n\nHello,\n\nYour payment of {received.format('en')} has been accepted. Thank you.\n"
        f"Reference: {payment.reference}\nInvoices: {numbers}{partial_en}\n"
    )
    await enqueue_email(
        session,
        to=email,
        subject=f"Reçu de paiement / Payment receipt {payment.reference}",
        body=body,
        now=now,
    )


async def apply_webhook(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    provider: str,
    event: IncomingEvent,
    now: datetime,
    operations_email: str | None = None,
) -> WebhookResult:
    """Apply one verified provider event, once.

    Raise WebhookRejected(404) for an unknown reference and WebhookRejected(400) when the
    provider does not match the payment's method or the amount is not acceptable (not a
    decimal of the currency, zero, more than asked, partial for anything but a bank transfer);
    nothing is changed then. A replay answers replayed=True. A SUCCEEDED event for a payment
    that FAILED or expired is applied (`_late_success`: applied=True, the payment reopened or a
    reconciliation case opened); any other event for a settled payment is recorded and changes
    nothing. A delivery that failed (the database was down: 500) left nothing behind, so the
    provider's retry is applied like a first delivery.
    """
    method = METHOD_OF_PROVIDER[provider]
    try:
        async with sessionmaker() as session, session.begin():
            payment = (
                await session.execute(select(Payment).where(Payment.reference == event.reference).with_for_update())
            ).scalar_one_or_none()
            if payment is None:
                raise WebhookRejected(404, "unknown reference")
            if payment.method != method:
                raise WebhookRejected(400, "provider does not match the payment's method")
            received = payment.amount_minor
            if event.status == "SUCCEEDED" and event.amount is not None:
                try:
                    received = parse_amount(event.amount, payment.currency).minor
                except MoneyError:
                    raise WebhookRejected(400, "amount is not a decimal of the payment's currency") from None
                if not 0 < received <= payment.amount_minor:
                    raise WebhookRejected(400, "amount must be positive and at most the amount asked")
                if received != payment.amount_minor and method != "BANK_TRANSFER":
                    raise WebhookRejected(400, "only bank transfers may settle a partial amount")
                if received != payment.amount_minor and await covers_pending_payments(session, payment_id=payment.id):
                    raise WebhookRejected(400, "a payment of pending payments settles in full only")
            record = WebhookEvent(
                provider=provider,
                dedup_key=event.dedup_key,
                organisation_id=payment.organisation_id,
                payment_id=payment.id,
                status=event.status,
                outcome="ignored",
                received_at=now,
            )
            session.add(record)
            try:
                await session.flush()
            except IntegrityError:
                raise _Replay() from None
            changes: list[Change] = []
            if payment.status == "FAILED" and event.status == "SUCCEEDED":
                # Money moved after the payment failed or expired (a late bank transfer, a provider's
                # retry after an outage): never dropped. Pay what its invoices still owe; a case for
                # the rest.
                await session.flush()
                changes, record.outcome = await _late_success(
                    session,
                    payment,
                    provider=provider,
                    webhook_event_id=record.id,
                    received_minor=received,
                    now=now,
                    operations_email=operations_email,
                )
                await session.flush()
            elif payment.status == "PENDING" and method == "CARD":
                outcome = ChargeResult(
                    event.status == "SUCCEEDED",
                    "",
                    None if event.status == "SUCCEEDED" else failure_code_from_reason(event.reason),
                )
                changes = await settle_card_payment(session, payment.id, outcome, now, reason=event.reason)
            elif payment.status == "PENDING":
                if event.status == "SUCCEEDED":
                    changes = await _succeed(session, payment.id, received, now)
                else:
                    code = failure_code_from_reason(event.reason)
                    changes = await _fail(session, payment.id, code, event.reason, now)
            if changes and record.outcome == "ignored":
                record.outcome = "applied"
                await session.flush()
            applied = record.outcome != "ignored"
            payment_id = payment.id
    except _Replay:
        return WebhookResult(None, True, False, [])
    return WebhookResult(payment_id, False, applied, changes)


async def _late_success(
    session: AsyncSession,
    payment: Payment,
    *,
    provider: str,
    webhook_event_id: int,
    received_minor: int,
    now: datetime,
    operations_email: str | None,
) -> tuple[list[Change], str]:
    """A provider's SUCCEEDED for a FAILED payment: reopen it for what its invoices still owe.

    Each invoice still unpaid and held by no other payment is claimed again (guarded UPDATE, as
    in payInvoices; expired payments still holding one are failed first); the payment moves
    FAILED -> PENDING -> SUCCEEDED (audited payment.reopened, then the usual payment.succeeded
    and receipt) and pays them oldest due first. What no invoice can take opens a reconciliation
    case (reconciliations.open_case). Return the changes and the webhook's outcome: "applied" when
    invoices were paid, "reconciliation" when the money went entirely to a case.
    """
    covered = (
        (
            await session.execute(
                select(PaymentInvoice.invoice_id)
                .where(PaymentInvoice.payment_id == payment.id)
                .order_by(PaymentInvoice.invoice_id)
            )
        )
        .scalars()
        .all()
    )
    changes = await _expire_stale(session, covered, now)
    claimed: dict[int, int] = {}
    for invoice_id in covered:
        taken = await session.execute(
            update(models.Invoice)
            .where(
                models.Invoice.id == invoice_id,
                models.Invoice.pending_payment_id.is_(None),
                models.Invoice.amount_paid_minor < models.Invoice.total_minor,
            )
            .values(pending_payment_id=payment.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            due = (
                await session.execute(
                    select(models.Invoice.total_minor - models.Invoice.amount_paid_minor).where(
                        models.Invoice.id == invoice_id
                    )
                )
            ).scalar_one()
            claimed[invoice_id] = due
    applied_minor = min(received_minor, sum(claimed.values()))
    if applied_minor > 0:
        reopened = await session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == "FAILED")
            .values(status="PENDING", failure_code=None, failure_reason=None, completed_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if reopened.rowcount != 1:  # type: ignore[attr-defined]
            raise PaymentStateError(f"payment {payment.id} left FAILED under its row lock")
        # What each invoice owes now is what this payment is asked for; the others take nothing.
        for invoice_id in covered:
            await session.execute(
                update(PaymentInvoice)
                .where(PaymentInvoice.payment_id == payment.id, PaymentInvoice.invoice_id == invoice_id)
                .values(requested_minor=claimed.get(invoice_id, 0))
                .execution_options(synchronize_session=False)
            )
        await record_event(
            session,
            at=now,
            organisation_id=payment.organisation_id,
            actor_contact_id=None,
            action="payment.reopened",
            summary=f"Payment {payment.reference} reopened: the provider confirmed it after it had "
            f"failed ({payment.failure_code or 'unknown'})",
            subject_id=to_global_id("Payment", payment.id),
            data={"reference": payment.reference, "failure_code": payment.failure_code, "invoices": sorted(claimed)},
        )
        log.warning(
            "payment %s reopened: %s confirmed it after it had failed (%s)",
            payment.reference,
            provider,
            payment.failure_code,
        )
        changes += await _succeed(session, payment.id, applied_minor, now)
        if applied_minor < received_minor:
            await session.execute(
                update(Payment)
                .where(Payment.id == payment.id)
                .values(received_minor=received_minor)
                .execution_options(synchronize_session=False)
            )
    unapplied_minor = received_minor - applied_minor
    if unapplied_minor > 0:
        await reconciliations.open_case(
            session,
            payment=payment,
            provider=provider,
            webhook_event_id=webhook_event_id,
            received_minor=received_minor,
            unapplied_minor=unapplied_minor,
            reason=reconciliations.MORE_THAN_DUE if applied_minor else reconciliations.NOTHING_TO_PAY,
            now=now,
            operations_email=operations_email,
        )
        changes.append(Change("payment", payment.id, payment.organisation_id))
    return _unique(changes), "applied" if applied_minor else "reconciliation"


async def expire_payments(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, limit: int = 1000
) -> list[Change]:
    """Fail the PENDING payments past their expiry (freeing their invoices); purge keys older than 24 h.

    Safe to run twice or on several servers at once: each move is a guarded UPDATE.
    """
    changes: list[Change] = []
    async with sessionmaker() as session, session.begin():
        due = (
            await session.execute(
                select(Payment.id)
                .where(Payment.status == "PENDING", Payment.expires_at <= now)
                .order_by(Payment.id)
                .limit(limit)
            )
        ).scalars()
        for payment_id in list(due):
            changes += await _fail(session, payment_id, "expired", None, now)
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.created_at <= now - timedelta(seconds=IDEMPOTENCY_RETENTION_SECONDS)
            )
        )
    return changes


async def reconcile_card_payments(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    gateway: CardGateway,
    now: datetime,
    limit: int = 100,
) -> CardReconciliation:
    """Settle the card payments left PENDING (their process died between charge and record).

    Only payments older than CARD_RECONCILE_AFTER_SECONDS, so no charge still under way is
    judged. For each, ask the provider by reference with no transaction open: its outcome is
    recorded as the request would have (invoices paid or freed, audit, receipt); "no such
    charge" fails the payment (provider_error) and frees its invoices. A provider that cannot
    look up (no CardChargeLookup) or does not answer leaves the payment PENDING, listed in
    `awaiting` for an operator (a card webhook can still settle it). Safe to run concurrently.
    """
    cutoff = now - timedelta(seconds=CARD_RECONCILE_AFTER_SECONDS)
    async with sessionmaker() as session:
        stale = (
            await session.execute(
                select(Payment.id, Payment.reference)
                .where(Payment.status == "PENDING", Payment.method == "CARD", Payment.created_at <= cutoff)
                .order_by(Payment.id)
                .limit(limit)
            )
        ).all()
    report = CardReconciliation()
    for payment_id, reference in stale:
        if not isinstance(gateway, CardChargeLookup):
            report.awaiting.append(reference)
            continue
        try:
            found = await gateway.lookup(reference)
        except Exception:
            log.warning("card payment %s: the provider did not answer the lookup", reference, exc_info=True)
            report.awaiting.append(reference)
            continue
        reason = None
        if found is None:
            found = ChargeResult(False, "", "provider_error")
            reason = "no charge found at the provider"
        async with sessionmaker() as session, session.begin():
            changes = await settle_card_payment(session, payment_id, found, now, reason=reason)
        if changes:
            report.settled += 1
            report.changes += changes
        log.info("card payment %s reconciled: %s", reference, "succeeded" if found.succeeded else found.failure_code)
    report.changes = _unique(report.changes)
    return report


def _unique(changes: list[Change]) -> list[Change]:
    seen: dict[tuple[str, int], Change] = {}
    for change in changes:
        seen.setdefault((change.kind, change.id), change)
    return list(seen.values())
