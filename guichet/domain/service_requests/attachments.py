"""Attachment uploads: announce a file, PUT its bytes, attach it, purge what was never attached.

Limits (OPERATIONS.md): 10 MiB a file, 5 files a comment, 20 a request; PDF, PNG, JPEG, CSV or
XLSX, checked on the bytes. An upload is private to the contact who announced it until it is
attached; one never attached within 24 hours is deleted, row and bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.service_requests import Attachment
from guichet.domain.service_requests import content
from guichet.domain.service_requests.files import FileStore
from guichet.domain.service_requests.links import UPLOAD_LIFETIME, Grant

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]

MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MiB
MAX_PER_COMMENT = 5
MAX_PER_REQUEST = 20
PURGE_AFTER = timedelta(hours=24)
MAX_FILENAME = 255
PENDING = "PENDING"
UPLOADED = "UPLOADED"


@dataclass(frozen=True)
class Upload:
    attachment: Attachment
    grant: Grant
    expires_at: datetime


def clean_filename(filename: str) -> str:
    """The base name without path parts or control characters; raise VALIDATION when empty."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if not base or base in {".", ".."}:
        raise DomainError(ErrorCode.VALIDATION, "filename_invalid", field=["input", "filename"])
    return base[:MAX_FILENAME]


async def create_upload(
    uow: UnitOfWork,
    *,
    organisation_id: int,
    contact_id: int | None,
    filename: str,
    content_type: str,
    size: int,
    now: datetime,
) -> Upload:
    """Announce a file; its bytes are PUT to the upload link within 60 minutes.

    Raise DomainError(ATTACHMENT_TOO_LARGE) over 10 MiB, DomainError(ATTACHMENT_TYPE_NOT_ALLOWED)
    for a type outside PDF, PNG, JPEG, CSV and XLSX, DomainError(VALIDATION) for an empty file
    or name.
    """
    kind = content.normalise(content_type)
    if kind not in content.ALLOWED:
        raise DomainError(ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED, field=["input", "contentType"])
    if size > MAX_FILE_BYTES:
        raise DomainError(ErrorCode.ATTACHMENT_TOO_LARGE, field=["input", "size"], params={"limit": "10 MB"})
    if size <= 0:
        raise DomainError(ErrorCode.VALIDATION, "attachment_empty", field=["input", "size"])
    name = clean_filename(filename)
    expires_at = now + UPLOAD_LIFETIME
    async with uow() as session:
        attachment = Attachment(
            organisation_id=organisation_id,
            uploaded_by_contact_id=contact_id,
            filename=name,
            content_type=kind,
            size=size,
            status=PENDING,
            storage_key=secrets.token_hex(16),
            created_at=now,
            upload_expires_at=expires_at,
        )
        session.add(attachment)
        await session.flush()
    return Upload(attachment, Grant(organisation_id, attachment.id), expires_at)


def check_bytes(attachment: Attachment, *, declared_type: str | None, data: bytes) -> None:
    """Refuse bytes that are not the announced file.

    Raise DomainError(ATTACHMENT_TOO_LARGE) over 10 MiB or the announced size,
    DomainError(VALIDATION, attachment_size_mismatch) when shorter, and
    DomainError(ATTACHMENT_TYPE_NOT_ALLOWED) when the Content-Type differs from the announced
    one or the bytes are not of that type.
    """
    if len(data) > MAX_FILE_BYTES or len(data) > attachment.size:
        raise DomainError(ErrorCode.ATTACHMENT_TOO_LARGE, params={"limit": "10 MB"})
    if len(data) != attachment.size:
        raise DomainError(ErrorCode.VALIDATION, "attachment_size_mismatch")
    if declared_type is None or content.normalise(declared_type) != attachment.content_type:
        raise DomainError(ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED)
    if not content.matches(attachment.content_type, data):
        raise DomainError(ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED)


