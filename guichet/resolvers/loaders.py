"""Per-request DataLoaders (aiodataloader), one class per (entity, key), rows out.

Each loader guards against one N+1: a page asks for a related object per row and the loader
turns those asks into one query. `Loaders` holds one of each, built with the request's Context
(never at module level, where a cache would serve one user's rows to another). Loaders named
Readable... keep only what the viewer may read; the others do no access check: feed them only
ids of rows the viewer may already read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Generator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.billing_profiles.services import profiles_of
from guichet.domain.contracts import queries as contract_queries
from guichet.domain.invoices import queries
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.payments import PaymentInvoice
from guichet.domain.models.service_requests import Attachment, ServiceRequestComment, ServiceRequestStatusChange
from guichet.domain.models.webhooks import Event
from guichet.domain.pending_payments import queries as pending_queries
from guichet.domain.service_requests import queries as service_request_queries
from guichet.policies.rules import ContactAccess
from guichet.policies.store import load_access
from guichet.resolvers import contracts, invoices, payments, service_requests
from guichet.resolvers.pagination import Page
from guichet.resolvers.shop_loaders import ShopLoaders

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


class _Loader(DataLoader):  # type: ignore[misc]
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx


class BillingAccountByIdLoader(_Loader):
    """Billing account rows by id: Invoice.billingAccount and role scopes cost one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[models.BillingAccount | None]:
        async with self.ctx.read() as session:
            rows = (
                (await session.execute(select(models.BillingAccount).where(models.BillingAccount.id.in_(keys))))
                .scalars()
                .all()
            )
        found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class InvoiceLinesByInvoiceIdLoader(_Loader):
    """Invoice line rows by invoice id: Invoice.lines costs one query per page, not one per invoice."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        async with self.ctx.read() as session:
            rows = (await session.execute(queries.lines_statement(keys))).all()
        found: dict[int, list[Any]] = {key: [] for key in keys}
        for row in rows:
            found[row.invoice_id].append(row)
        return [found[key] for key in keys]


class ReadablePaymentsByInvoiceIdLoader(_Loader):
    """Payment rows the viewer may read, by invoice id: Invoice.payments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[PaymentRow]]:
        found = await payments.readable_payments_of_invoices(self.ctx, list(keys))
        return [found.get(k, []) for k in keys]


