"""Service-request test data: a world with lines and an invoice, requests in any status,
signed back-office deliveries, sample files, and a snapshot of everything a request can change."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

from guichet.domain import models
from guichet.domain.models.service_requests import (
    Attachment,
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestEvent,
    ServiceRequestStatusChange,
)
from guichet.domain.payments.webhooks import signature_header
from guichet.domain.service_requests import attachments
from guichet.domain.service_requests.categories import Category
from guichet.domain.service_requests.services import Actor, NewRequest, create_service_request
from tests.conftest import TEST_NOW
from tests.factories import Member, make_account, make_invoice, make_line, make_member, make_organisation

WEBHOOK_SECRET = "test-webhook-secret"
WEBHOOK_PATH = "/webhooks/back-office/service-requests"
_events = itertools.count(1)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
CSV = "ligne,montant\n+2250701020304,15000\nÉlodie,1\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def uow_of(sessionmaker: Any) -> Any:
    @asynccontextmanager
    async def uow() -> AsyncIterator[Any]:
        async with sessionmaker() as session, session.begin():
            yield session

    return uow


@dataclass
class SrWorld:
    org: models.Organisation
    account: models.BillingAccount
    other_account: models.BillingAccount
    line: models.Line
    invoice: models.Invoice
    creator: Member
    colleague: Member

    @property
    def actor(self) -> Actor:
        return Actor(self.org.id, self.creator.contact_id, None)

    @property
    def colleague_actor(self) -> Actor:
        return Actor(self.org.id, self.colleague.contact_id, frozenset({self.account.id}))


async def make_sr_world(sessionmaker: Any, *, name: str = "ACME") -> SrWorld:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name=name)
        account = await make_account(session, org)
        other = await make_account(session, org, name="Agence")
        line = await make_line(session, account)
        invoice = await make_invoice(session, account)
        creator = await make_member(session, org, roles=[("COMMERCIAL", None)])
        colleague = await make_member(session, org, roles=[("FINANCE", account.id)])
    return SrWorld(org, account, other, line, invoice, creator, colleague)


async def open_request(
    sessionmaker: Any,
    world: SrWorld,
    *,
    category: Category = Category.INCIDENT,
    key: str | None = None,
    attachment_ids: tuple[int, ...] = (),
    now: datetime = TEST_NOW,
) -> ServiceRequest:
    new = NewRequest(
        category=category,
        subject="Ligne coupée",
        description="La ligne ne reçoit plus d'appels depuis ce matin.",
        idempotency_key=key or f"key-{next(_events)}",
        billing_account_id=world.account.id,
        line_ids=(world.line.id,) if category in (Category.INCIDENT, Category.LINE_MANAGEMENT) else (),
        invoice_id=world.invoice.id if category is Category.BILLING_CLAIM else None,
        attachment_ids=attachment_ids,
    )
    outcome = await create_service_request(
        uow_of(sessionmaker), actor=world.actor, new=new, categories_file=None, now=now
    )
    return outcome.request


async def force_status(sessionmaker: Any, request_id: int, status: str, *, at: datetime, **values: Any) -> None:
    """Put a request in a status directly (tests of what follows it)."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id == request_id)
            .values(status=status, status_changed_at=at, **values)
        )


def signed(
    payload: dict[str, Any] | bytes, *, at: datetime, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {
        "Guichet-Signature": signature_header(body, secret, int(at.timestamp())),
        "Content-Type": "application/json",
    }


async def back_office(
    http: httpx.AsyncClient, payload: dict[str, Any], *, at: datetime = TEST_NOW, secret: str = WEBHOOK_SECRET
) -> httpx.Response:
    payload = {"eventId": f"evt-{next(_events)}", **payload}
    body, headers = signed(payload, at=at, secret=secret)
    return await http.post(WEBHOOK_PATH, content=body, headers=headers)


async def announce(
    sessionmaker: Any,
    world: SrWorld,
    *,
    filename: str = "facture.pdf",
    content_type: str = "application/pdf",
    data: bytes = PDF,
    member: Member | None = None,
    now: datetime = TEST_NOW,
) -> attachments.Upload:
    return await attachments.create_upload(
        uow_of(sessionmaker),
        organisation_id=world.org.id,
        contact_id=(member or world.creator).contact_id,
        filename=filename,
        content_type=content_type,
        size=len(data),
        now=now,
    )


@dataclass(frozen=True)
class Snapshot:
    requests: tuple[tuple[Any, ...], ...]
    history: int
    comments: int
    events: int
    attachments: tuple[tuple[Any, ...], ...]
    emails: int
    audit: int


async def snapshot(sessionmaker: Any) -> Snapshot:
    async with sessionmaker() as session:

        async def count(model: Any) -> int:
            return (await session.execute(select(func.count()).select_from(model))).scalar_one()

        requests = (
            await session.execute(
                select(
                    ServiceRequest.id,
                    ServiceRequest.status,
                    ServiceRequest.version,
                    ServiceRequest.updated_at,
                    ServiceRequest.resolution_code,
                    ServiceRequest.responded_at,
                ).order_by(ServiceRequest.id)
            )
        ).all()
        files = (
            await session.execute(
                select(Attachment.id, Attachment.status, Attachment.service_request_id, Attachment.file_name).order_by(
                    Attachment.id
                )
            )
        ).all()
        return Snapshot(
            requests=tuple(tuple(r) for r in requests),
            history=await count(ServiceRequestStatusChange),
            comments=await count(ServiceRequestComment),
            events=await count(ServiceRequestEvent),
            attachments=tuple(tuple(r) for r in files),
            emails=await count(models.OutboxEmail),
            audit=await count(models.AuditEvent),
        )


async def status_of(sessionmaker: Any, request_id: int) -> ServiceRequest:
    async with sessionmaker() as session:
        return (await session.execute(select(ServiceRequest).where(ServiceRequest.id == request_id))).scalar_one()


async def emails_to(sessionmaker: Any, address: str) -> list[models.OutboxEmail]:
    async with sessionmaker() as session:
        return list(
            (
                await session.execute(
                    select(models.OutboxEmail)
                    .where(models.OutboxEmail.to_address == address)
                    .order_by(models.OutboxEmail.id)
                )
            ).scalars()
        )


def stored_files(files_dir: str | Path) -> list[str]:
    root = Path(files_dir) / "attachments"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
