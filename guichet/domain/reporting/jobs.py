"""Starting and cancelling export jobs (one transaction each); the rows a principal may see.

Access is decided above (REPORTS EXPORT plus READ on the data's module, ACCESS.md rule 13); the
request carries the billing accounts both reach at start, and they are stored on the job: the
worker reads only those, whatever the principal's access becomes while it runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting import sources, transitions

MAX_RUNNING_PER_ORGANISATION = 2
MAX_IDEMPOTENCY_KEY = 255
FORMATS = {"CSV", "JSONL", "ZIP"}


@dataclass(frozen=True)
class ExportChange:
    """An export's progress or status changed (published for exportUpdated)."""

    kind: str
    id: int
    organisation_id: int


@dataclass(frozen=True)
class Principal:
    """Who starts, sees and cancels an export: a contact, or an API key (then contact_id is None)."""

    contact_id: int | None
    api_key_id: int | None = None

    @property
    def key(self) -> str:
        return f"api_key:{self.api_key_id}" if self.api_key_id is not None else f"contact:{self.contact_id}"


@dataclass(frozen=True)
class StartRequest:
    organisation_id: int
    principal: Principal
    kind: str
    format: str
    # {"invoice": {...}, "payment": {...}, "from": "YYYY-MM-DD", "to": ...}: JSON values only.
    filter: dict[str, Any]
    account_ids: frozenset[int] | None
    idempotency_key: str
    now: datetime
    summary: str = field(default="")


def check_kind(kind: str, file_format: str) -> None:
    """Raise DomainError(VALIDATION) for a kind Guichet has no area for, or a format it is not made in."""
    if kind in sources.UNAVAILABLE_KINDS:
        raise DomainError(
            ErrorCode.VALIDATION, "export_kind_not_available", field=["input", "kind"], params={"kind": kind}
        )
    wants_zip = kind == sources.ExportKind.INVOICE_PDFS
    if file_format not in FORMATS or (file_format == "ZIP") != wants_zip:
        raise DomainError(
            ErrorCode.VALIDATION,
            "export_pdfs_zip_only" if wants_zip else "export_format_table_only",
            field=["input", "format"],
        )


def _fingerprint(request: StartRequest) -> str:
    body = orjson.dumps([request.kind, request.format, request.filter], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


async def start_export(session: AsyncSession, request: StartRequest) -> ExportJob:
    """Record a CREATED export the worker will run; the same idempotency key answers the same job.

    Raise DomainError(VALIDATION) for an unavailable kind, a wrong format or a bad key,
    DomainError(IDEMPOTENCY_KEY_REUSED) for a key already used for another export,
    DomainError(EXPORT_LIMIT_REACHED) when the organisation already has 2 exports waiting or running.
    """
    check_kind(request.kind, request.format)
    key = request.idempotency_key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError(ErrorCode.VALIDATION, "export_idempotency_key_invalid", field=["input", "idempotencyKey"])
    # One writer at a time per organisation, so two concurrent starts never both pass the limit.
    await session.execute(
        select(models.Organisation.id).where(models.Organisation.id == request.organisation_id).with_for_update()
    )
    existing = (
        await session.execute(
            select(ExportJob).where(
                ExportJob.organisation_id == request.organisation_id,
                ExportJob.principal == request.principal.key,
                ExportJob.idempotency_key == key,
            )
        )
    ).scalar_one_or_none()
    fingerprint = _fingerprint(request)
    if existing is not None:
        if existing.filter.get("fingerprint") != fingerprint:
            raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
        return existing
    active = (
        await session.execute(
            select(func.count()).where(
                ExportJob.organisation_id == request.organisation_id, ExportJob.status.in_(transitions.ACTIVE)
            )
        )
    ).scalar_one()
    if active >= MAX_RUNNING_PER_ORGANISATION:
        raise DomainError(ErrorCode.EXPORT_LIMIT_REACHED, field=["input"], params={"max": MAX_RUNNING_PER_ORGANISATION})
    job = ExportJob(
        organisation_id=request.organisation_id,
        principal=request.principal.key,
        created_by_contact_id=request.principal.contact_id,
        api_key_id=request.principal.api_key_id,
        idempotency_key=key,
        kind=request.kind,
        format=request.format,
        status=transitions.CREATED,
        filter={**request.filter, "fingerprint": fingerprint},
        filter_summary=request.summary[:500],
        account_ids=sorted(request.account_ids) if request.account_ids is not None else None,
        max_row_id=await sources.max_row_id(session, request.kind),
        columns=list(sources.columns_of(request.kind)),
        created_at=request.now,
        attempt=0,
    )
    session.add(job)
    await session.flush()
    await record_event(
        session,
        at=request.now,
        organisation_id=request.organisation_id,
        actor_contact_id=request.principal.contact_id,
        action="export.started",
        subject_id=to_global_id("ExportJob", job.id),
        summary=f"Export {request.kind} ({request.format}) started: {job.filter_summary}"[:500],
        data={"kind": request.kind, "format": request.format, "principal": request.principal.key},
    )
    return job


async def cancel_export(session: AsyncSession, *, export_id: int, principal: Principal, now: datetime) -> ExportJob:
    """Cancel one of the principal's exports that is waiting or running (the worker then stops).

    Raise DomainError(NOT_FOUND) for an export that is not the principal's,
    DomainError(EXPORT_NOT_CANCELLABLE) for one already finished.
    """
    job = (
        await session.execute(
            select(ExportJob).where(ExportJob.id == export_id, ExportJob.principal == principal.key).with_for_update()
        )
    ).scalar_one_or_none()
    if job is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "exportId"])
    seen = transitions.effective_status(job.status, job.url_expires_at, now)
    status = transitions.next_status(seen, "cancel")
    result = await session.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id, ExportJob.status == job.status)
        .values(status=status, completed_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.EXPORT_NOT_CANCELLABLE, field=["input", "exportId"])
    await session.refresh(job)
    return job


def visible_statement(organisation_id: int, principal: Principal, statuses: list[str], now: datetime) -> Any:
    """The principal's own exports in the organisation, filtered by (effective) status."""
    statement = select(ExportJob).where(
        ExportJob.organisation_id == organisation_id, ExportJob.principal == principal.key
    )
    if statuses:
        conditions = []
        for status in statuses:
            if status == transitions.EXPIRED:
                conditions.append((ExportJob.status == transitions.COMPLETED) & (ExportJob.url_expires_at <= now))
            elif status == transitions.COMPLETED:
                conditions.append((ExportJob.status == transitions.COMPLETED) & (ExportJob.url_expires_at > now))
            else:
                conditions.append(ExportJob.status == status)
        statement = statement.where(or_(*conditions))
    return statement.execution_options(populate_existing=True)
