"""« Envoyer la liste des factures par e-mail »: the filtered list as CSV, to members only, throttled.

One service, one transaction (the caller's unit of work): check the recipients, check the
throttle, read the list, write one outbox e-mail per recipient and one audit event. Nothing is
sent when any check fails.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, DomainErrors, ErrorCode
from guichet.domain.invoices import queries
from guichet.domain.invoices import status as rules
from guichet.domain.mail import Attachment, enqueue_email
from guichet.domain.money import Money

AUDIT_ACTION = "invoices.list_emailed"
MAX_PER_HOUR = 5
MAX_RECIPIENTS = 10
MAX_ROWS = 10_000
CSV_COLUMNS = (
    "number",
    "billing_account",
    "service_type",
    "issue_date",
    "due_date",
    "status",
    "currency",
    "total",
    "amount_paid",
    "rewards_applied",
    "amount_due",
    "payment_pending",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListRequest:
    organisation_id: int
    contact_id: int
    viewer_email: str
    # None: every billing account; else the accounts both READ and EXPORT reach.
    account_ids: frozenset[int] | None
    criteria: queries.InvoiceCriteria
    recipients: Sequence[str] | None
    locale: str
    today: date
    now: datetime


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def invoices_csv(rows: Sequence[Any], accounts: dict[int, str]) -> bytes:
    """The list as UTF-8 CSV (with BOM, so spreadsheet software detects the encoding)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        currency = row.currency
        writer.writerow(
            [
                safe_cell(row.number),
                safe_cell(accounts.get(row.billing_account_id, "")),
                row.service_type,
                row.issue_date.isoformat(),
                row.due_date.isoformat(),
                row.status,
                currency,
                str(Money(row.total_minor, currency).amount),
                str(
                    Money(
                        rules.paid_by_payments_minor(row.amount_paid_minor, row.rewards_applied_minor), currency
                    ).amount
                ),
                str(Money(row.rewards_applied_minor, currency).amount),
                str(Money(rules.amount_due_minor(row.total_minor, row.amount_paid_minor), currency).amount),
                "yes" if row.pending_payment_id is not None else "no",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


async def _active_member_emails(session: AsyncSession, organisation_id: int) -> set[str]:
    emails = await session.execute(
        select(func.lower(models.Person.email))
        .join(models.Contact, models.Contact.person_id == models.Person.id)
        .where(models.Contact.organisation_id == organisation_id, models.Contact.status == "ACTIVE")
    )
    return set(emails.scalars())


async def _check_recipients(session: AsyncSession, request: ListRequest) -> list[str]:
    """Raise DomainErrors(VALIDATION) naming each recipient that is not an active contact here."""
    wanted = list(request.recipients) if request.recipients else [request.viewer_email]
    if len(wanted) > MAX_RECIPIENTS:
        raise DomainError(
            ErrorCode.VALIDATION,
            "invoice_list_too_many_recipients",
            field=["input", "to"],
            params={"max": MAX_RECIPIENTS},
        )
    members = await _active_member_emails(session, request.organisation_id)
    errors = [
        DomainError(ErrorCode.VALIDATION, "invoice_list_recipient_not_member", field=["input", "to", str(i)])
        for i, address in enumerate(wanted)
        if address.strip().lower() not in members
    ]
    if errors:
        raise DomainErrors(errors)
    unique: dict[str, None] = {}
    for address in wanted:
        unique.setdefault(address.strip().lower(), None)
    return list(unique)


async def _check_throttle(session: AsyncSession, request: ListRequest) -> None:
    """Raise DomainError(TOO_MANY_ATTEMPTS) after MAX_PER_HOUR lists in the last hour (counted in the DB)."""
    since = request.now - timedelta(hours=1)
    sent = await session.execute(
        select(func.count(), func.min(models.AuditEvent.at)).where(
            and_(
                models.AuditEvent.organisation_id == request.organisation_id,
                models.AuditEvent.actor_contact_id == request.contact_id,
                models.AuditEvent.action == AUDIT_ACTION,
                models.AuditEvent.at > since,
            )
        )
    )
    count, oldest = sent.one()
    if count >= MAX_PER_HOUR:
        wait = (oldest + timedelta(hours=1) - request.now) if oldest is not None else timedelta(hours=1)
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        raise DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            "invoice_list_throttled",
            field=["input"],
            params={"max": MAX_PER_HOUR, "minutes": minutes},
        )


_TEXTS = {
    "fr": {
        "subject": "Liste des factures - {org}",
        "intro": "Veuillez trouver ci-joint la liste des factures de {org} ({count} factures), envoyée par {sender}.",
        "truncated": "La pièce jointe contient les {max} premières.",
        "due": "Reste à payer : {amounts}.",
        "status": "{overdue} en retard, {open} à payer, {paid} payées.",
        "none": "aucun",
    },
    "en": {
        "subject": "Invoice list - {org}",
        "intro": "Please find attached the invoice list of {org} ({count} invoices), sent by {sender}.",
        "truncated": "The attachment holds the first {max}.",
        "due": "Amount due: {amounts}.",
        "status": "{overdue} overdue, {open} open, {paid} paid.",
        "none": "nothing",
    },
}


def summary_text(summary: queries.Summary, *, org: str, sender: str, locale: str) -> str:
    texts = _TEXTS.get(locale, _TEXTS["en"])
    amounts = ", ".join(Money(m, c).format(locale) for c, m in summary.due.items()) or texts["none"]
    lines = [
        texts["intro"].format(org=org, count=summary.count, sender=sender),
        texts["due"].format(amounts=amounts),
        texts["status"].format(
            overdue=summary.by_status[rules.OVERDUE].count,
            open=summary.by_status[rules.OPEN].count,
            paid=summary.by_status[rules.PAID].count,
        ),
    ]
    if summary.count > MAX_ROWS:
        lines.append(texts["truncated"].format(max=MAX_ROWS))
    return "\n\n".join(lines) + "\n"


async def email_invoice_list(session: AsyncSession, request: ListRequest) -> int:
    """E-mail the filtered list to each recipient; return how many invoices it holds.

    Raise DomainErrors(VALIDATION) for a malformed filter or a recipient who is not an active
    contact of the organisation, DomainError(TOO_MANY_ATTEMPTS) past the hourly limit.
    """
    request.criteria.validate()
    recipients = await _check_recipients(session, request)
    await _check_throttle(session, request)
    where = queries.conditions(
        organisation_id=request.organisation_id,
        account_ids=request.account_ids,
        criteria=request.criteria,
        today=request.today,
    )
    rows = (
        await session.execute(
            queries.page_statement(
                where,
                queries.InvoiceOrdering("DUE_DATE", descending=False),
                after=None,
                limit=MAX_ROWS,
                today=request.today,
            )
        )
    ).all()
    summary = queries.summarise((await session.execute(queries.summary_statement(where, today=request.today))).all())
    org = await session.get(models.Organisation, request.organisation_id)
    org_name = org.name if org is not None else ""
    account_rows = await session.execute(
        select(models.BillingAccount.id, models.BillingAccount.number).where(
            models.BillingAccount.organisation_id == request.organisation_id
        )
    )
    accounts = {pk: number for pk, number in account_rows.all()}
    attachment = Attachment(
        filename=f"invoices-{request.today.isoformat()}.csv",
        content_type="text/csv; charset=utf-8",
        content=invoices_csv(rows, accounts),
    )
    texts = _TEXTS.get(request.locale, _TEXTS["en"])
    body = summary_text(summary, org=org_name, sender=request.viewer_email, locale=request.locale)
    for address in recipients:
        await enqueue_email(
            session,
            to=address,
            subject=texts["subject"].format(org=org_name),
            body=body,
            now=request.now,
            attachments=[attachment],
        )
    await record_event(
        session,
        at=request.now,
        organisation_id=request.organisation_id,
        actor_contact_id=request.contact_id,
        action=AUDIT_ACTION,
        summary=f"Invoice list ({summary.count} invoices) e-mailed to {', '.join(recipients)}",
        data={"count": summary.count, "recipients": recipients},
    )
    return summary.count
