"""Export jobs: one durable row per export, claimed by a guarded UPDATE so it never runs twice.

The row holds everything the job needs to run later, in any process: the kind, format, filter,
and the billing accounts its principal could read when it started (rows are fixed at start by
that access, ACCESS.md rule 13), plus the highest id of the exported table then. A worker
claims a job by moving `attempt` on (UPDATE ... WHERE attempt = seen), holds it for a lease it
renews, and finishes it only if its attempt is still the row's: a worker that lost its lease
(a restart, a pause) can never complete or fail a job another worker took over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (
        Index("ix_export_jobs_org_status", "organisation_id", "status"),
        Index("ix_export_jobs_status_lease", "status", "lease_until"),
        UniqueConstraint("organisation_id", "principal", "idempotency_key", name="uq_export_jobs_principal_key"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    # "contact:<id>" or "api_key:<id>": who started it (and who may see and cancel it).
    principal: Mapped[str] = mapped_column(String(40))
    created_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    api_key_id: Mapped[int | None] = mapped_column(BigId)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # CREATED | RUNNING | COMPLETED | FAILED | CANCELED
    # The filter as given (decoded ids), and its human summary.
    filter: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    filter_summary: Mapped[str] = mapped_column(String(500))
    # The billing accounts readable at start; null: every account of the organisation.
    account_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # The exported table's highest id at start: rows created later are not exported.
    max_row_id: Mapped[int] = mapped_column(BigId, default=0)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    row_count: Mapped[int | None] = mapped_column(Integer)
    file_size: Mapped[int | None] = mapped_column(BigId)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(200))
    url_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_message: Mapped[str | None] = mapped_column(String(500))
    # Claims: each claim increments attempt; the lease says until when the claimer holds it.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
