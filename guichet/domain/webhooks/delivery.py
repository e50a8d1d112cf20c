"""The delivery outbox's moves: fan events out, claim due deliveries, record each attempt's outcome.

Nothing here speaks HTTP (guichet/webhook_worker.py does). Every move is a guarded UPDATE, so
any number of processes may run the loop at once: an event is fanned out once (the UPDATE of
`fanned_out_at` from NULL), an attempt is made by the process whose claim moved `attempts` on,
and a claim lapses after CLAIM_LEASE, so a process that died mid-attempt delays the delivery
but never loses it.

Performance: a fan-out batch is a fixed number of statements whatever its size (the events,
their accounts, the endpoints of their organisations, their keys' access), plus the inserts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.api_keys.services import admin_addresses
from guichet.domain.audit import record_event as audit
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.webhooks import Event, EventAccount, WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks import rules
from guichet.i18n import render
from guichet.policies.engine import PolicyEngine
from guichet.policies.rules import ContactAccess
from guichet.policies.store import load_key_access

# Longer than one attempt (10 s): a claim that outlives it belongs to a process that died.
CLAIM_LEASE = timedelta(minutes=1)
BATCH = 100


def key_principal(api_key_id: int) -> str:
    """How exports name a key as their owner (ExportJob.principal)."""
    return f"api_key:{api_key_id}"


async def accounts_of(session: AsyncSession, event_ids: Sequence[int]) -> dict[int, list[int]]:
    """event id -> its subject's billing accounts (one statement)."""
    found: dict[int, list[int]] = {i: [] for i in event_ids}
    if event_ids:
        rows = await session.execute(
            select(EventAccount.event_id, EventAccount.billing_account_id).where(
                EventAccount.event_id.in_(sorted(set(event_ids)))
            )
        )
        for event_id, account in rows.all():
            found[event_id].append(account)
    return found


def key_may_read(policy: PolicyEngine, access: ContactAccess | None, event: Event, accounts: list[int]) -> bool:
    """The same Casbin decision as a request by the key: its scope on the event's module and action."""
    if access is None or not access.active:
        return False
    scope = policy.scope(access, event.module, event.action)
    return rules.may_read(scope, accounts, event.owner_principal, key_principal(access.contact_id))


