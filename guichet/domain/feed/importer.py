"""Apply a validated feed to the database: upsert by business keys, in the caller's transaction.

Business keys (OPERATIONS.md): organisation taxpayerNumber (or ref), billing account number,
line number, contact e-mail within its organisation, invoice number. Re-importing the same feed
writes nothing. What a feed leaves out is kept: an absent `roles`, `primaryAdmin` or `amountPaid`
keeps the stored value; records the feed does not list are never deleted.

Raise FeedError (the caller rolls back, so nothing is written) when a record names a billing
account the organisation does not have, a key that belongs to another organisation, two keys that
name different organisations, a second primary admin, a change of currency once invoices exist,
an amountPaid lower than the stored one without `"reopen": true`, a total below the amount
already paid, a change to an invoice whose payment is under way, or schedules when the schedules
area is not installed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.contracts.feed import import_contracts
from guichet.domain.feed.errors import FeedError
from guichet.domain.feed.parse import (
    Feed,
    FeedAccount,
    FeedContact,
    FeedInvoice,
    FeedOrganisation,
    load_document,
    parse_feed,
)
from guichet.domain.feed.roles import RoleKey, replace_contact_roles
from guichet.domain.models.billing_profiles import BillingContact, BillingProfile
from guichet.domain.money import Money
from guichet.domain.rewards.feed import import_rewards
from guichet.domain.schedules.feed import import_schedules
from guichet.domain.service_requests.categories import import_category_settings
from guichet.domain.shop.feed import import_offerings, import_orders
from guichet.domain.webhooks import events as webhook_events

CHUNK = 500  # bound on IN (...) lists: SQLite and asyncpg both cap bound parameters

M = TypeVar("M")


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    """What an import did, per kind of record."""

    tallies: dict[str, Tally] = field(
        default_factory=lambda: {
            kind: Tally()
            for kind in (
                "organisations",
                "billing accounts",
                "lines",
                "contacts",
                "invoices",
                "schedules",
                "reward entries",
            )
        }
    )

    @property
    def changed(self) -> bool:
        return any(t.created or t.updated for t in self.tallies.values())

    def summary(self) -> str:
        """One line for the operator, e.g. '2 organisations (1 created, 1 unchanged), ...'; schedules when any."""
        parts = []
        for kind, tally in self.tallies.items():
            if kind in ("schedules", "reward entries") and not tally.total:
                continue  # only individuals' feeds carry instalment plans: no "0 schedules" noise
            detail = ", ".join(
                f"{n} {word}"
                for n, word in ((tally.created, "created"), (tally.updated, "updated"), (tally.unchanged, "unchanged"))
                if n
            )
            parts.append(f"{tally.total} {kind}" + (f" ({detail})" if detail else ""))
        return ", ".join(parts)


async def import_feed_file(sessionmaker: async_sessionmaker[AsyncSession], path: str, *, now: datetime) -> ImportReport:
    """Read, validate and import a feed file in one transaction: all or nothing.

    Raise FeedError (nothing written) for a missing file, malformed JSON or a faulty record.
    """
    feed = parse_feed(load_document(path))
    async with sessionmaker() as session, session.begin():
        return await import_feed(session, feed, now=now)


async def import_feed(session: AsyncSession, feed: Feed, *, now: datetime) -> ImportReport:
    """Upsert every record of `feed` inside the caller's transaction (flushes, never commits)."""
    report = ImportReport()
    orgs = await _resolve_organisations(session, feed.organisations)
    references = _referenced_account_numbers(feed)
    accounts = await _by_key(session, models.BillingAccount, models.BillingAccount.number, references)
    lines = await _by_key(
        session,
        models.Line,
        models.Line.number,
        [line.number for o in feed.organisations for a in o.accounts for line in a.lines],
    )
    invoices = await _by_key(
        session, models.Invoice, models.Invoice.number, [inv.number for o in feed.organisations for inv in o.invoices]
    )
    for record in feed.organisations:
        org = await _upsert_organisation(session, record, orgs.get(record.path), now=now, report=report)
        await _upsert_accounts(session, record, org, accounts, lines, report=report)
        await _upsert_contacts(session, record, org, accounts, now=now, report=report)
        await _upsert_invoices(session, record, org, accounts, invoices, now=now, report=report)
        if record.schedules is not None:
            created, unchanged = await _import_schedules(session, record, org, now=now)
            report.tallies["schedules"].created += created
            report.tallies["schedules"].unchanged += unchanged
        if record.service_request_categories is not None:
            await _import_service_request_categories(session, record, org)
        if record.contracts is not None:
            await import_contracts(session, org, record.contracts, f"{record.path}.contracts", now)
        if record.offerings is not None:
            await import_offerings(session, org, record.offerings, f"{record.path}.offerings")
        if record.orders is not None:
            await import_orders(session, org, record.orders, f"{record.path}.orders", now)
        if record.rewards is not None:
            created, unchanged = await import_rewards(session, org, record.rewards, f"{record.path}.rewards", now)
            report.tallies["reward entries"].created += created
            report.tallies["reward entries"].unchanged += unchanged
    await session.flush()
    return report