class InvoiceIdsByPaymentIdLoader(_Loader):
    """Ids of the invoices a payment covers, by payment id: Payment.invoices costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[int]]:
        async with self.ctx.read() as session:
            rows = (
                await session.execute(
                    select(PaymentInvoice.payment_id, PaymentInvoice.invoice_id)
                    .where(PaymentInvoice.payment_id.in_(list(keys)))
                    .order_by(PaymentInvoice.invoice_id)
                )
            ).all()
        grouped: dict[int, list[int]] = defaultdict(list)
        for payment_id, invoice_id in rows:
            grouped[payment_id].append(invoice_id)
        return [grouped.get(k, []) for k in keys]


class ReadableInvoiceByIdLoader(_Loader):
    """Invoices the viewer may read, by id (None otherwise): Payment.invoices costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[invoices.InvoiceView | None]:
        found = await invoices.readable_invoices(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class AccessByContactIdLoader(_Loader):
    """A contact's roles, grants and denials: prevents three queries per contact of a members page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[ContactAccess | None]:
        async with self.ctx.read() as session:
            found = await load_access(session, list(keys))
        return [found.get(k) for k in keys]


class ContactByIdLoader(_Loader):
    """(contact, person) rows by contact id, unfiltered: prevents one query per actor or inviter."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[tuple[models.Contact, models.Person] | None]:
        async with self.ctx.read() as session:
            rows = (
                await session.execute(
                    select(models.Contact, models.Person)
                    .join(models.Person, models.Person.id == models.Contact.person_id)
                    .where(models.Contact.id.in_(list(keys)))
                )
            ).all()
        found = {c.id: (c, p) for c, p in rows}
        return [found.get(k) for k in keys]


class PaymentsByPendingPaymentIdLoader(_Loader):
    """Payment rows by pending-payment id, unfiltered: PendingPayment.payments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[PaymentRow]]:
        async with self.ctx.read() as session:
            found = await pending_queries.payments_of_items(session, list(keys))
        return [found.get(k, []) for k in keys]


class PendingPaymentsByPaymentIdLoader(_Loader):
    """Pending-payment rows by payment id, unfiltered: Payment.pendingPayments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        async with self.ctx.read() as session:
            found = await pending_queries.items_of_payments(session, list(keys))
        return [found.get(k, []) for k in keys]


class PendingPaymentsByContractIdLoader(_Loader):
    """Pending-payment rows by contract id, unfiltered: Contract.pendingPayments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        async with self.ctx.read() as session:
            found = await pending_queries.items_of_contracts(session, list(keys))
        return [found.get(k, []) for k in keys]


class BillingProfileByAccountIdLoader(_Loader):
    """Billing profiles by account id: a list of accounts' profiles costs four queries, not four per account."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        async with self.ctx.read() as session:
            found = await profiles_of(session, list(keys))
        return [found.get(k) for k in keys]


class ReadableSavedPaymentMethodByIdLoader(_Loader):
    """Live saved methods the viewer may read, by id: PendingPayment.failedPaymentMethod costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        from guichet.resolvers.billing_profiles import saved_methods_by_pk

        found = await saved_methods_by_pk(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class ContractLinesByContractIdLoader(_Loader):
    """Contract line rows by contract id: Contract.lines and recurringTotal cost one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        async with self.ctx.read() as session:
            found = await contract_queries.lines_by_contract(session, list(keys))
        return [found.get(key, []) for key in keys]


class ReadableContractByIdLoader(_Loader):
    """Contracts the viewer may read, by id: BillingScheduleEntry.contract costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[contracts.ContractView | None]:
        found = await contracts.contracts_by_pk(self.ctx, list(keys))
        return [found.get(key) for key in keys]


class LineByIdLoader(_Loader):
    """Fleet line rows by id: ContractLine.line costs one query per page, not one per contract line."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[models.Line | None]:
        async with self.ctx.read() as session:
            rows = (await session.execute(select(models.Line).where(models.Line.id.in_(keys)))).scalars().all()
        found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class ReadableApiKeyByIdLoader(_Loader):
    """API keys the viewer may read, by id: prevents one query per export job's `apiKey`."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        from guichet.resolvers.api_keys import readable_keys

        found = await readable_keys(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class DeliveriesByEndpointLoader(_Loader):
    """A page of deliveries per (endpoint id, page arguments): WebhookEndpoint.deliveries costs two
    queries per page of endpoints (a window per endpoint), not two per endpoint."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int, int | None, tuple[str, ...]]]) -> list[Page[Any]]:
        from guichet.resolvers.webhooks import delivery_pages

        found = await delivery_pages(self.ctx, list(keys))
        return [found[k] for k in keys]


class EventByIdLoader(_Loader):
    """Event rows by id: WebhookDelivery.event costs one query per page of deliveries."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        async with self.ctx.read() as session:
            rows = (await session.execute(select(Event).where(Event.id.in_(keys)))).scalars().all()
        found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class LinesByServiceRequestIdLoader(_Loader):
    """Fleet line rows by service request id: ServiceRequest.lines costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[models.Line]]:
        async with self.ctx.read() as session:
            found = await service_request_queries.lines_by_request(session, list(keys))
        return [found[k] for k in keys]


class StatusHistoryByServiceRequestIdLoader(_Loader):
    """Status changes by service request id: ServiceRequest.statusHistory costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[ServiceRequestStatusChange]]:
        async with self.ctx.read() as session:
            found = await service_request_queries.history_by_request(session, list(keys))
        return [found[k] for k in keys]


class AttachmentsByServiceRequestIdLoader(_Loader):
    """Stored files by service request id: ServiceRequest.attachments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Attachment]]:
        async with self.ctx.read() as session:
            found = await service_request_queries.attachments_by_request(session, list(keys))
        return [found[k] for k in keys]