async def fan_out(session: AsyncSession, policy: PolicyEngine, *, now: datetime, limit: int = BATCH) -> int:
    """Give each new event one delivery per ENABLED endpoint subscribed to its type whose key may
    read its subject; answer how many events were fanned out. The caller commits."""
    events = (
        (await session.execute(select(Event).where(Event.fanned_out_at.is_(None)).order_by(Event.id).limit(limit)))
        .scalars()
        .all()
    )
    if not events:
        return 0
    accounts = await accounts_of(session, [e.id for e in events])
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in (
        await session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.organisation_id.in_(sorted({e.organisation_id for e in events})),
                WebhookEndpoint.status == rules.ENABLED,
            )
        )
    ).scalars():
        endpoints[endpoint.organisation_id].append(endpoint)
    key_ids = sorted({ep.api_key_id for group in endpoints.values() for ep in group})
    access = await load_key_access(session, key_ids, now)
    done = 0
    for event in events:
        moved = await session.execute(
            update(Event)
            .where(Event.id == event.id, Event.fanned_out_at.is_(None))
            .values(fanned_out_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another process fanned it out first
        done += 1
        for endpoint in endpoints.get(event.organisation_id, []):
            if event.type not in endpoint.event_types:
                continue
            if not key_may_read(policy, access.get(endpoint.api_key_id), event, accounts[event.id]):
                continue
            session.add(
                WebhookDelivery(
                    organisation_id=event.organisation_id,
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    status=rules.PENDING,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    await session.flush()
    return done


async def due(session: AsyncSession, *, now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """(id, attempts) of deliveries whose next attempt is due, oldest due first."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.status.in_(rules.DUE_STATUSES), WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    return [(r.id, r.attempts) for r in rows.all()]


async def claim(session: AsyncSession, delivery_id: int, seen_attempts: int, *, now: datetime) -> bool:
    """Take the next attempt of a delivery; False when another process took it first."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.attempts == seen_attempts,
            WebhookDelivery.status.in_(rules.DUE_STATUSES),
        )
        .values(attempts=seen_attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Attempt:
    """Everything one attempt needs, read once the delivery is claimed."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: Event
    accounts: list[int]
    key_access: ContactAccess | None


async def load_attempt(session: AsyncSession, delivery_id: int, *, now: datetime) -> Attempt | None:
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint, Event)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id)
        )
    ).one_or_none()
    if row is None:
        return None
    delivery, endpoint, event = row
    accounts = (await accounts_of(session, [event.id]))[event.id]
    access = (await load_key_access(session, [endpoint.api_key_id], now)).get(endpoint.api_key_id)
    return Attempt(delivery, endpoint, event, accounts, access)


def body_of(event: Event) -> dict[str, object]:
    """The thin event of OPERATIONS.md: the receiver reads the subject with its key."""
    return {
        "id": to_global_id("Event", event.id),
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "organisationId": to_global_id("Organisation", event.organisation_id),
        "data": {"id": to_global_id(event.subject_type, event.subject_pk)},
    }


async def _set(session: AsyncSession, delivery_id: int, attempts: int, **values: object) -> bool:
    """Update the delivery only while it is still this attempt's (attempts unchanged) and waiting: one
    failed meanwhile because its endpoint was disabled stays FAILED."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.attempts == attempts,
            WebhookDelivery.status.in_(rules.DUE_STATUSES),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def record_success(session: AsyncSession, attempt: Attempt, *, status_code: int, now: datetime) -> None:
    """SUCCEEDED; a DISABLED endpoint that answers again (test, redelivery) is ENABLED again."""
    await _set(
        session,
        attempt.delivery.id,
        attempt.delivery.attempts,
        status=rules.SUCCEEDED,
        last_response_status=status_code,
        last_error=None,
        last_attempt_at=now,
        next_attempt_at=None,
    )
    if attempt.endpoint.status == rules.DISABLED:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == attempt.endpoint.id)
            .values(status=rules.ENABLED, disabled_reason=None)
            .execution_options(synchronize_session=False)
        )


async def record_refusal(session: AsyncSession, attempt: Attempt, *, reason: str, now: datetime) -> None:
    """FAILED without sending: the key may no longer read the subject (or the endpoint is disabled)."""
    await _set(
        session,
        attempt.delivery.id,
        attempt.delivery.attempts,
        status=rules.FAILED,
        last_error=reason[:500],
        last_attempt_at=now,
        next_attempt_at=None,
    )


async def record_failure(
    session: AsyncSession, attempt: Attempt, *, status_code: int | None, reason: str, now: datetime, locale: str = "en"
) -> bool:
    """RETRYING with the next attempt backed off; once 3 days are spent FAILED, the endpoint DISABLED
    (its other waiting deliveries FAILED too), audited and its organisation's admins e-mailed.
    Answer whether the endpoint was disabled now."""
    delivery = attempt.delivery
    retry_at = rules.next_attempt(delivery.created_at, delivery.attempts, now)
    common = {"last_response_status": status_code, "last_error": reason[:500], "last_attempt_at": now}
    if retry_at is not None:
        await _set(session, delivery.id, delivery.attempts, status=rules.RETRYING, next_attempt_at=retry_at, **common)
        return False
    if not await _set(session, delivery.id, delivery.attempts, status=rules.FAILED, next_attempt_at=None, **common):
        return False
    endpoint = attempt.endpoint
    disabled = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.status == rules.ENABLED)
        .values(status=rules.DISABLED, disabled_reason=render("webhook_disabled_reason", locale, {"reason": reason}))
        .execution_options(synchronize_session=False)
    )
    if disabled.rowcount != 1:  # type: ignore[attr-defined]
        return False  # already disabled (a test or redelivery to a disabled endpoint failed)
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status.in_(rules.DUE_STATUSES))
        .values(status=rules.FAILED, last_error="endpoint disabled", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    await audit(
        session,
        at=now,
        organisation_id=endpoint.organisation_id,
        actor_contact_id=None,
        action="webhook_endpoint.disabled",
        summary=f"Webhook endpoint {endpoint.url} disabled: deliveries failed for 3 days ({reason})"[:500],
        subject_id=to_global_id("WebhookEndpoint", endpoint.id),
        data={"url": endpoint.url, "reason": reason[:200]},
    )
    organisation = await session.get(models.Organisation, endpoint.organisation_id)
    params = {"url": endpoint.url, "reason": reason, "organisation": organisation.name if organisation else ""}
    for email in await admin_addresses(session, endpoint.organisation_id):
        await enqueue_email(
            session,
            to=email,
            subject=render("webhook_disabled_email_subject", locale, params),
            body=render("webhook_disabled_email_body", locale, params),
            now=now,
        )
    return True
