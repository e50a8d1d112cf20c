"""Resolvers of the invoices area: the page, the summary, invoices by id, the e-mailed list.

Access: INVOICES READ lists (the billing accounts its scope reaches), INVOICES EXPORT mints
download links and e-mails lists. An invoice outside the viewer's scope, or of another
organisation, is never read: node/nodes answer null for it, filters never match it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guichet import events
from guichet.db import fetch_all, fetch_by_ids
from guichet.domain.errors import DomainErrors
from guichet.domain.ids import pk_of
from guichet.domain.invoices import export as export_service
from guichet.domain.invoices import queries
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.policies.authz import AccessDenied, AccountScope, Decision, intersection
from guichet.policies.rules import Action, Module
from guichet.resolvers import payments
from guichet.resolvers.pagination import LazyCursors, Page, decode_cursor, encode_cursor, page_size

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class InvoiceView:
    """An invoice row (queries.PAGE_COLUMNS, status computed) the viewer may read."""

    row: Any
    can_export: bool


@dataclass(frozen=True)
class InvoicePage:
    """A page of invoices with what the selection asked to read along with it.

    `with_accounts`: the rows carry account_number and account_name; `lines` and `payments`
    (by invoice id) are None unless prefetched.
    """

    page: Page[InvoiceView]
    with_accounts: bool
    lines: dict[int, list[Any]] | None
    payments: dict[int, list[PaymentRow]] | None


def _validated(criteria: queries.InvoiceCriteria) -> queries.InvoiceCriteria:
    """Raise the first DomainError of an invalid filter (a query field reports one top-level error)."""
    try:
        criteria.validate()
    except DomainErrors as errors:
        raise errors.errors[0] from None
    return criteria


async def list_invoices(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    criteria: queries.InvoiceCriteria,
    ordering: queries.InvoiceOrdering,
    first: int | None,
    after: str | None,
    include: frozenset[str],
    with_total: bool,
) -> InvoicePage:
    """A page of the organisation's invoices in the decided READ scope.

    `include` names the relations to read with the page ("billingAccount", "lines", "payments",
    "downloadUrl"). Statements: the page (joined with its billing accounts when included, and
    carrying its count when `with_total`), and, only when included, the page's lines and
    payments: the same number for a page of 5 or of 100. Raise DomainError(VALIDATION) for a bad
    filter, `first` or cursor; AccessDenied(INVOICES EXPORT) when downloadUrl is included and an
    invoice of the page is outside the EXPORT scope (one refusal for the field, not one per invoice).
    """
    size = page_size(first)
    criteria = _validated(criteria)
    position = ordering.parse_key(decode_cursor(after, field=["after"]), field=["after"]) if after else None
    export_scope = await ctx.authz.scope(organisation_id, Module.INVOICES, Action.EXPORT)
    today = ctx.clock.today()
    where = queries.conditions(
        organisation_id=organisation_id, account_ids=decision.scope.account_filter, criteria=criteria, today=today
    )
    with_accounts = "billingAccount" in include
    async with ctx.read() as session:
        rows = await fetch_all(
            session,
            queries.page_statement(
                where,
                ordering,
                after=position,
                limit=size + 1,
                today=today,
                with_account=with_accounts,
                with_total=with_total,
            ),
        )
        total = queries.page_total(rows, after=position) if with_total else 0
        if total is None:
            total = (await fetch_all(session, queries.count_statement(where)))[0][0]
        has_next = len(rows) > size
        rows = rows[:size]
        lines: dict[int, list[Any]] | None = None
        if rows and "lines" in include:
            lines = {r.id: [] for r in rows}
            for line in await fetch_by_ids(session, queries.LINES_OF_INVOICES, [r.id for r in rows]):
                lines[line.invoice_id].append(line)
    if "downloadUrl" in include and not all(export_scope.allows(r.billing_account_id) for r in rows):
        raise AccessDenied(Module.INVOICES, Action.EXPORT)
    invoice_payments = (
        await payments.readable_payments_of_invoices(ctx, [r.id for r in rows])
        if rows and "payments" in include
        else None
    )
    page = Page(
        [InvoiceView(r, export_scope.allows(r.billing_account_id)) for r in rows],
        LazyCursors(rows, lambda r: encode_cursor(*ordering.cursor_values(r))),
        has_next=has_next,
        has_previous=position is not None,
        total=total,
    )
    return InvoicePage(page, with_accounts, lines, invoice_payments)


async def invoice_summary(
    ctx: Context, *, organisation_id: int, decision: Decision, criteria: queries.InvoiceCriteria
) -> queries.Summary:
    """Count, totals and amounts due per currency and per status of the filtered invoices in scope (one statement)."""
    criteria = _validated(criteria)
    today = ctx.clock.today()
    where = queries.conditions(
        organisation_id=organisation_id, account_ids=decision.scope.account_filter, criteria=criteria, today=today
    )
    async with ctx.read() as session:
        rows = await fetch_all(session, queries.summary_statement(where, today=today))
    return queries.summarise(rows)


async def readable_invoices(ctx: Context, pks: list[int]) -> dict[int, InvoiceView]:
    """Invoices the viewer may read, by primary key (for node/nodes and Payment.invoices).

    Unknown ids, other organisations' ids and ids outside the READ scope are simply absent.
    """
    if not pks or await ctx.principal() is None:
        return {}
    async with ctx.read() as session:
        rows = (await session.execute(queries.by_ids_statement(pks, today=ctx.clock.today()))).all()
    found: dict[int, InvoiceView] = {}
    scopes: dict[int, tuple[AccountScope, AccountScope]] = {}
    for row in rows:
        if row.organisation_id not in scopes:
            scopes[row.organisation_id] = (
                await ctx.authz.scope(row.organisation_id, Module.INVOICES, Action.READ),
                await ctx.authz.scope(row.organisation_id, Module.INVOICES, Action.EXPORT),
            )
        read, export = scopes[row.organisation_id]
        if read.allows(row.billing_account_id):
            found[row.id] = InvoiceView(row, export.allows(row.billing_account_id))
    return found


async def email_invoice_list(
    ctx: Context,
    *,
    decision: Decision | None,
    criteria: queries.InvoiceCriteria,
    recipients: list[str] | None,
) -> None:
    """E-mail the filtered invoices both READ and EXPORT reach as a CSV list.

    Raise AccessDenied(INVOICES EXPORT) when the permission decided nothing (an ID that is not an
    organisation's); DomainError / DomainErrors for the export service's refusals.
    """
    if decision is None:
        raise AccessDenied(Module.INVOICES, Action.EXPORT)
    viewer = await ctx.viewer()
    assert viewer is not None  # the permission answered UNAUTHENTICATED otherwise
    organisation_id = decision.membership.organisation_id
    read = await ctx.authz.scope(organisation_id, Module.INVOICES, Action.READ)
    request = export_service.ListRequest(
        organisation_id=organisation_id,
        contact_id=decision.membership.contact_id,
        viewer_email=viewer.email,
        account_ids=intersection(read, decision.scope).account_filter,
        criteria=criteria,
        recipients=recipients,
        locale=ctx.locale,
        today=ctx.clock.today(),
        now=ctx.now(),
    )
    async with ctx.uow() as session:
        await export_service.email_invoice_list(session, request)


def watch_invoices(ctx: Context, organisation_id: str) -> AsyncIterator[InvoiceView]:
    """Each invoice of the organisation whose status or amount due changed, if the viewer may read it.

    Raise NotAuthenticated / AccessDenied at the start without INVOICES READ there.
    """
    return payments.holding_no_connection(ctx, _watch_invoices(ctx, organisation_id))


async def _watch_invoices(ctx: Context, organisation_id: str) -> AsyncIterator[InvoiceView]:
    org_pk = pk_of(organisation_id, "Organisation") or 0
    async with ctx.app.broker.listen(events.invoices_topic(org_pk)) as queue:
        await ctx.refresh()
        await ctx.authz.require(org_pk, Module.INVOICES, Action.READ)
        await ctx.close()
        while True:
            message = await queue.get()
            await ctx.refresh()
            if await ctx.principal() is None:
                return
            if not await ctx.authz.allowed(org_pk, Module.INVOICES, Action.READ):
                await ctx.close()
                continue
            found = (await readable_invoices(ctx, [int(message["id"])])).get(int(message["id"]))
            if found is not None:
                yield found
            else:
                await ctx.close()
