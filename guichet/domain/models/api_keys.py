"""API keys: credentials of unattended jobs, principals of their organisation (ACCESS.md rule 14).

Only SHA-256 hashes of secrets are stored. A rotation moves the current hash to
`previous_secret_hash`, accepted until `previous_valid_until` (the grace period). The status is
derived, never stored: REVOKED once `revoked_at` is set, EXPIRED from `expires_at` on, ACTIVE
otherwise. Permissions are a snapshot of what the creator held at creation: one row per
(module, action, billing account or NULL for the whole organisation).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class ApiKey(Base):
    """One key of an organisation; survives its creator's departure."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_org_id", "organisation_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    billing_account_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    # None: any document the server accepts; else only these trusted-document ids ("sha256:<hex>").
    allowed_document_ids: Mapped[list[str] | None] = mapped_column(JSON)
    created_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))


class ApiKeyPermission(Base):
    """One (module, action) a key holds, over one billing account or (NULL) the whole organisation."""

    __tablename__ = "api_key_permissions"
    __table_args__ = (
        UniqueConstraint("api_key_id", "module", "action", "billing_account_id", name="uq_api_key_permissions_row"),
    )

    id: Mapped[int] = pk()
    api_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    module: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(10))
    billing_account_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("billing_accounts.id"))


class RateBucket(Base):
    """One principal's leaky bucket (OPERATIONS.md "Rate limit") when PostgreSQL holds them."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Thousandths of a point (no float column anywhere: integers only).
    available_milli: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Whether the last debit fitted: read back by the same statement that debited.
    last_allowed: Mapped[bool] = mapped_column(Boolean, default=True)


class TrustedDocument(Base):
    """A GraphQL document by its id (`sha256:` + hex of its body): from a manifest (trusted), or
    registered by Apollo's automatic persisted queries (known, not trusted)."""

    __tablename__ = "trusted_documents"

    document_id: Mapped[str] = mapped_column(String(71), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10))  # "manifest" or "apq"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
