"""Resolvers of support rewards: the accounts, their ledger pages, entries by ID, redeemRewards.

Access: REWARDS READ reads the organisation's rewards (they belong to the organisation, not to
one billing account); an entry's invoice is shown only to who may read it. Redeeming needs
REWARDS WRITE (the field's permission) and INVOICES PAY over the invoice's billing account
(ACCESS.md rule 11): without PAY anywhere it is FORBIDDEN, an invoice outside the PAY scope
answers NOT_FOUND like an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from guichet import events
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id
from guichet.domain.payments.service import Change
from guichet.domain.rewards import queries, rules, services
from guichet.policies.authz import Decision
from guichet.policies.rules import Action, Module
from guichet.resolvers.invoices import InvoiceView, readable_invoices
from guichet.resolvers.pagination import Page, decode_cursor, encode_cursor, page_size

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class RewardAccountView:
    """One currency's figures, and the organisation whose ledger they sum."""

    organisation_id: int
    figures: rules.Figures


async def reward_accounts(ctx: Context, *, organisation_id: int, currency: str) -> list[RewardAccountView]:
    """One account per currency with entries, and one in the organisation's `currency` always (two statements)."""
    async with ctx.read() as session:
        found = await queries.account_figures(session, organisation_id, ctx.clock.today(), currency=currency)
    return [RewardAccountView(organisation_id, figures) for figures in found]


def _after(after: str | None) -> tuple[datetime, int] | None:
    if after is None:
        return None
    values = decode_cursor(after, field=["after"])
    try:
        return datetime.fromisoformat(values[0]), int(values[1])
    except (IndexError, ValueError):
        raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"]) from None


async def ledger_page(
    ctx: Context,
    *,
    organisation_id: int,
    currency: str,
    types: list[str],
    first: int | None,
    after: str | None,
) -> Page[Any]:
    """A page of one currency's entries, newest first, with their running balance (two statements).

    Raise DomainError(VALIDATION) for a bad `first` or cursor.
    """
    size = page_size(first)
    position = _after(after)
    page, count = queries.ledger_page_statement(organisation_id, currency, types=types, after=position, limit=size + 1)
    async with ctx.read() as session:
        rows = (await session.execute(page)).all()
        total = int((await session.execute(count)).scalar_one())
    items = rows[:size]
    return Page(
        items,
        [encode_cursor(r.occurred_at.isoformat(), r.id) for r in items],
        len(rows) > size,
        position is not None,
        total,
    )


async def entries_by_pk(ctx: Context, pks: list[int]) -> dict[int, Any]:
    """Ledger entries the viewer may read (REWARDS READ in their organisation), by id (node / nodes)."""
    if not pks or await ctx.principal() is None:
        return {}
    async with ctx.read() as session:
        rows = await queries.entries_by_pk(session, pks)
    found: dict[int, Any] = {}
    for row in rows:
        scope = await ctx.authz.scope(row.organisation_id, Module.REWARDS, Action.READ)
        if not scope.empty:
            found[row.id] = row
    return found


async def redeem_rewards(
    ctx: Context,
    *,
    decision: Decision | None,
    invoice_id: str,
    amount: Decimal,
    idempotency_key: str,
) -> tuple[Any, InvoiceView | None]:
    """Pay part or all of an invoice with rewards; the REDEEMED entry and the invoice as it is now.

    Raise DomainError(NOT_FOUND) for an ID that is no invoice of the viewer's (or one outside its
    INVOICES PAY scope), DomainError(FORBIDDEN) without INVOICES PAY anywhere in the organisation,
    and the service's DomainErrors.
    """
    pk = decode_id(invoice_id, "Invoice", field=["input", "invoiceId"])
    if decision is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "invoiceId"])
    organisation_id = decision.membership.organisation_id
    pay = await ctx.authz.scope(organisation_id, Module.INVOICES, Action.PAY)
    if pay.empty:
        raise DomainError(ErrorCode.FORBIDDEN, "rewards_need_invoices_pay", field=["input", "invoiceId"])
    await ctx.close()  # the redemption may wait on a twin's lock: hold no read connection meanwhile
    redemption = await services.redeem_rewards(
        ctx.sessionmaker,
        organisation_id=organisation_id,
        invoice_id=pk,
        amount=amount,
        idempotency_key=idempotency_key,
        actor_contact_id=decision.membership.contact_id,
        pay_scope=pay.account_filter,
        now=ctx.now(),
    )
    if not redemption.replayed:
        await events.publish(ctx.app.broker, [Change("invoice", redemption.invoice_id, organisation_id)])
    async with ctx.read() as session:
        (entry,) = await queries.entries_by_pk(session, [redemption.transaction_id])
    invoice = (await readable_invoices(ctx, [redemption.invoice_id])).get(redemption.invoice_id)
    return entry, invoice
