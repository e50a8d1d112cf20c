"""The invoice PDF: what goes on it (InvoiceDocument), a small renderer interface, and its fpdf2
implementation.

The renderer is CPU-bound (a few milliseconds); the web route runs it in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from fpdf import FPDF
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.invoices import queries
from guichet.domain.invoices import status as rules
from guichet.domain.money import Money


@dataclass(frozen=True)
class DocumentLine:
    description: str
    line_number: str | None
    amount: Money


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice PDF, already decided (status on the day it is rendered)."""

    organisation_name: str
    taxpayer_number: str | None
    account_number: str
    account_name: str
    number: str
    service_type: str
    issue_date: date
    due_date: date
    period_start: date | None
    period_end: date | None
    status: str
    payment_pending: bool
    total: Money
    amount_paid: Money
    amount_due: Money
    lines: tuple[DocumentLine, ...]
    # Redeemed support rewards (a row of their own when any): total = paid + rewards + due.
    rewards_applied: Money | None = None


class InvoicePdfRenderer(Protocol):
    def render(self, document: InvoiceDocument, locale: str) -> bytes:
        """The PDF bytes of `document`, labels in `locale` (fr or en)."""
        ...


async def load_document(session: AsyncSession, invoice_id: int, today: date) -> InvoiceDocument | None:
    """Read an invoice with its organisation, billing account and lines (three statements); None if unknown."""
    row = (await session.execute(queries.by_ids_statement([invoice_id], today=today))).first()
    if row is None:
        return None
    org = await session.get(models.Organisation, row.organisation_id)
    account = await session.get(models.BillingAccount, row.billing_account_id)
    if org is None or account is None:
        return None
    lines = (await session.execute(queries.lines_statement([invoice_id]))).all()
    return InvoiceDocument(
        organisation_name=org.name,
        taxpayer_number=org.taxpayer_number,
        account_number=account.number,
        account_name=account.name,
        number=row.number,
        service_type=row.service_type,
        issue_date=row.issue_date,
        due_date=row.due_date,
        period_start=row.period_start,
        period_end=row.period_end,
        status=row.status,
        payment_pending=row.pending_payment_id is not None,
        total=Money(row.total_minor, row.currency),
        amount_paid=Money(rules.paid_by_payments_minor(row.amount_paid_minor, row.rewards_applied_minor), row.currency),
        amount_due=Money(rules.amount_due_minor(row.total_minor, row.amount_paid_minor), row.currency),
        lines=tuple(DocumentLine(ln.description, ln.line_number, Money(ln.amount_minor, row.currency)) for ln in lines),
        rewards_applied=Money(row.rewards_applied_minor, row.currency) if row.rewards_applied_minor else None,
    )


_LABELS = {
    "fr": {
        "title": "Facture",
        "taxpayer": "Compte contribuable",
        "account": "Compte de facturation",
        "service": "Service",
        "issued": "Date d'émission",
        "due": "Date d'échéance",
        "period": "Période",
        "status": "Statut",
        "line": "Ligne",
        "description": "Désignation",
        "amount": "Montant",
        "total": "Total",
        "paid": "Déjà payé",
        "rewards": "Récompenses utilisées",
        "to_pay": "Reste à payer",
        "pending": "Un paiement est en cours.",
        rules.OPEN: "A payer",
        rules.OVERDUE: "En retard",
        rules.PAID: "Payée",
        "FIXED": "Fixe",
        "MOBILE": "Mobile",
        "INTERNET": "Internet",
    },
    "en": {
        "title": "Invoice",
        "taxpayer": "Taxpayer number",
        "account": "Billing account",
        "service": "Service",
        "issued": "Issue date",
        "due": "Due date",
        "period": "Period",
        "status": "Status",
        "line": "Line",
        "description": "Description",
        "amount": "Amount",
        "total": "Total",
        "paid": "Already paid",
        "rewards": "Rewards applied",
        "to_pay": "Amount due",
        "pending": "A payment is under way.",
        rules.OPEN: "Open",
        rules.OVERDUE: "Overdue",
        rules.PAID: "Paid",
        "FIXED": "Fixed",
        "MOBILE": "Mobile",
        "INTERNET": "Internet",
    },
}


