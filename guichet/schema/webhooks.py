"""Outgoing webhooks (module INTEGRATIONS): endpoints, their delivery log, events, four mutations.

Managing endpoints needs INTEGRATIONS WRITE (reading them READ); the organisation is the one the
input names, or the endpoint's (the delivery's). The signing secret is in createWebhookEndpoint's
payload only.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain.ids import decode_id, to_global_id
from guichet.domain.models.webhooks import Event as EventRow
from guichet.domain.models.webhooks import WebhookDelivery as DeliveryRow
from guichet.domain.models.webhooks import WebhookEndpoint as EndpointRow
from guichet.resolvers import webhooks as resolvers
from guichet.resolvers.context import Info
from guichet.schema.common import Action, Module, UserError
from guichet.schema.payloads import payload_mutation
from guichet.schema.permissions import described, input_object, input_organisation, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.api_keys import ApiKey

ApiKeyRef = Annotated["ApiKey", strawberry.lazy("guichet.schema.api_keys")]


@strawberry.enum(description="What happened: each type names the object concerned (`data.id` of the body).")
class WebhookEventType(Enum):
    INVOICE_ISSUED = "INVOICE_ISSUED"
    INVOICE_OVERDUE = "INVOICE_OVERDUE"
    INVOICE_PAID = "INVOICE_PAID"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    INSTALLMENT_UNPAID = "INSTALLMENT_UNPAID"
    PENDING_PAYMENT_CREATED = "PENDING_PAYMENT_CREATED"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    SERVICE_REQUEST_STATUS_CHANGED = "SERVICE_REQUEST_STATUS_CHANGED"
    EXPORT_COMPLETED = "EXPORT_COMPLETED"


@strawberry.enum(description="ENABLED, or DISABLED after 3 days of failed deliveries (a successful test enables it).")
class WebhookEndpointStatus(Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


@strawberry.enum(description="PENDING (not tried yet), RETRYING (backing off), SUCCEEDED, FAILED (given up).")
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETRYING = "RETRYING"


@strawberry.type(description="Something that happened to an invoice, a payment, an order...: a thin event.")
class Event(Node):
    type: WebhookEventType = strawberry.field(description="What happened.")
    created_at: datetime = strawberry.field(description="When it happened.")
    subject_id: strawberry.ID = strawberry.field(
        description="The global ID of the invoice, payment, order... concerned."
    )

    @classmethod
    def from_row(cls, row: EventRow, info: Info | None = None) -> Event:
        return cls(
            id=strawberry.ID(to_global_id("Event", row.id)),
            type=WebhookEventType(row.type),
            created_at=row.created_at,
            subject_id=strawberry.ID(to_global_id(row.subject_type, row.subject_pk)),
        )


@strawberry.type(description="One event sent (or to be sent) to one endpoint: its attempts and outcome.")
class WebhookDelivery(Node):
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_response_status: int | None = strawberry.field(
        description="The HTTP status of the last answer; null when none came (timeout, refused address)."
    )
    last_attempt_at: datetime | None = strawberry.field(description="When it was last tried.")
    next_attempt_at: datetime | None = strawberry.field(description="When it will be tried next, while it may be.")
    event_pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: DeliveryRow, info: Info | None = None) -> WebhookDelivery:
        waiting = row.status in ("PENDING", "RETRYING")
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            last_response_status=row.last_response_status,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at if waiting else None,
            event_pk=row.event_id,
        )

    @strawberry.field(description="The event delivered.")
    async def event(self, info: Info) -> Event:
        return Event.from_row(await resolvers.delivery_event(info.context, self.event_pk))


WebhookDeliveryConnection = Connection[WebhookDelivery]
EventConnection = Connection[Event]


@strawberry.type(description="An https URL receiving the organisation's events, signed (Standard Webhooks).")
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where events are POSTed (https, public addresses only).")
    description: str | None = strawberry.field(description="What the endpoint is for.")
    event_types: list[WebhookEventType] = strawberry.field(description="The types of event it receives.")
    status: WebhookEndpointStatus = strawberry.field(description="ENABLED or DISABLED.")
    disabled_reason: str | None = strawberry.field(description="Why it was disabled, when it is.")
    created_at: datetime = strawberry.field(description="When it was created.")
    pk: strawberry.Private[int]
    api_key_pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: EndpointRow, info: Info | None = None) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)),
            url=row.url,
            description=row.description,
            event_types=[WebhookEventType(t) for t in row.event_types],
            status=WebhookEndpointStatus(row.status),
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
            pk=row.id,
            api_key_pk=row.api_key_id,
        )

    @strawberry.field(description="Events reach the endpoint only when this key may read their subject.")
    async def api_key(self, info: Info) -> ApiKeyRef:
        from guichet.schema.api_keys import ApiKey

        found = await resolvers.endpoint_api_key(info.context, self.api_key_pk)
        return ApiKey.of(found, info.context.now())

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[WebhookDeliveryStatus] | None,
            strawberry.argument(description="Only the deliveries in these statuses; all of them when absent."),
        ] = None,
    ) -> WebhookDeliveryConnection:
        page = await resolvers.endpoint_deliveries(
            info.context, self.pk, first=first, after=after, statuses=[s.value for s in status or ()]
        )
        return WebhookDeliveryConnection.from_page(page, WebhookDelivery.from_row)


WebhookEndpointConnection = Connection[WebhookEndpoint]


@strawberry.input(description="A new endpoint: an https URL, the event types it receives, the key whose rights apply.")
class CreateWebhookEndpointInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation whose events it receives.")
    url: str = strawberry.field(description="https, resolving to public addresses only.")
    event_types: list[WebhookEventType] = strawberry.field(description="At least one type.")
    api_key_id: strawberry.ID = strawberry.field(
        description="Events are sent only when this key may read their subject."
    )
    description: str | None = strawberry.field(default=None, description="What it is for (at most 500 characters).")


@strawberry.input(description="One webhook endpoint.")
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's ID.")


@strawberry.input(description="One webhook delivery.")
class DeliveryIdInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's ID.")


@strawberry.type(description="An endpoint, with its signing secret when just created.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint; null when refused.")
    secret: str | None = strawberry.field(description="Signing secret, shown once (on create).")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="A delivery just queued.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(description="The delivery; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


_WRITE = (Module.INTEGRATIONS, Action.WRITE)
_ON_ENDPOINT = input_object("endpointId", "WebhookEndpoint", EndpointRow)
_ON_DELIVERY = input_object("deliveryId", "WebhookDelivery", DeliveryRow)


@strawberry.type(description="Outgoing webhooks.")
class Mutation:
    @payload_mutation(
        description=described(
            "Create a webhook endpoint (at most 10 an organisation); its signing secret is shown once.", *_WRITE
        ),
        extensions=[requires(*_WRITE, organisation=input_organisation("organisationId"), members_only=True)],
    )
    async def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointPayload:
        row, secret = await resolvers.create_endpoint(
            info.context,
            organisation_id=decode_id(str(input.organisation_id), "Organisation", field=["input", "organisationId"]),
            url=input.url,
            event_types=[t.value for t in input.event_types],
            api_key_id=decode_id(str(input.api_key_id), "ApiKey", field=["input", "apiKeyId"]),
            description=input.description,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row), secret=secret, errors=[])

    @payload_mutation(
        description=described("Delete a webhook endpoint and its delivery log.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_ENDPOINT)],
    )
    async def delete_webhook_endpoint(self, info: Info, input: WebhookEndpointIdInput) -> WebhookEndpointPayload:
        row = await resolvers.delete_endpoint(
            info.context,
            endpoint_id=decode_id(str(input.endpoint_id), "WebhookEndpoint", field=["input", "endpointId"]),
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row), secret=None, errors=[])

    @payload_mutation(
        description=described("Send a test event to an endpoint (its subject is the endpoint itself).", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_ENDPOINT)],
    )
    async def send_test_webhook(self, info: Info, input: WebhookEndpointIdInput) -> WebhookDeliveryPayload:
        row = await resolvers.send_test(
            info.context,
            endpoint_id=decode_id(str(input.endpoint_id), "WebhookEndpoint", field=["input", "endpointId"]),
        )
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row), errors=[])

    @payload_mutation(
        description=described("Send a delivery's event to its endpoint again, as a new delivery.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_DELIVERY)],
    )
    async def redeliver_webhook(self, info: Info, input: DeliveryIdInput) -> WebhookDeliveryPayload:
        row = await resolvers.redeliver(
            info.context,
            delivery_id=decode_id(str(input.delivery_id), "WebhookDelivery", field=["input", "deliveryId"]),
        )
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row), errors=[])
