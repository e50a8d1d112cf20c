"""Read and validate a back-office feed document before anything touches the database.

Every check that needs no database happens here, so a malformed record is named (by its path in
the document and its business key) before the import transaction starts. Raise FeedError for:
a missing or unreadable file, malformed JSON, a missing or mistyped field, an unknown key, an
unknown kind / currency / service type / role, a bad date, a bad amount (a JSON number instead
of a decimal string, more decimals than the currency has, a negative), a duplicate business key
inside the document, a billing account named by an invoice, line or role that the organisation
does not list (checked against the database later when the feed does not list it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from guichet.domain.feed.errors import FeedError
from guichet.domain.money import MoneyError, exponent, parse_amount
from guichet.policies.rules import ROLES

KINDS = ("BUSINESS", "INDIVIDUAL")
SERVICE_TYPES = ("FIXED", "MOBILE", "INTERNET")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

T = TypeVar("T")


@dataclass(frozen=True)
class FeedLine:
    path: str
    number: str
    service_type: str


@dataclass(frozen=True)
class FeedAccount:
    path: str
    number: str
    name: str
    lines: list[FeedLine]
    # Billing profile (second part): None when the key is absent (then nothing is changed).
    legal_name: str | None = None
    address: dict[str, str | None] | None = None
    billing_contacts: list[tuple[tuple[str, ...], str, str, str | None]] | None = None


@dataclass(frozen=True)
class FeedRole:
    role: str
    billing_account: str | None  # a billing account number


@dataclass(frozen=True)
class FeedContact:
    path: str
    email: str  # lower-cased
    first_name: str | None
    last_name: str | None
    primary_admin: bool | None  # None: keep what is stored (False for a new contact)
    roles: list[FeedRole] | None  # None: keep what is stored (none for a new contact)


@dataclass(frozen=True)
class FeedInvoiceLine:
    description: str
    line_number: str | None
    amount_minor: int


@dataclass(frozen=True)
class FeedInvoice:
    path: str
    number: str
    billing_account: str
    service_type: str
    issue_date: date
    due_date: date
    period_start: date | None
    period_end: date | None
    lines: list[FeedInvoiceLine]
    amount_paid_minor: int | None  # None: keep what is stored (0 for a new invoice)
    reopen: bool
    # The contract the invoice bills (marks its schedule periods INVOICED); None: keep what is stored.
    contract_number: str | None = None
    # Rewards may pay it; None: keep what is stored (False for a new invoice).
    rewards_eligible: bool | None = None

    @property
    def total_minor(self) -> int:
        """An invoice's total is the sum of its lines, never a separate figure."""
        return sum(line.amount_minor for line in self.lines)


