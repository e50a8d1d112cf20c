"""Billing-profile rules: a saved card's status, a wallet's mask, what a valid address and contact are."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from guichet.domain.errors import DomainError, ErrorCode

PURPOSES = ("BILL_TO", "ACCOUNT", "DUNNING")
EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    country: str
    line2: str | None = None
    postal_code: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class ContactEntry:
    purposes: tuple[str, ...]
    name: str
    email: str
    phone: str | None = None


def card_status(exp_month: int, exp_year: int, today: date) -> str:
    """EXPIRED after the expiry month's last day; EXPIRING_SOON within 30 days of it; ACTIVE otherwise."""
    last_day = date(exp_year, exp_month, monthrange(exp_year, exp_month)[1])
    if last_day < today:
        return "EXPIRED"
    if last_day <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return "EXPIRING_SOON"
    return "ACTIVE"


def mask_msisdn(msisdn: str) -> str:
    """+2250701020304 -> "+225 07 •• •• 03 04": the operator prefix and the last four digits only."""
    digits = msisdn.removeprefix("+225")
    return f"+225 {digits[:2]} •• •• {digits[-4:-2]} {digits[-2:]}"


def check_address(address: Address) -> Address:
    """Raise DomainError(VALIDATION) on the first empty or oversized part, with its field path."""
    field = ["input", "address"]
    for name, value, limit in (("line1", address.line1, 200), ("city", address.city, 100)):
        if not value.strip() or len(value) > limit:
            raise DomainError(ErrorCode.VALIDATION, "address_part_invalid", field=[*field, name])
    if len(address.country) != 2 or not address.country.isalpha():
        raise DomainError(ErrorCode.VALIDATION, "country_invalid", field=[*field, "country"])
    return Address(
        line1=address.line1.strip(),
        city=address.city.strip(),
        country=address.country.upper(),
        line2=(address.line2 or "").strip() or None,
        postal_code=(address.postal_code or "").strip() or None,
        region=(address.region or "").strip() or None,
    )


def check_contacts(contacts: list[ContactEntry]) -> list[ContactEntry]:
    """Raise DomainError(VALIDATION) for a bad entry, LAST_BILL_TO_CONTACT when no BILL_TO is left."""
    for index, entry in enumerate(contacts):
        field = ["input", "contacts", str(index)]
        if not entry.purposes:
            raise DomainError(ErrorCode.VALIDATION, "purposes_required", field=[*field, "purposes"])
        if not entry.name.strip() or len(entry.name) > 200:
            raise DomainError(ErrorCode.VALIDATION, "contact_name_invalid", field=[*field, "name"])
        email = entry.email.strip()
        if "@" not in email or len(email) > 320 or " " in email:
            raise DomainError(ErrorCode.VALIDATION, "email_invalid", field=[*field, "email"])
    if not any("BILL_TO" in entry.purposes for entry in contacts):
        raise DomainError(ErrorCode.LAST_BILL_TO_CONTACT, field=["input", "contacts"])
    return [
        ContactEntry(tuple(p for p in PURPOSES if p in e.purposes), e.name.strip(), e.email.strip(), e.phone)
        for e in contacts
    ]
