"""The files of contracts: the billing schedule as CSV or PDF, and a PDF summary of a contract.

What a file holds is decided when its signed link is minted (the organisation, the viewer's
scope, the filter): the link's subject carries it (FileRequest), so the download reads exactly
what the viewer could read then. Signing is the invoice links' scheme (domain/invoices/links.py)
under its own purposes; the PDFs use the invoice PDF's set-up (domain/invoices/pdf.py).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.contracts import queries, rules
from guichet.domain.invoices import links
from guichet.domain.invoices.pdf import format_amount, format_date, new_pdf, pdf_text
from guichet.domain.models.contracts import Contract
from guichet.domain.money import Money

SCHEDULE = "guichet.billing-schedule-file"
DOCUMENT = "guichet.contract-pdf"
CSV = "CSV"
PDF = "PDF"
CSV_HEADER = (
    "contract",
    "product",
    "period_start",
    "period_end",
    "invoicing_date",
    "amount",
    "currency",
    "status",
    "invoice",
)


@dataclass(frozen=True)
class FileRequest:
    """What a signed file link opens: one organisation, the accounts then in scope, the filter."""

    organisation_id: int
    account_ids: tuple[int, ...] | None
    criteria: queries.ScheduleCriteria
    file_format: str

    def encode(self) -> str:
        c = self.criteria
        body = {
            "o": self.organisation_id,
            "a": list(self.account_ids) if self.account_ids is not None else None,
            "s": list(c.statuses),
            "f": c.start.isoformat() if c.start else None,
            "t": c.end.isoformat() if c.end else None,
            "b": c.billing_account_id,
            "c": c.contract_id,
            "x": self.file_format,
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, subject: str) -> FileRequest:
        body = json.loads(base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4)))
        return cls(
            organisation_id=int(body["o"]),
            account_ids=tuple(body["a"]) if body["a"] is not None else None,
            criteria=queries.ScheduleCriteria(
                statuses=tuple(body["s"]),
                start=date.fromisoformat(body["f"]) if body["f"] else None,
                end=date.fromisoformat(body["t"]) if body["t"] else None,
                billing_account_id=body["b"],
                contract_id=body["c"],
            ),
            file_format=body["x"],
        )


def schedule_url(public_url: str, secret_key: str, request: FileRequest, now: datetime) -> str:
    """A link valid five minutes to the schedule file; mint it only for a viewer with CONTRACTS READ and EXPORT."""
    token = links.sign_subject(secret_key, SCHEDULE, request.encode(), now)
    return f"{public_url.rstrip('/')}/contracts/schedule/{token}.{request.file_format.lower()}"


def document_url(public_url: str, secret_key: str, organisation_id: int, contract_id: int, now: datetime) -> str:
    """A link valid five minutes to a contract's PDF summary (CONTRACTS READ and EXPORT)."""
    token = links.sign_subject(secret_key, DOCUMENT, f"{organisation_id}-{contract_id}", now)
    return f"{public_url.rstrip('/')}/contracts/document/{token}.pdf"


def verify_schedule(secret_key: str, token: str, now: datetime) -> FileRequest | None:
    subject = links.verify_subject(secret_key, SCHEDULE, token, now)
    return FileRequest.decode(subject) if subject is not None else None


def verify_document(secret_key: str, token: str, now: datetime) -> tuple[int, int] | None:
    subject = links.verify_subject(secret_key, DOCUMENT, token, now)
    if subject is None:
        return None
    organisation, _, contract = subject.partition("-")
    return int(organisation), int(contract)


def _money(entry: queries.ScheduleEntry) -> Money:
    return Money(entry.period.amount_minor, entry.contract.currency)