@dataclass(frozen=True)
class FeedOrganisation:
    path: str
    ref: str | None
    name: str
    kind: str
    taxpayer_number: str | None
    currency: str
    accounts: list[FeedAccount]
    contacts: list[FeedContact]
    invoices: list[FeedInvoice]
    # Raw schedule records, handed to the schedules area's importer (None: the key is absent).
    schedules: list[dict[str, Any]] | None = None
    # Raw per-category SLA hours, handed to the service-requests area (None: the key is absent).
    service_request_categories: list[dict[str, Any]] | None = None
    # Raw contract records, handed to the contracts area's importer (None: the key is absent).
    contracts: list[dict[str, Any]] | None = None
    # Raw reward ledger entries, handed to the rewards area's importer (None: the key is absent).
    rewards: list[dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return self.taxpayer_number or self.ref or self.name


@dataclass(frozen=True)
class Feed:
    organisations: list[FeedOrganisation] = field(default_factory=list)


def load_document(path: str | Path) -> Any:
    """Read a feed file as JSON; raise FeedError when it is missing, unreadable or not JSON."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedError(str(file), "no such file") from None
    except IsADirectoryError:
        raise FeedError(str(file), "is a directory, not a feed file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FeedError(str(file), f"cannot read: {error}") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise FeedError(str(file), f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


# ---------------------------------------------------------------- field readers


def _label(path: str, key: str | None) -> str:
    return f"{path} ({key})" if key else path


def _record(value: Any, path: str, allowed: tuple[str, ...], key: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise FeedError(path, "must be a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise FeedError(_label(path, key), f"unknown field {unknown[0]!r} (expected one of: {', '.join(allowed)})")
    return value


def _list(record: Mapping[str, Any], name: str, where: str, *, required: bool = False) -> list[Any] | None:
    value = record.get(name)
    if value is None:
        if required:
            raise FeedError(where, f"{name} is required")
        return None
    if not isinstance(value, list):
        raise FeedError(where, f"{name} must be a list")
    return value


def _text(record: Mapping[str, Any], name: str, where: str, *, required: bool = True, max_len: int = 200) -> str | None:
    value = record.get(name)
    if value is None:
        if required:
            raise FeedError(where, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise FeedError(where, f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise FeedError(where, f"{name} must not be empty")
    if len(value) > max_len:
        raise FeedError(where, f"{name} is longer than {max_len} characters")
    return value or None


def _bool(record: Mapping[str, Any], name: str, where: str) -> bool | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FeedError(where, f"{name} must be true or false")
    return value


def _choice(record: Mapping[str, Any], name: str, where: str, choices: tuple[str, ...], what: str) -> str:
    value = _text(record, name, where)
    assert value is not None
    if value not in choices:
        raise FeedError(where, f"unknown {what} {value!r} (expected one of: {', '.join(choices)})")
    return value


def _date(record: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> date | None:
    value = record.get(name)
    if value is None:
        if required:
            raise FeedError(where, f"{name} is required")
        return None
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise FeedError(where, f"{name} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedError(where, f"{name} {value!r} is not a valid date") from None


def _amount(value: Any, name: str, where: str, currency: str) -> int:
    """Parse a decimal string into minor units; floats, extra decimals and negatives are refused."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise FeedError(where, f'{name} must be a decimal string such as "25000" or "127.96", not {json.dumps(value)}')
    try:
        money = parse_amount(value, currency)
    except MoneyError as error:
        raise FeedError(where, f"{name}: {error}") from None
    if money.minor < 0:
        raise FeedError(where, f"{name} {value!r} is negative")
    return money.minor


def _unique(items: list[T], key: Callable[[T], str], path: Callable[[T], str], what: str) -> None:
    seen: dict[str, T] = {}
    for item in items:
        k = key(item)
        if k in seen:
            raise FeedError(path(item), f"duplicate {what} {k} (also {path(seen[k])})")
        seen[k] = item


# ---------------------------------------------------------------- records

ORG_FIELDS = (
    "ref",
    "name",
    "kind",
    "taxpayerNumber",
    "currency",
    "billingAccounts",
    "contacts",
    "invoices",
    "schedules",
    "serviceRequestCategories",
    "contracts",
    "rewards",
)
ACCOUNT_FIELDS = ("number", "name", "lines", "legalName", "address", "billingContacts")
ADDRESS_FIELDS = ("line1", "line2", "city", "postalCode", "region", "country")
BILLING_CONTACT_FIELDS = ("purposes", "name", "email", "phone")
BILLING_PURPOSES = ("BILL_TO", "ACCOUNT", "DUNNING")
LINE_FIELDS = ("number", "serviceType")
CONTACT_FIELDS = ("email", "firstName", "lastName", "primaryAdmin", "roles")
ROLE_FIELDS = ("role", "billingAccount")
INVOICE_FIELDS = (
    "number",
    "billingAccount",
    "serviceType",
    "issueDate",
    "dueDate",
    "periodStart",
    "periodEnd",
    "lines",
    "amountPaid",
    "reopen",
    "contractNumber",
    "rewardsEligible",
)
INVOICE_LINE_FIELDS = ("description", "lineNumber", "amount")


def parse_feed(document: Any) -> Feed:
    """Validate a whole feed document; raise FeedError naming the first faulty record."""
    root = _record(document, "feed", ("organisations",))
    organisations = [
        _organisation(raw, f"organisations[{i}]")
        for i, raw in enumerate(_list(root, "organisations", "feed", required=True) or [])
    ]
    _unique(
        [o for o in organisations if o.taxpayer_number],
        lambda o: o.taxpayer_number or "",
        lambda o: o.path,
        "taxpayer number",
    )
    _unique([o for o in organisations if o.ref], lambda o: o.ref or "", lambda o: o.path, "organisation ref")
    accounts = [a for o in organisations for a in o.accounts]
    _unique(accounts, lambda a: a.number, lambda a: _label(a.path, a.number), "billing account number")
    _unique(
        [line for a in accounts for line in a.lines],
        lambda line: line.number,
        lambda line: _label(line.path, line.number),
        "line number",
    )
    _unique(
        [inv for o in organisations for inv in o.invoices],
        lambda inv: inv.number,
        lambda inv: _label(inv.path, inv.number),
        "invoice number",
    )
    return Feed(organisations)


def _organisation(raw: Any, path: str) -> FeedOrganisation:
    key = raw.get("taxpayerNumber") or raw.get("ref") if isinstance(raw, dict) else None
    record = _record(raw, path, ORG_FIELDS, key if isinstance(key, str) else None)
    where = _label(path, key if isinstance(key, str) else None)
    ref = _text(record, "ref", where, required=False, max_len=100)
    taxpayer = _text(record, "taxpayerNumber", where, required=False, max_len=50)
    if not ref and not taxpayer:
        raise FeedError(path, "taxpayerNumber or ref is required (the organisation's business key)")
    name = _text(record, "name", where)
    kind = _choice(record, "kind", where, KINDS, "organisation kind")
    currency = _text(record, "currency", where, max_len=3)
    assert name is not None and currency is not None
    try:
        exponent(currency)
    except MoneyError:
        raise FeedError(where, f"unsupported currency {currency!r}") from None

    accounts = [
        _account(a, f"{path}.billingAccounts[{i}]") for i, a in enumerate(_list(record, "billingAccounts", where) or [])
    ]
    contacts = [_contact(c, f"{path}.contacts[{i}]") for i, c in enumerate(_list(record, "contacts", where) or [])]
    _unique(contacts, lambda c: c.email, lambda c: _label(c.path, c.email), "contact e-mail")
    primary = [c for c in contacts if c.primary_admin]
    if len(primary) > 1:
        raise FeedError(
            _label(primary[1].path, primary[1].email),
            f"a second primary admin (also {_label(primary[0].path, primary[0].email)}): an organisation has one",
        )
    invoices = [
        _invoice(inv, f"{path}.invoices[{i}]", currency) for i, inv in enumerate(_list(record, "invoices", where) or [])
    ]
    schedules = _list(record, "schedules", where)
    categories = _list(record, "serviceRequestCategories", where)
    contracts = _list(record, "contracts", where)
    rewards = _list(record, "rewards", where)
    return FeedOrganisation(
        path=path,
        ref=ref,
        name=name,
        kind=kind,
        taxpayer_number=taxpayer,
        currency=currency,
        accounts=accounts,
        contacts=contacts,
        invoices=invoices,
        schedules=schedules,
        service_request_categories=categories,
        contracts=contracts,
        rewards=rewards,
    )


def _account(raw: Any, path: str) -> FeedAccount:
    key = raw.get("number") if isinstance(raw, dict) and isinstance(raw.get("number"), str) else None
    record = _record(raw, path, ACCOUNT_FIELDS, key)
    where = _label(path, key)
    number = _text(record, "number", where, max_len=50)
    name = _text(record, "name", where)
    assert number is not None and name is not None
    lines = [_line(line, f"{path}.lines[{i}]") for i, line in enumerate(_list(record, "lines", where) or [])]
    address = None
    if record.get("address") is not None:
        raw_address = _record(record["address"], f"{path}.address", ADDRESS_FIELDS, None)
        at = _label(f"{path}.address", key)
        address = {
            "line1": _text(raw_address, "line1", at),
            "line2": _text(raw_address, "line2", at, required=False),
            "city": _text(raw_address, "city", at, max_len=100),
            "postal_code": _text(raw_address, "postalCode", at, required=False, max_len=20),
            "region": _text(raw_address, "region", at, required=False, max_len=100),
            "country": _text(raw_address, "country", at, max_len=2),
        }
        country = address["country"] or ""
        if len(country) != 2 or not country.isalpha():
            raise FeedError(at, "country must be a two-letter ISO code")
        address["country"] = country.upper()
    contacts = None
    raw_contacts = _list(record, "billingContacts", where)
    if raw_contacts is not None:
        contacts = []
        for i, raw_contact in enumerate(raw_contacts):
            at = f"{path}.billingContacts[{i}]"
            entry = _record(raw_contact, at, BILLING_CONTACT_FIELDS, None)
            purposes = _list(entry, "purposes", at, required=True) or []
            if not purposes or any(p not in BILLING_PURPOSES for p in purposes):
                raise FeedError(at, f"purposes must be a non-empty list of {', '.join(BILLING_PURPOSES)}")
            email = _text(entry, "email", at, max_len=320)
            assert email is not None
            if "@" not in email or " " in email:
                raise FeedError(at, f"email {email!r} is not an e-mail address")
            contact_name = _text(entry, "name", at)
            assert contact_name is not None
            ordered = tuple(p for p in BILLING_PURPOSES if p in purposes)
            contacts.append((ordered, contact_name, email, _text(entry, "phone", at, required=False, max_len=30)))
        if not any("BILL_TO" in c[0] for c in contacts):
            raise FeedError(where, "billingContacts must name at least one BILL_TO contact")
    return FeedAccount(
        path=path,
        number=number,
        name=name,
        lines=lines,
        legal_name=_text(record, "legalName", where, required=False),
        address=address,
        billing_contacts=contacts,
    )


def _line(raw: Any, path: str) -> FeedLine:
    key = raw.get("number") if isinstance(raw, dict) and isinstance(raw.get("number"), str) else None
    record = _record(raw, path, LINE_FIELDS, key)
    where = _label(path, key)
    number = _text(record, "number", where, max_len=50)
    assert number is not None
    return FeedLine(
        path=path, number=number, service_type=_choice(record, "serviceType", where, SERVICE_TYPES, "service type")
    )


def _contact(raw: Any, path: str) -> FeedContact:
    key = raw.get("email") if isinstance(raw, dict) and isinstance(raw.get("email"), str) else None
    record = _record(raw, path, CONTACT_FIELDS, key)
    where = _label(path, key)
    email = (_text(record, "email", where, max_len=254) or "").lower()
    if not EMAIL_RE.match(email):
        raise FeedError(where, f"{email!r} is not a valid e-mail address")
    raw_roles = _list(record, "roles", where)
    roles: list[FeedRole] | None = None
    if raw_roles is not None:
        roles = []
        for i, raw_role in enumerate(raw_roles):
            role_where = f"{where}.roles[{i}]"
            role_record = _record(raw_role, role_where, ROLE_FIELDS)
            role = FeedRole(
                role=_choice(role_record, "role", role_where, ROLES, "role"),
                billing_account=_text(role_record, "billingAccount", role_where, required=False, max_len=50),
            )
            if role in roles:
                raise FeedError(
                    role_where,
                    f"duplicate role {role.role}" + (f" on {role.billing_account}" if role.billing_account else ""),
                )
            roles.append(role)
    return FeedContact(
        path=path,
        email=email,
        first_name=_text(record, "firstName", where, required=False, max_len=100),
        last_name=_text(record, "lastName", where, required=False, max_len=100),
        primary_admin=_bool(record, "primaryAdmin", where),
        roles=roles,
    )


def _invoice(raw: Any, path: str, currency: str) -> FeedInvoice:
    key = raw.get("number") if isinstance(raw, dict) and isinstance(raw.get("number"), str) else None
    record = _record(raw, path, INVOICE_FIELDS, key)
    where = _label(path, key)
    number = _text(record, "number", where, max_len=50)
    account = _text(record, "billingAccount", where, max_len=50)
    assert number is not None and account is not None
    service_type = _choice(record, "serviceType", where, SERVICE_TYPES, "service type")
    issue = _date(record, "issueDate", where)
    due = _date(record, "dueDate", where)
    assert issue is not None and due is not None
    if due < issue:
        raise FeedError(where, f"dueDate {due.isoformat()} is before issueDate {issue.isoformat()}")
    period_start = _date(record, "periodStart", where, required=False)
    period_end = _date(record, "periodEnd", where, required=False)
    if period_start and period_end and period_end < period_start:
        raise FeedError(where, f"periodEnd {period_end.isoformat()} is before periodStart {period_start.isoformat()}")
    raw_lines = _list(record, "lines", where, required=True) or []
    if not raw_lines:
        raise FeedError(where, "an invoice needs at least one line")
    lines = []
    for i, raw_line in enumerate(raw_lines):
        line_where = f"{where}.lines[{i}]"
        line_record = _record(raw_line, line_where, INVOICE_LINE_FIELDS)
        description = _text(line_record, "description", line_where, max_len=500)
        assert description is not None
        if "amount" not in line_record:
            raise FeedError(line_where, "amount is required")
        lines.append(
            FeedInvoiceLine(
                description=description,
                line_number=_text(line_record, "lineNumber", line_where, required=False, max_len=50),
                amount_minor=_amount(line_record["amount"], "amount", line_where, currency),
            )
        )
    paid = record.get("amountPaid")
    paid_minor = None if paid is None else _amount(paid, "amountPaid", where, currency)
    invoice = FeedInvoice(
        path=path,
        number=number,
        billing_account=account,
        service_type=service_type,
        issue_date=issue,
        due_date=due,
        period_start=period_start,
        period_end=period_end,
        lines=lines,
        amount_paid_minor=paid_minor,
        contract_number=_text(record, "contractNumber", where, required=False, max_len=50),
        reopen=bool(_bool(record, "reopen", where)),
        rewards_eligible=_bool(record, "rewardsEligible", where),
    )
    if paid_minor is not None and paid_minor > invoice.total_minor:
        raise FeedError(where, f"amountPaid {paid} is more than the invoice total")
    return invoice