async def store_upload(
    uow: UnitOfWork,
    *,
    store: FileStore,
    grant: Grant,
    declared_type: str | None,
    data: bytes,
    now: datetime,
) -> Attachment:
    """Keep the bytes of an announced upload: file first, durably, then the row, once.

    Raise DomainError(TOKEN_INVALID) when the upload is unknown, already received or expired,
    and the refusals of check_bytes; nothing is kept then.
    """
    file_name: str | None = None
    organisation_id = grant.organisation_id
    try:
        async with uow() as session:
            attachment = (
                await session.execute(
                    select(Attachment).where(
                        Attachment.id == grant.attachment_id,
                        Attachment.organisation_id == grant.organisation_id,
                        Attachment.status == PENDING,
                        Attachment.upload_expires_at > now,
                    )
                )
            ).scalar_one_or_none()
            if attachment is None:
                raise DomainError(ErrorCode.TOKEN_INVALID)
            check_bytes(attachment, declared_type=declared_type, data=data)
            file_name = await asyncio.to_thread(store.write, organisation_id, attachment.storage_key, data)
            claimed = await session.execute(
                update(Attachment)
                .where(Attachment.id == attachment.id, Attachment.status == PENDING)
                .values(
                    status=UPLOADED,
                    file_name=file_name,
                    sha256=hashlib.sha256(data).hexdigest(),
                    uploaded_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError(ErrorCode.TOKEN_INVALID)
    except BaseException:
        # The row was not committed UPLOADED: remove the file so none outlives a failed record.
        if file_name is not None:
            await asyncio.to_thread(store.remove, organisation_id, file_name)
        raise
    async with uow() as session:
        return (await session.execute(select(Attachment).where(Attachment.id == grant.attachment_id))).scalar_one()


async def readable_file(uow: UnitOfWork, *, store: FileStore, grant: Grant) -> tuple[Attachment, bytes] | None:
    """The row and bytes a download link opens: only the named organisation's UPLOADED file."""
    async with uow() as session:
        attachment = (
            await session.execute(
                select(Attachment).where(
                    Attachment.id == grant.attachment_id,
                    Attachment.organisation_id == grant.organisation_id,
                    Attachment.status == UPLOADED,
                )
            )
        ).scalar_one_or_none()
    if attachment is None or attachment.file_name is None:
        return None
    data = await asyncio.to_thread(store.read, attachment.organisation_id, attachment.file_name)
    return (attachment, data) if data is not None else None


async def claim_for(
    session: AsyncSession,
    *,
    organisation_id: int,
    contact_id: int | None,
    attachment_ids: Sequence[int],
    service_request_id: int,
    comment_id: int | None,
    per_message_limit: int | None,
    now: datetime,
) -> list[Attachment]:
    """Attach uploads to a request (and comment) inside the caller's transaction.

    Raise DomainError(TOO_MANY_ATTACHMENTS) past 5 for a comment or 20 for the request, and
    DomainError(NOT_FOUND) on ["input", "attachmentIds", i] for an id that is not an UPLOADED,
    unattached file of this contact in this organisation.
    """
    ids = list(dict.fromkeys(attachment_ids))
    if not ids:
        return []
    if per_message_limit is not None and len(ids) > per_message_limit:
        raise DomainError(
            ErrorCode.TOO_MANY_ATTACHMENTS, field=["input", "attachmentIds"], params={"limit": per_message_limit}
        )
    already = (
        await session.execute(
            select(func.count()).select_from(Attachment).where(Attachment.service_request_id == service_request_id)
        )
    ).scalar_one()
    if already + len(ids) > MAX_PER_REQUEST:
        raise DomainError(
            ErrorCode.TOO_MANY_ATTACHMENTS, field=["input", "attachmentIds"], params={"limit": MAX_PER_REQUEST}
        )
    for index, attachment_id in enumerate(ids):
        claimed = await session.execute(
            update(Attachment)
            .where(
                Attachment.id == attachment_id,
                Attachment.organisation_id == organisation_id,
                Attachment.uploaded_by_contact_id == contact_id,
                Attachment.status == UPLOADED,
                Attachment.service_request_id.is_(None),
            )
            .values(service_request_id=service_request_id, comment_id=comment_id, attached_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "attachmentIds", str(index)])
    rows = (await session.execute(select(Attachment).where(Attachment.id.in_(ids)))).scalars().all()
    return sorted(rows, key=lambda a: ids.index(a.id))


async def purge_unattached(uow: UnitOfWork, *, store: FileStore, now: datetime) -> int:
    """Delete uploads never attached within 24 hours, rows then bytes; answer how many rows.

    Then sweep the folders: a file older than 24 hours that no row names (left by a crash between
    a rename and its commit, or between a row's deletion and its file's) is removed too.
    """
    cutoff = now - PURGE_AFTER
    async with uow() as session:
        stale = (
            await session.execute(
                select(Attachment.id, Attachment.organisation_id, Attachment.storage_key).where(
                    Attachment.service_request_id.is_(None), Attachment.created_at <= cutoff
                )
            )
        ).all()
        if stale:
            await session.execute(
                delete(Attachment)
                .where(Attachment.id.in_([row.id for row in stale]), Attachment.service_request_id.is_(None))
                .execution_options(synchronize_session=False)
            )
    for row in stale:
        await asyncio.to_thread(store.remove_prefixed, row.organisation_id, row.storage_key)
    await _sweep_strays(uow, store, cutoff)
    return len(stale)


async def _sweep_strays(uow: UnitOfWork, store: FileStore, cutoff: datetime) -> None:
    candidates = await asyncio.to_thread(store.older_than, cutoff)
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        async with uow() as session:
            rows = await session.execute(
                select(Attachment.organisation_id, Attachment.file_name).where(
                    Attachment.file_name.in_([name for _, name in chunk])
                )
            )
            kept = {(row[0], row[1]) for row in rows}
        for organisation_id, name in chunk:
            if (organisation_id, name) not in kept:
                await asyncio.to_thread(store.remove, organisation_id, name)
