"""The demo's service requests: one awaiting the customer's answer, one resolved waiting for
confirmation, one with an attachment, one closed. Written straight after the demo feed's import,
in its transaction, dated relative to now."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.models.service_requests import (
    Attachment,
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestLine,
    ServiceRequestStatusChange,
)
from guichet.domain.service_requests.categories import DEFAULTS, Category
from guichet.domain.service_requests.files import FileStore
from guichet.domain.service_requests.services import SUPPORT_NAME, new_number

DEMO_CREATOR = "commercial@acme.example"
DEMO_CSV = "ligne,action\n+2250700000001,suspendre\n+2250700000002,réactiver\n".encode()


async def seed_demo_requests(session: AsyncSession, *, files_dir: str, now: datetime) -> int:
    """Add the demo requests of ACME's commercial contact; answer how many (0 without that contact)."""
    contact = (
        await session.execute(
            select(models.Contact)
            .join(models.Person, models.Person.id == models.Contact.person_id)
            .where(models.Person.email == DEMO_CREATOR)
        )
    ).scalar_one_or_none()
    if contact is None:
        return 0
    account = (
        (
            await session.execute(
                select(models.BillingAccount)
                .where(models.BillingAccount.organisation_id == contact.organisation_id)
                .order_by(models.BillingAccount.number)
            )
        )
        .scalars()
        .first()
    )
    if account is None:
        return 0
    lines = (
        (
            await session.execute(
                select(models.Line).where(models.Line.billing_account_id == account.id).order_by(models.Line.number)
            )
        )
        .scalars()
        .all()
    )
    invoice = (
        (
            await session.execute(
                select(models.Invoice)
                .where(models.Invoice.billing_account_id == account.id)
                .order_by(models.Invoice.issue_date.desc())
            )
        )
        .scalars()
        .first()
    )
    org_id = contact.organisation_id

    async def request(
        category: Category,
        subject: str,
        description: str,
        story: list[tuple[str, datetime, str | None]],
        **extra: object,
    ) -> ServiceRequest:
        info = DEFAULTS[category]
        created = story[0][1]
        status, changed, _ = story[-1]
        row = ServiceRequest(
            organisation_id=org_id,
            number=new_number(),
            billing_account_id=account.id,
            category=category.value,
            priority="NORMAL",
            status=status,
            subject=subject,
            description=description,
            created_by_contact_id=contact.id,
            created_at=created,
            updated_at=changed,
            status_changed_at=changed,
            responded_at=story[1][1] if len(story) > 1 else None,
            response_hours=info.response_hours,
            resolution_hours=info.resolution_hours,
            paused_seconds=0,
            version=len(story),
            **extra,
        )
        session.add(row)
        await session.flush()
        for state, at, note in story:
            session.add(
                ServiceRequestStatusChange(
                    organisation_id=org_id,
                    service_request_id=row.id,
                    status=state,
                    at=at,
                    by_contact_id=contact.id if state == "SUBMITTED" else None,
                    note=note,
                )
            )
        return row

    def ago(hours: float) -> datetime:
        return now - timedelta(hours=hours)

    question = "Pouvez-vous redémarrer le terminal et nous dire si l'appel passe ?"
    awaiting = await request(
        Category.INCIDENT,
        "Plus d'appels entrants",
        "La ligne ne reçoit plus d'appels depuis hier matin.",
        [
            ("SUBMITTED", ago(30), None),
            ("ACKNOWLEDGED", ago(29), None),
            ("IN_PROGRESS", ago(28), None),
            ("AWAITING_CUSTOMER", ago(6), question),
        ],
        paused_since=ago(6),
    )
    resolved = await request(
        Category.BILLING_CLAIM,
        "Option facturée deux fois",
        "L'option data 10 Go apparaît deux fois sur la facture.",
        [
            ("SUBMITTED", ago(96), None),
            ("ACKNOWLEDGED", ago(90), None),
            ("IN_PROGRESS", ago(80), None),
            ("RESOLVED", ago(48), "Un avoir sera déduit de la prochaine facture."),
        ],
        invoice_id=invoice.id if invoice is not None else None,
        resolved_at=ago(48),
        resolution_code="credit_note",
        resolution_summary="Un avoir sera déduit de la prochaine facture.",
    )
    with_file = await request(
        Category.LINE_MANAGEMENT,
        "Suspendre et réactiver deux lignes",
        "La liste des lignes est jointe.",
        [("SUBMITTED", ago(2), None)],
    )
    closed = await request(
        Category.INFORMATION,
        "Horaires de l'agence de Cocody",
        "Quels sont les horaires d'ouverture le samedi ?",
        [
            ("SUBMITTED", ago(400), None),
            ("ACKNOWLEDGED", ago(399), None),
            ("IN_PROGRESS", ago(398), None),
            ("RESOLVED", ago(397), "De 8 h à 13 h."),
            ("CLOSED", ago(200), None),
        ],
        resolved_at=ago(397),
        closed_at=ago(200),
        resolution_code="answered",
        resolution_summary="De 8 h à 13 h.",
    )
    for row in (awaiting, with_file):
        if lines:
            session.add(ServiceRequestLine(service_request_id=row.id, line_id=lines[0].id, organisation_id=org_id))
    session.add(
        ServiceRequestComment(
            organisation_id=org_id,
            service_request_id=awaiting.id,
            body=question,
            author_name=SUPPORT_NAME,
            from_support=True,
            created_at=ago(6),
        )
    )
    key = secrets.token_hex(16)
    file_name = FileStore(Path(files_dir)).write(org_id, key, DEMO_CSV)
    session.add(
        Attachment(
            organisation_id=org_id,
            uploaded_by_contact_id=contact.id,
            filename="lignes.csv",
            content_type="text/csv",
            size=len(DEMO_CSV),
            status="UPLOADED",
            storage_key=key,
            file_name=file_name,
            sha256=hashlib.sha256(DEMO_CSV).hexdigest(),
            service_request_id=with_file.id,
            created_at=ago(2),
            upload_expires_at=ago(1),
            uploaded_at=ago(2),
            attached_at=ago(2),
        )
    )
    await session.flush()
    return len((awaiting, resolved, with_file, closed))
