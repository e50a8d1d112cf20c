"""People (login identities), contacts (memberships), sessions, one-time tokens, login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Contact(Base):
    """A person's membership of one organisation."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("organisation_id", "person_id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # INVITED | ACTIVE | DISABLED
    is_primary_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleAssignment(Base):
    """A role held by a contact over the whole organisation, or over one billing account."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("contact_id", "role", "billing_account_id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    billing_account_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("billing_accounts.id"))


class ContactPermission(Base):
    """A per-contact module grant (effect 'allow') or denial (effect 'deny')."""

    __tablename__ = "contact_permissions"
    __table_args__ = (UniqueConstraint("contact_id", "module", "action", "effect"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"), index=True)
    module: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(20))
    effect: Mapped[str] = mapped_column(String(10))


class Session(Base):
    """A signed-in session; only the SHA-256 of its bearer token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = pk()
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OneTimeToken(Base):
    """A single-use token (password reset, activation, invitation), stored as its SHA-256."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = pk()
    purpose: Mapped[str] = mapped_column(String(30))  # reset-password | activate | invitation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """One failed sign-in or reset attempt, kept to throttle by e-mail across server processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"),)

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))  # login | reset | ...
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    # [{"role": "FINANCE", "billingAccountId": 12 | null}, ...]
    roles: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # PENDING | ACCEPTED | REVOKED (EXPIRED is derived)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
