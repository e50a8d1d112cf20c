"""Service requests (« demandes de services »): the request, its lines, history, comments, files.

Every table carries organisation_id: a request, its comments and its attachments are always read
through the organisation of the viewer. Status changes are UPDATEs guarded by the status they were
decided on (and the row's version), so two writers never both move one request.
Attachment bytes live under GUICHET_FILES_DIR; the row says whether its file is there (UPLOADED).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class ServiceRequest(Base):
    """One ticket shared by the customer and the operator's back office (TMF621, trimmed)."""

    __tablename__ = "service_requests"
    __table_args__ = (
        Index("ix_service_requests_org_id", "organisation_id", "id"),
        Index("ix_service_requests_status_changed", "status", "status_changed_at"),
        UniqueConstraint("created_by_contact_id", "idempotency_key", name="uq_service_requests_creator_key"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    # SR- + 8 random digits: numbers reveal nothing about other organisations' volume.
    number: Mapped[str] = mapped_column(String(11), unique=True)
    billing_account_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    category: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    # Orders and contracts are other areas' tables: plain ids, checked by the service.
    order_id: Mapped[int | None] = mapped_column(BigId)
    contract_id: Mapped[int | None] = mapped_column(BigId)
    related_request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("service_requests.id"))
    created_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the current status was entered: the job's clock for RESOLVED and AWAITING_CUSTOMER.
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_code: Mapped[str | None] = mapped_column(String(50))
    resolution_summary: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # SLA: due dates from createdAt + the category's hours; the clock stops while AWAITING_CUSTOMER.
    response_hours: Mapped[int | None] = mapped_column(Integer)
    resolution_hours: Mapped[int | None] = mapped_column(Integer)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class ServiceRequestLine(Base):
    """A fleet line a request is about."""

    __tablename__ = "service_request_lines"

    service_request_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("lines.id"), primary_key=True, index=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))


class ServiceRequestStatusChange(Base):
    """One entry of a request's status history (by_contact_id null: support or the job)."""

    __tablename__ = "service_request_status_changes"
    __table_args__ = (Index("ix_service_request_status_changes_request", "service_request_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    service_request_id: Mapped[int] = mapped_column(BigId, ForeignKey("service_requests.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    note: Mapped[str | None] = mapped_column(Text)


class ServiceRequestComment(Base):
    """A public comment, from the customer or from support (internal notes never reach Guichet)."""

    __tablename__ = "service_request_comments"
    __table_args__ = (Index("ix_service_request_comments_request", "service_request_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    service_request_id: Mapped[int] = mapped_column(BigId, ForeignKey("service_requests.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    author_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    from_support: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A file uploaded by a contact: PENDING until its bytes are stored, then UPLOADED.

    `storage_key` is fixed at creation and prefixes every file written for it, so a file written
    but never recorded is still found (and purged) through its row; an UPLOADED row always has
    its file, named by `file_name`.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_org_id", "organisation_id", "id"),
        Index("ix_attachments_request", "service_request_id"),
        Index("ix_attachments_unattached", "service_request_id", "created_at"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    uploaded_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # PENDING | UPLOADED
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The stored file's name (storage_key + "." + a per-upload suffix), set with UPLOADED.
    file_name: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    service_request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("service_requests.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("service_request_comments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    upload_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ServiceRequestEvent(Base):
    """A back-office webhook event already applied: the same eventId again changes nothing."""

    __tablename__ = "service_request_events"

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    service_request_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ServiceRequestCategorySetting(Base):
    """An organisation's own response and resolution hours for one category (from the feed)."""

    __tablename__ = "service_request_category_settings"
    __table_args__ = (UniqueConstraint("organisation_id", "category"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    category: Mapped[str] = mapped_column(String(30))
    response_hours: Mapped[int | None] = mapped_column(Integer)
    resolution_hours: Mapped[int | None] = mapped_column(Integer)
