"""The e-mail outbox, the audit trail and the Casbin policy store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class OutboxEmail(Base):
    """Every e-mail is written here first, so a delivery failure never loses it."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = pk()
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # [{"filename": ..., "content_type": ..., "content_b64": ...}]
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "organisation_id", "at"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    action: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class CasbinRule(Base):
    """Casbin's policy table, in the layout casbin-async-sqlalchemy-adapter reads."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ptype: Mapped[str | None] = mapped_column(String(255))
    v0: Mapped[str | None] = mapped_column(String(255))
    v1: Mapped[str | None] = mapped_column(String(255))
    v2: Mapped[str | None] = mapped_column(String(255))
    v3: Mapped[str | None] = mapped_column(String(255))
    v4: Mapped[str | None] = mapped_column(String(255))
    v5: Mapped[str | None] = mapped_column(String(255))