# ---------------------------------------------------------------- helpers


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _by_key(
    session: AsyncSession, model: type[M], column: InstrumentedAttribute[Any], keys: Iterable[str]
) -> dict[str, M]:
    """Load the rows whose business key is in `keys`, in a few batched queries."""
    unique = sorted(set(keys))
    found: dict[str, M] = {}
    for chunk in _chunks(unique):
        for row in (await session.scalars(select(model).where(column.in_(chunk)))).all():
            found[getattr(row, column.key)] = row
    return found


def _label(path: str, key: str) -> str:
    return f"{path} ({key})"


def _money(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).amount} {currency}"


def _referenced_account_numbers(feed: Feed) -> list[str]:
    numbers: list[str] = []
    for org in feed.organisations:
        numbers.extend(a.number for a in org.accounts)
        numbers.extend(inv.billing_account for inv in org.invoices)
        numbers.extend(r.billing_account for c in org.contacts for r in c.roles or [] if r.billing_account)
    return numbers


def _account_for(
    number: str, org: models.Organisation, accounts: dict[str, models.BillingAccount], where: str
) -> models.BillingAccount:
    account = accounts.get(number)
    if account is None:
        raise FeedError(where, f"unknown billing account {number}")
    if account.organisation_id != org.id:
        raise FeedError(where, f"billing account {number} belongs to another organisation")
    return account


def _set(row: Any, **values: Any) -> bool:
    """Assign the values that differ; return whether any did (so unchanged rows stay clean)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


# ---------------------------------------------------------------- organisations


async def _resolve_organisations(
    session: AsyncSession, records: list[FeedOrganisation]
) -> dict[str, models.Organisation]:
    """Map each feed organisation's path to its stored row, when it exists (two batched queries)."""
    taxpayers = await _by_key(
        session,
        models.Organisation,
        models.Organisation.taxpayer_number,
        [r.taxpayer_number for r in records if r.taxpayer_number],
    )
    refs = await _by_key(session, models.Organisation, models.Organisation.ref, [r.ref for r in records if r.ref])
    resolved: dict[str, models.Organisation] = {}
    for record in records:
        by_taxpayer = taxpayers.get(record.taxpayer_number or "")
        by_ref = refs.get(record.ref or "")
        if by_taxpayer is not None and by_ref is not None and by_taxpayer.id != by_ref.id:
            raise FeedError(
                _label(record.path, record.label),
                f"taxpayerNumber {record.taxpayer_number} and ref {record.ref} name two different organisations",
            )
        org = by_taxpayer or by_ref
        if org is not None:
            resolved[record.path] = org
    return resolved


async def _upsert_organisation(
    session: AsyncSession,
    record: FeedOrganisation,
    org: models.Organisation | None,
    *,
    now: datetime,
    report: ImportReport,
) -> models.Organisation:
    where = _label(record.path, record.label)
    if org is None:
        org = models.Organisation(
            ref=record.ref,
            name=record.name,
            kind=record.kind,
            taxpayer_number=record.taxpayer_number,
            currency=record.currency,
            created_at=now,
        )
        session.add(org)
        await session.flush()
        report.tallies["organisations"].count(created=True, changed=True)
        return org
    if org.currency != record.currency:
        has_invoices = await session.scalar(
            select(func.count()).select_from(models.Invoice).where(models.Invoice.organisation_id == org.id)
        )
        if has_invoices:
            raise FeedError(
                where, f"currency cannot change from {org.currency} to {record.currency} once invoices exist"
            )
    changed = _set(
        org,
        name=record.name,
        kind=record.kind,
        currency=record.currency,
        # A key the feed leaves out is kept (a business found by taxpayer number keeps its ref).
        ref=record.ref or org.ref,
        taxpayer_number=record.taxpayer_number or org.taxpayer_number,
    )
    report.tallies["organisations"].count(created=False, changed=changed)
    return org


# ---------------------------------------------------------------- billing accounts and lines


