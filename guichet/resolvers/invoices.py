"""Resolvers of the invoices area: decode, authorise once per root field, query, map.

Access: INVOICES READ lists (the billing accounts its scope reaches), INVOICES EXPORT mints
download links and e-mails lists. An invoice outside the viewer's scope, or of another
organisation, is never read: node/nodes answer null for it, filters never match it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from guichet.domain.errors import DomainErrors
from guichet.domain.invoices import export as export_service
from guichet.domain.invoices import queries
from guichet.domain.invoices import status as rules
from guichet.policies.authz import AccessDenied, AccountScope
from guichet.resolvers.context import Info
from guichet.resolvers.errors import run_mutation
from guichet.resolvers.graphql_errors import domain_to_graphql, forbidden
from guichet.schema.relay import Connection, build_connection, decode_cursor, encode_cursor, from_global_id, page_size

if TYPE_CHECKING:
    from guichet.schema.common import OkPayload
    from guichet.schema.invoices import EmailInvoiceListInput, Invoice, InvoiceFilter, InvoiceOrder, InvoiceSummary
    from guichet.schema.organisations import Organisation

MODULE = "INVOICES"


def criteria_from(
    filter: InvoiceFilter | None, *, field_prefix: tuple[str, ...] = ("filter",)
) -> queries.InvoiceCriteria:
    """The domain criteria of a GraphQL filter; a billingAccountId that names nothing matches nothing."""
    if filter is None:
        return queries.InvoiceCriteria(field_prefix=field_prefix)
    account_id: int | None = None
    nothing = False
    if filter.billing_account_id is not None:
        decoded = from_global_id(str(filter.billing_account_id))
        if decoded is None or decoded[0] != "BillingAccount":
            nothing = True
        else:
            account_id = decoded[1]
    return queries.InvoiceCriteria(
        statuses=frozenset(s.value for s in filter.status or ()),
        service_types=frozenset(s.value for s in filter.service_type or ()),
        billing_account_id=account_id,
        nothing=nothing,
        line_number=filter.line_number,
        issued_from=filter.issued_from,
        issued_to=filter.issued_to,
        search=filter.search,
        field_prefix=field_prefix,
    )


def ordering_from(order_by: InvoiceOrder | None) -> queries.InvoiceOrdering:
    if order_by is None:
        return queries.InvoiceOrdering()
    return queries.InvoiceOrdering(order_by.field.value, descending=order_by.direction.value == "DESC")


def _validated(criteria: queries.InvoiceCriteria) -> queries.InvoiceCriteria:
    """Raise the first DomainError of an invalid filter (a query field reports one top-level error)."""
    try:
        criteria.validate()
    except DomainErrors as errors:
        raise errors.errors[0] from None
    return criteria


def _account_ids(scope: AccountScope) -> frozenset[int] | None:
    return None if scope.all_accounts else scope.account_ids


def _flatten(selections: Iterable[Any]) -> Iterable[Any]:
    """Fields of a selection set, looking through fragments."""
    for selection in selections:
        if hasattr(selection, "arguments"):
            yield selection
        else:
            yield from _flatten(selection.selections)


def _wanted(info: Info) -> tuple[set[str], bool]:
    """(field names selected on the page's nodes, whether totalCount is selected)."""
    names: set[str] = set()
    total = False
    for root in info.selected_fields:
        for field in _flatten(root.selections):
            if field.name == "totalCount":
                total = True
            elif field.name == "edges":
                for edge_field in _flatten(field.selections):
                    if edge_field.name == "node":
                        names.update(f.name for f in _flatten(edge_field.selections))
    return names, total


def _attach_accounts(nodes: list[Invoice], rows: list[Any]) -> None:
    """Billing accounts read with the page (one object per account, shared by its invoices)."""
    from guichet.schema.billing import BillingAccount
    from guichet.schema.relay import to_global_id

    accounts: dict[int, BillingAccount] = {}
    for node, row in zip(nodes, rows, strict=True):
        account = accounts.get(row.billing_account_id)
        if account is None:
            account = accounts[row.billing_account_id] = BillingAccount(
                id=to_global_id("BillingAccount", row.billing_account_id),  # type: ignore[arg-type]
                number=row.account_number,
                name=row.account_name,
                pk=row.billing_account_id,
                organisation_id=row.organisation_id,
            )
        node.billing_account = account


def _attach_lines(nodes: list[Invoice], line_rows: list[Any]) -> None:
    from guichet.schema.invoices import InvoiceLine

    by_invoice: dict[int, list[InvoiceLine]] = {node.pk: [] for node in nodes}
    for row in line_rows:
        by_invoice[row.invoice_id].append(InvoiceLine.from_row(row))
    for node in nodes:
        node.lines = by_invoice[node.pk]


async def organisation_invoices(
    info: Info,
    organisation: Organisation,
    *,
    first: int | None,
    after: str | None,
    filter: InvoiceFilter | None,
    order_by: InvoiceOrder | None,
) -> Connection[Invoice]:
    """A page of the organisation's invoices in the viewer's READ scope (FORBIDDEN without READ).

    Statements: the page (joined with its billing accounts when selected), its count, and (only
    when selected) the page's lines and payments: the same number for a page of 5 or of 100.
    """
    from guichet.schema.invoices import Invoice

    ctx = info.context
    with domain_to_graphql(info):
        await ctx.authz.require(organisation.pk, MODULE, "READ")
        scope = await ctx.authz.scope(organisation.pk, MODULE, "READ")
        size = page_size(first)
        criteria = _validated(criteria_from(filter))
        ordering = ordering_from(order_by)
        position = ordering.parse_key(decode_cursor(after, field=["after"]), field=["after"]) if after else None
        names, wants_total = _wanted(info)
        export_scope = await ctx.authz.scope(organisation.pk, MODULE, "EXPORT")
        today = ctx.clock.today()
        where = queries.conditions(
            organisation_id=organisation.pk, account_ids=_account_ids(scope), criteria=criteria, today=today
        )
        with_account = "billingAccount" in names
        async with ctx.read() as session:
            rows = (
                await session.execute(
                    queries.page_statement(
                        where, ordering, after=position, limit=size + 1, today=today, with_account=with_account
                    )
                )
            ).all()
            has_next = len(rows) > size
            rows = rows[:size]
            total = (await session.execute(queries.count_statement(where))).scalar_one() if wants_total else 0
            line_rows = (
                (await session.execute(queries.lines_statement([r.id for r in rows]))).all()
                if rows and "lines" in names
                else None
            )
        if "downloadUrl" in names and not all(export_scope.allows(r.billing_account_id) for r in rows):
            # One FORBIDDEN for the field rather than one error per invoice.
            raise AccessDenied(MODULE, "EXPORT")
    wants_payments = bool(rows) and "payments" in names
    prefetched = frozenset(
        name
        for name, done in (
            ("billingAccount", with_account),
            ("lines", line_rows is not None),
            ("payments", wants_payments),
        )
        if done
    )
    nodes = [
        Invoice.from_row(r, can_export=export_scope.allows(r.billing_account_id), info=info, prefetched=prefetched)
        for r in rows
    ]
    if with_account:
        _attach_accounts(nodes, rows)
    if line_rows is not None:
        _attach_lines(nodes, line_rows)
    if wants_payments:
        from guichet.resolvers import payments

        # One batched query for the whole page, through the payments area's loader.
        found = await payments.load_invoices_payments(info, [n.pk for n in nodes])
        for node, node_payments in zip(nodes, found, strict=True):
            node.payments = node_payments
    return build_connection(
        nodes,
        [encode_cursor(*ordering.cursor_values(r)) for r in rows],
        has_next=has_next,
        has_previous=position is not None,
        total=total,
    )


async def organisation_invoice_summary(
    info: Info, organisation: Organisation, *, filter: InvoiceFilter | None
) -> InvoiceSummary:
    """Count, totals and amounts due per currency and per status of the filtered invoices in scope (one statement)."""
    from guichet.schema.common import Money
    from guichet.schema.invoices import InvoiceStatus, InvoiceStatusCount, InvoiceSummary

    ctx = info.context
    with domain_to_graphql(info):
        await ctx.authz.require(organisation.pk, MODULE, "READ")
        scope = await ctx.authz.scope(organisation.pk, MODULE, "READ")
        criteria = _validated(criteria_from(filter))
        today = ctx.clock.today()
        where = queries.conditions(
            organisation_id=organisation.pk, account_ids=_account_ids(scope), criteria=criteria, today=today
        )
        async with ctx.read() as session:
            rows = (await session.execute(queries.summary_statement(where, today=today))).all()
    summary = queries.summarise(rows)

    def amounts(per_currency: dict[str, int]) -> list[Money]:
        return [Money.of(minor, currency) for currency, minor in per_currency.items()]

    return InvoiceSummary(
        count=summary.count,
        total=amounts(summary.total),
        amount_due=amounts(summary.due),
        by_status=[
            InvoiceStatusCount(
                status=InvoiceStatus(status),
                count=summary.by_status[status].count,
                amount_due=amounts(summary.by_status[status].due),
            )
            for status in rules.STATUSES
        ],
    )


async def invoices_by_pk(info: Info, pks: list[int]) -> dict[int, Invoice]:
    """Invoices the viewer may read, by primary key (for node/nodes and other areas' loaders).

    Unknown ids, other organisations' ids and ids outside the READ scope are simply absent.
    """
    from guichet.schema.invoices import Invoice

    ctx = info.context
    if not pks or await ctx.viewer() is None:
        return {}
    async with ctx.read() as session:
        rows = (await session.execute(queries.by_ids_statement(pks, today=ctx.clock.today()))).all()
    found: dict[int, Invoice] = {}
    scopes: dict[int, tuple[AccountScope, AccountScope]] = {}
    for row in rows:
        if row.organisation_id not in scopes:
            scopes[row.organisation_id] = (
                await ctx.authz.scope(row.organisation_id, MODULE, "READ"),
                await ctx.authz.scope(row.organisation_id, MODULE, "EXPORT"),
            )
        read, export = scopes[row.organisation_id]
        if read.allows(row.billing_account_id):
            found[row.id] = Invoice.from_row(row, can_export=export.allows(row.billing_account_id), info=info)
    return found


def _intersection(a: AccountScope, b: AccountScope) -> frozenset[int] | None:
    """Accounts both scopes reach (None: every account)."""
    if a.all_accounts and b.all_accounts:
        return None
    if a.all_accounts:
        return b.account_ids
    if b.all_accounts:
        return a.account_ids
    return a.account_ids & b.account_ids


async def email_invoice_list(info: Info, input: EmailInvoiceListInput) -> OkPayload:
    """emailInvoiceList: FORBIDDEN (top level) without INVOICES EXPORT; refusals as payload errors."""
    from guichet.schema.common import OkPayload

    ctx = info.context
    decoded = from_global_id(str(input.organisation_id))
    viewer = await ctx.viewer()
    with domain_to_graphql(info):
        if viewer is not None and (decoded is None or decoded[0] != "Organisation"):
            raise forbidden(info, MODULE, "EXPORT")  # an ID that is not an organisation is refused like a foreign one
        organisation_pk = decoded[1] if decoded is not None else 0
        membership = await ctx.authz.require(organisation_pk, MODULE, "EXPORT")
        read = await ctx.authz.scope(organisation_pk, MODULE, "READ")
        export = await ctx.authz.scope(organisation_pk, MODULE, "EXPORT")
    assert viewer is not None  # require() raised otherwise
    request = export_service.ListRequest(
        organisation_id=organisation_pk,
        contact_id=membership.contact_id,
        viewer_email=viewer.email,
        account_ids=_intersection(read, export),
        criteria=criteria_from(input.filter, field_prefix=("input", "filter")),
        recipients=input.to,
        locale=ctx.locale,
        today=ctx.clock.today(),
        now=ctx.now(),
    )

    async def send() -> OkPayload:
        async with ctx.uow() as session:
            await export_service.email_invoice_list(session, request)
        return OkPayload(ok=True, errors=[])

    return await run_mutation(ctx.locale, send, lambda errors: OkPayload(ok=False, errors=errors))