def schedule_csv(entries: list[queries.ScheduleEntry]) -> bytes:
    """The CSV of OPERATIONS.md: ISO dates, exact decimal amounts, the status name, the invoice number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow(
            [
                e.contract.number,
                e.line.product,
                e.period.start.isoformat(),
                e.period.end.isoformat(),
                e.period.start.isoformat(),
                str(_money(e).amount),
                e.contract.currency,
                e.status,
                e.invoice_number or "",
            ]
        )
    return out.getvalue().encode("utf-8")


_LABELS = {
    "fr": {
        "schedule": "Calendrier de facturation",
        "contract": "Contrat",
        "product": "Produit",
        "period": "Période",
        "invoicing": "Facturation",
        "amount": "Montant",
        "status": "Statut",
        "invoice": "Facture",
        "account": "Compte de facturation",
        "start": "Début",
        "end": "Fin",
        "notice": "Préavis de renouvellement",
        "auto_renew": "Renouvellement automatique",
        "yes": "oui",
        "no": "non",
        "evergreen": "sans fin",
        "quantity": "Qté",
        "unit_price": "Prix unitaire",
        "frequency": "Fréquence",
        "recurring": "Total récurrent",
    },
    "en": {
        "schedule": "Billing schedule",
        "contract": "Contract",
        "product": "Product",
        "period": "Period",
        "invoicing": "Invoicing",
        "amount": "Amount",
        "status": "Status",
        "invoice": "Invoice",
        "account": "Billing account",
        "start": "Start",
        "end": "End",
        "notice": "Renewal notice",
        "auto_renew": "Auto-renew",
        "yes": "yes",
        "no": "no",
        "evergreen": "evergreen",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "frequency": "Frequency",
        "recurring": "Recurring total",
    },
}


def schedule_pdf(organisation_name: str, entries: list[queries.ScheduleEntry], locale: str) -> bytes:
    """The schedule as a PDF table, one row per entry."""
    labels = _LABELS.get(locale, _LABELS["en"])
    pdf = new_pdf(labels["schedule"], organisation_name)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, pdf_text(f"{labels['schedule']} - {organisation_name}"), new_x="LMARGIN", new_y="NEXT")
    widths = (28, 42, 44, 26, 30, 20)
    heads = ("contract", "product", "period", "amount", "status", "invoice")
    pdf.set_font("helvetica", "B", 8)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, pdf_text(labels[head]), border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for e in entries:
        period = f"{format_date(e.period.start, locale)} - {format_date(e.period.end, locale)}"
        cells = (
            e.contract.number,
            e.line.product[:28],
            period,
            format_amount(_money(e), locale),
            e.status,
            e.invoice_number or "",
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, pdf_text(value), border=1)
        pdf.ln()
    return bytes(pdf.output())


async def load_schedule(
    session: AsyncSession, request: FileRequest, today: date
) -> tuple[str, list[queries.ScheduleEntry]]:
    """The organisation's name and the entries the request names (as the viewer's scope then allowed)."""
    org = await session.get(models.Organisation, request.organisation_id)
    entries = await queries.schedule(
        session,
        organisation_id=request.organisation_id,
        account_ids=request.account_ids,
        criteria=request.criteria,
        today=today,
    )
    return (org.name if org is not None else ""), entries


@dataclass(frozen=True)
class ContractDocument:
    organisation_name: str
    account_number: str
    account_name: str
    contract: Contract
    data: queries.ContractData
    entries: list[queries.ScheduleEntry]


async def load_document(
    session: AsyncSession, organisation_id: int, contract_id: int, today: date
) -> ContractDocument | None:
    """A contract with its account, lines and schedule; None when unknown (or of another organisation)."""
    contract = (
        await session.execute(
            select(Contract).where(Contract.id == contract_id, Contract.organisation_id == organisation_id)
        )
    ).scalar_one_or_none()
    if contract is None:
        return None
    org = await session.get(models.Organisation, organisation_id)
    account = await session.get(models.BillingAccount, contract.billing_account_id)
    data = await queries.load_data(session, organisation_id, [contract])
    entries = queries.entries_of(data, today=today, criteria=queries.ScheduleCriteria())
    return ContractDocument(
        organisation_name=org.name if org is not None else "",
        account_number=account.number if account is not None else "",
        account_name=account.name if account is not None else "",
        contract=contract,
        data=data,
        entries=entries,
    )


def contract_pdf(document: ContractDocument, locale: str) -> bytes:
    """A one-page summary: the contract's terms, its lines, its recurring totals."""
    labels = _LABELS.get(locale, _LABELS["en"])
    c = document.contract
    pdf = new_pdf(f"{labels['contract']} {c.number}", document.organisation_name)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, pdf_text(f"{labels['contract']} {c.number} - {c.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    facts = [
        document.organisation_name,
        f"{labels['account']} : {document.account_number} - {document.account_name}",
        f"{labels['status']} : {c.status}",
        f"{labels['start']} : {format_date(c.start_date, locale)}",
        f"{labels['end']} : {format_date(c.end_date, locale) if c.end_date else labels['evergreen']}",
        f"{labels['notice']} : {format_date(c.renewal_notice_date, locale)}",
        f"{labels['auto_renew']} : {labels['yes'] if c.auto_renew else labels['no']}",
    ]
    for fact in facts:
        pdf.cell(0, 6, pdf_text(fact), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (60, 15, 35, 35, 35)
    pdf.set_font("helvetica", "B", 9)
    for width, head in zip(widths, ("product", "quantity", "unit_price", "amount", "frequency"), strict=True):
        pdf.cell(width, 6, pdf_text(labels[head]), border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 9)
    lines = document.data.lines.get(c.id, [])
    for line in lines:
        cells = (
            line.product[:38],
            str(line.quantity),
            format_amount(Money(line.unit_price_minor, c.currency), locale),
            format_amount(Money(line.quantity * line.unit_price_minor, c.currency), locale),
            line.frequency,
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, pdf_text(value), border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 10)
    totals = rules.recurring_totals([(ln.frequency, ln.quantity, ln.unit_price_minor) for ln in lines])
    for frequency, minor in totals:
        text = f"{labels['recurring']} ({frequency}) : {format_amount(Money(minor, c.currency), locale)}"
        pdf.cell(0, 6, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