async def _upsert_profile(
    session: AsyncSession, org: models.Organisation, account: models.BillingAccount, feed_account: FeedAccount
) -> None:
    """The account's legal name, address and billing contacts, when the feed gives them (unchanged: no write)."""
    if feed_account.legal_name is None and feed_account.address is None and feed_account.billing_contacts is None:
        return
    profile = await session.get(BillingProfile, account.id)
    if profile is None:
        profile = BillingProfile(billing_account_id=account.id, organisation_id=org.id, auto_pay=False)
        session.add(profile)
    if feed_account.legal_name is not None:
        _set(profile, legal_name=feed_account.legal_name)
    if feed_account.address is not None:
        _set(profile, **feed_account.address)
    if feed_account.billing_contacts is not None:
        existing = (
            (
                await session.execute(
                    select(BillingContact)
                    .where(BillingContact.billing_account_id == account.id)
                    .order_by(BillingContact.position)
                )
            )
            .scalars()
            .all()
        )
        current = [(tuple(c.purposes.split(",")), c.name, c.email, c.phone) for c in existing]
        if current != feed_account.billing_contacts:
            for row in existing:
                await session.delete(row)
            await session.flush()
            for position, (purposes, name, email, phone) in enumerate(feed_account.billing_contacts):
                session.add(
                    BillingContact(
                        organisation_id=org.id,
                        billing_account_id=account.id,
                        position=position,
                        purposes=",".join(purposes),
                        name=name,
                        email=email,
                        phone=phone,
                    )
                )
    await session.flush()


async def _upsert_accounts(
    session: AsyncSession,
    record: FeedOrganisation,
    org: models.Organisation,
    accounts: dict[str, models.BillingAccount],
    lines: dict[str, models.Line],
    *,
    report: ImportReport,
) -> None:
    for feed_account in record.accounts:
        where = _label(feed_account.path, feed_account.number)
        account = accounts.get(feed_account.number)
        if account is not None and account.organisation_id != org.id:
            raise FeedError(where, f"billing account {feed_account.number} belongs to another organisation")
        if account is None:
            account = models.BillingAccount(organisation_id=org.id, number=feed_account.number, name=feed_account.name)
            session.add(account)
            accounts[account.number] = account
            report.tallies["billing accounts"].count(created=True, changed=True)
        else:
            report.tallies["billing accounts"].count(created=False, changed=_set(account, name=feed_account.name))
    await session.flush()
    for feed_account in record.accounts:
        await _upsert_profile(session, org, accounts[feed_account.number], feed_account)
    for feed_account in record.accounts:
        account = accounts[feed_account.number]
        for feed_line in feed_account.lines:
            line = lines.get(feed_line.number)
            if line is not None and line.organisation_id != org.id:
                raise FeedError(
                    _label(feed_line.path, feed_line.number), f"line {feed_line.number} belongs to another organisation"
                )
            if line is None:
                line = models.Line(
                    organisation_id=org.id,
                    billing_account_id=account.id,
                    number=feed_line.number,
                    service_type=feed_line.service_type,
                )
                session.add(line)
                lines[line.number] = line
                report.tallies["lines"].count(created=True, changed=True)
            else:
                changed = _set(line, billing_account_id=account.id, service_type=feed_line.service_type)
                report.tallies["lines"].count(created=False, changed=changed)
    await session.flush()


# ---------------------------------------------------------------- contacts


async def _upsert_contacts(
    session: AsyncSession,
    record: FeedOrganisation,
    org: models.Organisation,
    accounts: dict[str, models.BillingAccount],
    *,
    now: datetime,
    report: ImportReport,
) -> None:
    if not record.contacts:
        return
    # Resolve every role's billing account first: a bad reference fails before any write.
    wanted_roles: dict[str, list[RoleKey] | None] = {}
    for contact in record.contacts:
        where = _label(contact.path, contact.email)
        if contact.roles is None:
            wanted_roles[contact.email] = None
            continue
        wanted_roles[contact.email] = [
            (role.role, _account_for(role.billing_account, org, accounts, where).id if role.billing_account else None)
            for role in contact.roles
        ]
    emails = [c.email for c in record.contacts]
    people = await _by_key(session, models.Person, models.Person.email, emails)
    existing: dict[int, models.Contact] = {}
    person_ids = [p.id for p in people.values()]
    for chunk in _chunks(person_ids):
        rows = await session.scalars(
            select(models.Contact).where(models.Contact.organisation_id == org.id, models.Contact.person_id.in_(chunk))
        )
        existing.update({row.person_id: row for row in rows})

    for contact in record.contacts:
        person = people.get(contact.email)
        if person is None:
            person = models.Person(
                email=contact.email,
                password_hash=None,
                first_name=contact.first_name,
                last_name=contact.last_name,
                created_at=now,
            )
            session.add(person)
            await session.flush()
            people[contact.email] = person
        else:
            # The person may have set their own name since: the feed only fills what is missing.
            _set(
                person,
                first_name=person.first_name or contact.first_name,
                last_name=person.last_name or contact.last_name,
            )
        row = existing.get(person.id)
        created = row is None
        if row is None:
            row = models.Contact(
                organisation_id=org.id,
                person_id=person.id,
                # Someone who already signs in elsewhere is a member at once; a new person activates first.
                status="ACTIVE" if person.password_hash else "INVITED",
                is_primary_admin=bool(contact.primary_admin),
                created_at=now,
            )
            session.add(row)
            await session.flush()
            existing[person.id] = row
            admin_changed = bool(contact.primary_admin)
        else:
            admin_changed = contact.primary_admin is not None and _set(row, is_primary_admin=contact.primary_admin)
        roles = wanted_roles[contact.email]
        roles_changed = False
        if roles is not None:
            roles_changed = await replace_contact_roles(session, organisation_id=org.id, contact_id=row.id, roles=roles)
        if created or admin_changed or roles_changed:
            await _audit_contact(session, contact, row, roles, accounts, org=org, created=created, now=now)
        report.tallies["contacts"].count(created=created, changed=admin_changed or roles_changed)
    await session.flush()
    await _check_single_primary_admin(session, record, org)


