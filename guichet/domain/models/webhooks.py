"""Outgoing webhooks: endpoints, the events of the last 30 days, and the delivery outbox.

An `Event` is written by `domain.webhooks.events.record_event` inside the transaction of the
change it reports, with `fanned_out_at` NULL: that row is the outbox. The delivery loop fans
each event out once (one `WebhookDelivery` per endpoint subscribed to its type whose key may read
its subject, under a guarded UPDATE of `fanned_out_at`), then delivers the deliveries that are
due, claiming each by moving `attempts` on (UPDATE ... WHERE attempts = seen), so two processes
never send the same attempt and a restart loses nothing. `EventAccount` rows name the billing
accounts of the subject: a reader reaching only some accounts reads an event only when it reaches
every one of them (as for payments).

The signing secret is never stored: `secret_salt` and GUICHET_SECRET_KEY derive it
(domain.webhooks.signing), so a copy of the database alone cannot sign.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class WebhookEndpoint(Base):
    """An https URL receiving the organisation's events of some types, as its API key may read them."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org_id", "organisation_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    api_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_keys.id"))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10))  # ENABLED | DISABLED
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    secret_salt: Mapped[str] = mapped_column(String(64))
    created_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    """Something that happened to a subject (invoice, payment...): kept 30 days, delivered once per endpoint."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_id", "organisation_id", "id"),
        Index("ix_events_fan_out", "fanned_out_at", "id"),
        Index("ix_events_created", "created_at"),
        Index("ix_events_type_subject", "type", "subject_pk"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    type: Mapped[str] = mapped_column(String(40))
    # The subject's node type ("Invoice") and primary key: its global ID is rendered from both.
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_pk: Mapped[int] = mapped_column(BigId)
    # The permission that reads the subject, and (exports) the one principal that may.
    module: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(10))
    owner_principal: Mapped[str | None] = mapped_column(String(40))
    # sendTestWebhook's events: delivered to their endpoint only, never listed.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventAccount(Base):
    """One billing account of an event's subject (none: the subject belongs to the whole organisation)."""

    __tablename__ = "event_accounts"

    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    billing_account_id: Mapped[int] = mapped_column(BigId, primary_key=True)


class WebhookDelivery(Base):
    """One event to one endpoint: its attempts, and when the next is due (the delivery outbox)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    endpoint_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # PENDING | RETRYING | SUCCEEDED | FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the next attempt is due (PENDING, RETRYING); while claimed, until when the claim holds.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