def format_date(value: date | None, locale: str) -> str:
    """A date as printed on Guichet's PDFs (dd/mm/yyyy in French, ISO otherwise)."""
    return _date(value, locale)


def format_amount(value: Money, locale: str) -> str:
    """An amount as printed on Guichet's PDFs."""
    return _amount(value, locale)


def pdf_text(value: str) -> str:
    """`value` as the core font can draw it: anything outside Windows-1252 becomes "?" rather than an error."""
    return value.encode("windows-1252", "replace").decode("windows-1252")


def new_pdf(title: str, author: str) -> FPDF:
    """An A4 document with one page, set up like the invoice PDF (core Helvetica, Windows-1252)."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(pdf_text(title))
    pdf.set_author(pdf_text(author))
    pdf.set_creator("Guichet")
    pdf.add_page()
    return pdf


def _date(value: date | None, locale: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if locale == "fr" else value.isoformat()


def _amount(value: Money, locale: str) -> str:
    return value.format(locale).replace("\u202f", " ")


class FpdfInvoiceRenderer:
    """fpdf2 with its core Helvetica font (Windows-1252: French accents and the euro sign)."""

    def render(self, document: InvoiceDocument, locale: str) -> bytes:
        labels = _LABELS.get(locale, _LABELS["en"])
        pdf = FPDF(format="A4")
        pdf.core_fonts_encoding = "windows-1252"
        pdf.set_title(f"{labels['title']} {document.number}")
        pdf.set_author(document.organisation_name)
        pdf.set_creator("Guichet")
        pdf.add_page()

        def text(value: str) -> str:
            # Anything the core font cannot draw becomes "?" rather than an error.
            return value.encode("windows-1252", "replace").decode("windows-1252")

        pdf.set_font("helvetica", "B", 18)
        pdf.cell(0, 10, text(f"{labels['title']} {document.number}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 11)
        header = [
            document.organisation_name,
            f"{labels['taxpayer']} : {document.taxpayer_number}" if document.taxpayer_number else "",
            f"{labels['account']} : {document.account_number} - {document.account_name}",
            f"{labels['service']} : {labels.get(document.service_type, document.service_type)}",
            f"{labels['issued']} : {_date(document.issue_date, locale)}",
            f"{labels['due']} : {_date(document.due_date, locale)}",
        ]
        if document.period_start and document.period_end:
            header.append(
                f"{labels['period']} : {_date(document.period_start, locale)} - {_date(document.period_end, locale)}"
            )
        header.append(f"{labels['status']} : {labels[document.status]}")
        for item in header:
            if item:
                pdf.cell(0, 6, text(item), new_x="LMARGIN", new_y="NEXT")
        if document.payment_pending:
            pdf.cell(0, 6, text(labels["pending"]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

        pdf.set_font("helvetica", "B", 10)
        pdf.cell(45, 7, text(labels["line"]), border=1)
        pdf.cell(95, 7, text(labels["description"]), border=1)
        pdf.cell(0, 7, text(labels["amount"]), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 10)
        for line in document.lines:
            pdf.cell(45, 7, text(line.line_number or ""), border=1)
            pdf.cell(95, 7, text(line.description[:60]), border=1)
            pdf.cell(0, 7, text(_amount(line.amount, locale)), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 11)
        amounts = [("total", document.total), ("paid", document.amount_paid)]
        if document.rewards_applied is not None:
            amounts.append(("rewards", document.rewards_applied))
        amounts.append(("to_pay", document.amount_due))
        for key, value in amounts:
            pdf.cell(140, 7, text(labels[key]), align="R")
            pdf.cell(0, 7, text(_amount(value, locale)), align="R", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