async def _check_single_primary_admin(
    session: AsyncSession, record: FeedOrganisation, org: models.Organisation
) -> None:
    count = await session.scalar(
        select(func.count())
        .select_from(models.Contact)
        .where(models.Contact.organisation_id == org.id, models.Contact.is_primary_admin.is_(True))
    )
    if (count or 0) > 1:
        named = next((c for c in record.contacts if c.primary_admin), record.contacts[0])
        raise FeedError(
            _label(named.path, named.email),
            'the organisation already has a primary admin: mark the current one "primaryAdmin": false in the same feed',
        )


async def _audit_contact(
    session: AsyncSession,
    contact: FeedContact,
    row: models.Contact,
    roles: list[RoleKey] | None,
    accounts: dict[str, models.BillingAccount],
    *,
    org: models.Organisation,
    created: bool,
    now: datetime,
) -> None:
    """ACCESS.md rule 9: every role change is audited; the back office is the (null) actor."""
    numbers = {a.id: a.number for a in accounts.values()}
    described = ", ".join(
        f"{role} on {numbers.get(account_id, account_id)}" if account_id else role for role, account_id in roles or []
    )
    summary = f"Back office {'added' if created else 'updated'} {contact.email}"
    if row.is_primary_admin:
        summary += " as primary admin"
    if roles is not None:
        summary += f"; roles: {described or 'none'}"
    await record_event(
        session,
        at=now,
        organisation_id=org.id,
        actor_contact_id=None,
        action="member.added" if created else "member.access_changed",
        summary=summary,
        data={
            "contactId": row.id,
            "source": "feed",
            "primaryAdmin": row.is_primary_admin,
            **({"roles": [{"role": r, "billingAccountId": a} for r, a in roles]} if roles is not None else {}),
        },
    )


# ---------------------------------------------------------------- invoices


