"""Webhook endpoint services: create, delete, send a test, redeliver; each owns one transaction.

Authorization is re-done inside the transaction (SEC-23), as for API keys: the actor must be an
active contact of the organisation holding INTEGRATIONS WRITE (NOT_FOUND for another
organisation's endpoint or delivery, FORBIDDEN otherwise). Creating and deleting an endpoint is
audited (webhook_endpoint.created / .deleted, ACCESS.md rule 15). The URL is checked before the
transaction (its host is resolved: no DNS lookup while holding row locks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.api_keys.rules import key_status
from guichet.domain.api_keys.services import integrations_actor
from guichet.domain.audit import record_event as audit
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.models.api_keys import ApiKey
from guichet.domain.models.webhooks import Event, WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks import addresses, rules, signing
from guichet.domain.webhooks.events import SUBJECT_ACCESS, EventType
from guichet.policies.engine import PolicyEngine

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class WebhooksEnv:
    """What the services need from the request (built by the resolver from its Context)."""

    uow: UnitOfWork
    policy: PolicyEngine
    now: datetime
    server_key: str
    allow_private: bool
    resolver: addresses.Resolver


@dataclass(frozen=True)
class CreatedEndpoint:
    """An endpoint just created, with its signing secret (shown once, never stored)."""

    endpoint_id: int
    secret: str


async def _lock_organisation(session: AsyncSession, organisation_id: int) -> None:
    """Serialise endpoint creation per organisation, so the limit of 10 holds under concurrency."""
    await session.execute(
        select(models.Organisation.id).where(models.Organisation.id == organisation_id).with_for_update()
    )


async def create_endpoint(
    env: WebhooksEnv,
    *,
    actor_person_id: int,
    organisation_id: int,
    url: str,
    event_types: Sequence[str],
    api_key_id: int,
    description: str | None,
) -> CreatedEndpoint:
    """Create an endpoint receiving `event_types` as the key `api_key_id` may read them.

    Raise NOT_FOUND (not a member; a key of another organisation, on input.apiKeyId), FORBIDDEN
    (no INTEGRATIONS WRITE), VALIDATION (no event type; description too long; a revoked or
    expired key), WEBHOOK_URL_NOT_ALLOWED (not https, or any address not public),
    WEBHOOK_ENDPOINT_LIMIT_REACHED (the organisation has 10 already).
    """
    types = rules.check_event_types(event_types)
    clean_description = rules.check_description(description)
    await addresses.check_url(url, resolver=env.resolver, allow_private=env.allow_private)
    async with env.uow() as session:
        actor = await integrations_actor(
            session, env.policy, person_id=actor_person_id, organisation_id=organisation_id
        )
        key = await session.get(ApiKey, api_key_id)
        if key is None or key.organisation_id != organisation_id:
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "apiKeyId"])
        if key_status(key.revoked_at, key.expires_at, env.now) != "ACTIVE":
            raise DomainError(ErrorCode.VALIDATION, "api_key_not_active", field=["input", "apiKeyId"])
        await _lock_organisation(session, organisation_id)
        count = (
            await session.execute(
                select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.organisation_id == organisation_id)
            )
        ).scalar_one()
        if count >= rules.MAX_ENDPOINTS:
            raise DomainError(
                ErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED, field=["input"], params={"max": rules.MAX_ENDPOINTS}
            )
        salt = signing.new_salt()
        endpoint = WebhookEndpoint(
            organisation_id=organisation_id,
            api_key_id=key.id,
            url=url,
            description=clean_description,
            event_types=types,
            status=rules.ENABLED,
            secret_salt=salt,
            created_by_contact_id=actor.contact_id,
            created_at=env.now,
        )
        session.add(endpoint)
        await session.flush()
        await audit(
            session,
            at=env.now,
            organisation_id=organisation_id,
            actor_contact_id=actor.contact_id,
            action="webhook_endpoint.created",
            summary=f"Webhook endpoint {url} created for key {key.name} ({', '.join(types)})",
            subject_id=to_global_id("WebhookEndpoint", endpoint.id),
            data={"url": url, "eventTypes": types, "apiKeyId": to_global_id("ApiKey", key.id)},
        )
        return CreatedEndpoint(endpoint.id, signing.endpoint_secret(env.server_key, salt))


async def _managed_endpoint(
    session: AsyncSession, env: WebhooksEnv, *, person_id: int, endpoint_id: int, field: list[str]
) -> tuple[WebhookEndpoint, int]:
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=field)
    actor = await integrations_actor(session, env.policy, person_id=person_id, organisation_id=endpoint.organisation_id)
    return endpoint, actor.contact_id


async def delete_endpoint(env: WebhooksEnv, *, actor_person_id: int, endpoint_id: int) -> WebhookEndpoint:
    """Delete the endpoint with its delivery log; answer it as it was. Raise NOT_FOUND, FORBIDDEN."""
    async with env.uow() as session:
        endpoint, actor_id = await _managed_endpoint(
            session, env, person_id=actor_person_id, endpoint_id=endpoint_id, field=["input", "endpointId"]
        )
        await audit(
            session,
            at=env.now,
            organisation_id=endpoint.organisation_id,
            actor_contact_id=actor_id,
            action="webhook_endpoint.deleted",
            summary=f"Webhook endpoint {endpoint.url} deleted",
            subject_id=to_global_id("WebhookEndpoint", endpoint.id),
            data={"url": endpoint.url},
        )
        await session.delete(endpoint)
        await session.flush()
        session.expunge(endpoint)
        return endpoint


def _due_delivery(endpoint: WebhookEndpoint, event_id: int, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        organisation_id=endpoint.organisation_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        status=rules.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


async def send_test(env: WebhooksEnv, *, actor_person_id: int, endpoint_id: int) -> int:
    """Queue a test event to the endpoint (even a DISABLED one: a success enables it again); answer
    the delivery's id. Its subject is the endpoint itself; it is not listed in `events`.

    Raise NOT_FOUND, FORBIDDEN.
    """
    async with env.uow() as session:
        endpoint, _ = await _managed_endpoint(
            session, env, person_id=actor_person_id, endpoint_id=endpoint_id, field=["input", "endpointId"]
        )
        kind = EventType(endpoint.event_types[0]) if endpoint.event_types else EventType.INVOICE_ISSUED
        _subject, module, action = SUBJECT_ACCESS[kind]
        event = Event(
            organisation_id=endpoint.organisation_id,
            type=kind.value,
            subject_type="WebhookEndpoint",
            subject_pk=endpoint.id,
            module=module.value,
            action=action.value,
            owner_principal=None,
            is_test=True,
            created_at=env.now,
            fanned_out_at=env.now,
        )
        session.add(event)
        await session.flush()
        delivery = _due_delivery(endpoint, event.id, env.now)
        session.add(delivery)
        await session.flush()
        return delivery.id


async def redeliver(env: WebhooksEnv, *, actor_person_id: int, delivery_id: int) -> int:
    """Queue the delivery's event again to its endpoint, as a new delivery (the log keeps both);
    answer the new delivery's id. The key's right to read the subject is checked again on sending.

    Raise NOT_FOUND (on input.deliveryId), FORBIDDEN.
    """
    async with env.uow() as session:
        original = await session.get(WebhookDelivery, delivery_id)
        if original is None:
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "deliveryId"])
        endpoint, _ = await _managed_endpoint(
            session, env, person_id=actor_person_id, endpoint_id=original.endpoint_id, field=["input", "deliveryId"]
        )
        delivery = _due_delivery(endpoint, original.event_id, env.now)
        session.add(delivery)
        await session.flush()
        return delivery.id