class AttachmentsByCommentIdLoader(_Loader):
    """Stored files by comment id: ServiceRequestComment.attachments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Attachment]]:
        async with self.ctx.read() as session:
            found = await service_request_queries.attachments_by_comment(session, list(keys))
        return [found[k] for k in keys]


class CommentPageByServiceRequestLoader(_Loader):
    """A page of comments by (request, size, cursor): ServiceRequest.comments costs two queries per
    page of requests, not two per request."""

    async def batch_load_fn(self, keys: Sequence[service_requests.CommentsKey]) -> list[Page[ServiceRequestComment]]:
        return await service_requests.comment_pages(self.ctx, keys)


class ReadableServiceRequestByIdLoader(_Loader):
    """Service requests the viewer may read, by id (None otherwise): relatedRequest costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[service_requests.RequestView | None]:
        found = await service_requests.service_requests_by_pk(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class Loaders:
    """The request's loaders, one per (entity, key), each built on first use."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @cached_property
    def billing_account_by_id(self) -> BillingAccountByIdLoader:
        return BillingAccountByIdLoader(self._ctx)

    @cached_property
    def invoice_lines_by_invoice_id(self) -> InvoiceLinesByInvoiceIdLoader:
        return InvoiceLinesByInvoiceIdLoader(self._ctx)

    @cached_property
    def readable_payments_by_invoice_id(self) -> ReadablePaymentsByInvoiceIdLoader:
        return ReadablePaymentsByInvoiceIdLoader(self._ctx)

    @cached_property
    def invoice_ids_by_payment_id(self) -> InvoiceIdsByPaymentIdLoader:
        return InvoiceIdsByPaymentIdLoader(self._ctx)

    @cached_property
    def readable_invoice_by_id(self) -> ReadableInvoiceByIdLoader:
        return ReadableInvoiceByIdLoader(self._ctx)

    @cached_property
    def access_by_contact_id(self) -> AccessByContactIdLoader:
        return AccessByContactIdLoader(self._ctx)

    @cached_property
    def contact_by_id(self) -> ContactByIdLoader:
        return ContactByIdLoader(self._ctx)

    @cached_property
    def readable_saved_payment_method_by_id(self) -> ReadableSavedPaymentMethodByIdLoader:
        return ReadableSavedPaymentMethodByIdLoader(self._ctx)

    @cached_property
    def billing_profile_by_account_id(self) -> BillingProfileByAccountIdLoader:
        return BillingProfileByAccountIdLoader(self._ctx)

    @cached_property
    def payments_by_pending_payment_id(self) -> PaymentsByPendingPaymentIdLoader:
        return PaymentsByPendingPaymentIdLoader(self._ctx)

    @cached_property
    def pending_payments_by_payment_id(self) -> PendingPaymentsByPaymentIdLoader:
        return PendingPaymentsByPaymentIdLoader(self._ctx)

    @cached_property
    def pending_payments_by_contract_id(self) -> PendingPaymentsByContractIdLoader:
        return PendingPaymentsByContractIdLoader(self._ctx)

    @cached_property
    def contract_lines_by_contract_id(self) -> ContractLinesByContractIdLoader:
        return ContractLinesByContractIdLoader(self._ctx)

    @cached_property
    def readable_contract_by_id(self) -> ReadableContractByIdLoader:
        return ReadableContractByIdLoader(self._ctx)

    @cached_property
    def line_by_id(self) -> LineByIdLoader:
        return LineByIdLoader(self._ctx)

    @cached_property
    def readable_api_key_by_id(self) -> ReadableApiKeyByIdLoader:
        return ReadableApiKeyByIdLoader(self._ctx)

    @cached_property
    def deliveries_by_endpoint(self) -> DeliveriesByEndpointLoader:
        return DeliveriesByEndpointLoader(self._ctx)

    @cached_property
    def event_by_id(self) -> EventByIdLoader:
        return EventByIdLoader(self._ctx)

    @cached_property
    def lines_by_service_request_id(self) -> LinesByServiceRequestIdLoader:
        return LinesByServiceRequestIdLoader(self._ctx)

    @cached_property
    def status_history_by_service_request_id(self) -> StatusHistoryByServiceRequestIdLoader:
        return StatusHistoryByServiceRequestIdLoader(self._ctx)

    @cached_property
    def attachments_by_service_request_id(self) -> AttachmentsByServiceRequestIdLoader:
        return AttachmentsByServiceRequestIdLoader(self._ctx)

    @cached_property
    def attachments_by_comment_id(self) -> AttachmentsByCommentIdLoader:
        return AttachmentsByCommentIdLoader(self._ctx)

    @cached_property
    def comment_page_by_service_request(self) -> CommentPageByServiceRequestLoader:
        return CommentPageByServiceRequestLoader(self._ctx)

    @cached_property
    def readable_service_request_by_id(self) -> ReadableServiceRequestByIdLoader:
        return ReadableServiceRequestByIdLoader(self._ctx)

    @cached_property
    def shop(self) -> ShopLoaders:
        return ShopLoaders(self._ctx)


class Deferred:
    """An awaitable that starts its load only when awaited (GraphQL awaits it only if selected).

    Unlike a coroutine, one that is never awaited costs nothing and warns about nothing.
    """

    __slots__ = ("_start",)

    def __init__(self, start: Callable[[], Awaitable[Any]]) -> None:
        self._start = start

    def __await__(self) -> Generator[Any, None, Any]:
        return self._start().__await__()