async def _upsert_invoices(
    session: AsyncSession,
    record: FeedOrganisation,
    org: models.Organisation,
    accounts: dict[str, models.BillingAccount],
    invoices: dict[str, models.Invoice],
    *,
    now: datetime,
    report: ImportReport,
) -> None:
    if not record.invoices:
        return
    stored_ids = [invoices[i.number].id for i in record.invoices if i.number in invoices]
    stored_lines: dict[int, list[tuple[str, str | None, int]]] = defaultdict(list)
    for chunk in _chunks(stored_ids):
        rows = await session.scalars(
            select(models.InvoiceLine)
            .where(models.InvoiceLine.invoice_id.in_(chunk))
            .order_by(models.InvoiceLine.invoice_id, models.InvoiceLine.position)
        )
        for line in rows:
            stored_lines[line.invoice_id].append((line.description, line.line_number, line.amount_minor))

    replace_lines: list[tuple[models.Invoice, FeedInvoice]] = []
    for feed_invoice in record.invoices:
        where = _label(feed_invoice.path, feed_invoice.number)
        account = _account_for(feed_invoice.billing_account, org, accounts, where)
        invoice = invoices.get(feed_invoice.number)
        fields = {
            "billing_account_id": account.id,
            "service_type": feed_invoice.service_type,
            "issue_date": feed_invoice.issue_date,
            "due_date": feed_invoice.due_date,
            "period_start": feed_invoice.period_start,
            "period_end": feed_invoice.period_end,
            "total_minor": feed_invoice.total_minor,
        }
        if feed_invoice.contract_number is not None:
            fields["contract_number"] = feed_invoice.contract_number
        if feed_invoice.rewards_eligible is not None:
            fields["rewards_eligible"] = feed_invoice.rewards_eligible
        if invoice is None:
            invoice = models.Invoice(
                organisation_id=org.id,
                number=feed_invoice.number,
                currency=org.currency,
                amount_paid_minor=feed_invoice.amount_paid_minor or 0,
                created_at=now,
                updated_at=now,
                **fields,
            )
            session.add(invoice)
            invoices[invoice.number] = invoice
            replace_lines.append((invoice, feed_invoice))
            report.tallies["invoices"].count(created=True, changed=True)
            continue
        if invoice.organisation_id != org.id:
            raise FeedError(where, f"invoice {feed_invoice.number} belongs to another organisation")
        # The feed's amountPaid is what payments settled; redeemed rewards settle the rest.
        paid = (
            invoice.amount_paid_minor
            if feed_invoice.amount_paid_minor is None
            else feed_invoice.amount_paid_minor + invoice.rewards_applied_minor
        )
        _check_invoice_update(feed_invoice, invoice, paid, where)
        lines = [(line.description, line.line_number, line.amount_minor) for line in feed_invoice.lines]
        lines_changed = stored_lines.get(invoice.id, []) != lines
        if invoice.pending_payment_id is not None and (
            paid != invoice.amount_paid_minor or feed_invoice.total_minor != invoice.total_minor
        ):
            raise FeedError(
                where, "a payment is under way for this invoice: import it again once the payment completes"
            )
        changed = _set(invoice, amount_paid_minor=paid, **fields)
        if lines_changed:
            replace_lines.append((invoice, feed_invoice))
        if changed or lines_changed:
            invoice.updated_at = now
        report.tallies["invoices"].count(created=False, changed=changed or lines_changed)
    await session.flush()

    # An updated invoice's lines are replaced as a whole, so the total always equals their sum.
    replaced_ids = [invoice.id for invoice, _ in replace_lines if invoice.id in stored_lines]
    await webhook_events.record_events(
        session,
        type=webhook_events.EventType.INVOICE_ISSUED,
        organisation_id=org.id,
        subjects=[(i.id, [i.billing_account_id]) for i, _ in replace_lines if i.id not in stored_lines],
        now=now,
    )
    for chunk in _chunks(replaced_ids):
        await session.execute(delete(models.InvoiceLine).where(models.InvoiceLine.invoice_id.in_(chunk)))
    session.add_all(
        models.InvoiceLine(
            invoice_id=invoice.id,
            position=position,
            description=line.description,
            line_number=line.line_number,
            amount_minor=line.amount_minor,
        )
        for invoice, feed_invoice in replace_lines
        for position, line in enumerate(feed_invoice.lines, start=1)
    )
    await session.flush()


def _check_invoice_update(feed_invoice: FeedInvoice, invoice: models.Invoice, paid: int, where: str) -> None:
    """A feed never silently reopens a paid invoice nor leaves a total below what was paid."""
    currency = invoice.currency
    if paid < invoice.amount_paid_minor and not feed_invoice.reopen:
        raise FeedError(
            where,
            f"amountPaid {Money(paid, currency).amount} would lower the amount paid "
            f'({_money(invoice.amount_paid_minor, currency)}): add "reopen": true to reopen this invoice',
        )
    if feed_invoice.total_minor < paid:
        raise FeedError(
            where,
            f"total {_money(feed_invoice.total_minor, currency)} is below the amount paid "
            f'({_money(paid, currency)}): give amountPaid with "reopen": true',
        )


# ---------------------------------------------------------------- schedules


async def _import_schedules(
    session: AsyncSession, record: FeedOrganisation, org: models.Organisation, *, now: datetime
) -> tuple[int, int]:
    """Hand the organisation's schedules to the schedules area (created, unchanged)."""
    return await import_schedules(session, org, record.schedules or [], f"{record.path}.schedules", now)


# ---------------------------------------------------------------- service-request categories


async def _import_service_request_categories(
    session: AsyncSession, record: FeedOrganisation, org: models.Organisation
) -> None:
    """The organisation's own SLA hours per category; the list replaces what was there."""
    path = f"{record.path}.serviceRequestCategories"
    try:
        await import_category_settings(
            session, organisation_id=org.id, entries=record.service_request_categories or [], path=path
        )
    except ValueError as error:
        raise FeedError("", str(error)) from None


__all__ = ["ImportReport", "import_feed", "import_feed_file"]
