"""Pure payment rules: wallet numbers, references, failure codes, lazy expiry, allocation, fingerprints."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from guichet.domain.errors import DomainError, ErrorCode

METHODS = ("ORANGE_MONEY", "BANK_TRANSFER", "CARD")
STATUSES = ("PENDING", "SUCCEEDED", "FAILED")
# The webhook path segment of each method (OPERATIONS.md).
PROVIDER_OF_METHOD = {"ORANGE_MONEY": "orange-money", "BANK_TRANSFER": "bank-transfer", "CARD": "card"}
METHOD_OF_PROVIDER = {v: k for k, v in PROVIDER_OF_METHOD.items()}
# Failure codes a PaymentFailure carries; anything else a provider says becomes provider_error.
FAILURE_CODES = ("insufficient_funds", "card_declined", "card_expired", "cancelled", "expired", "provider_error")
# How long a payment waits for its webhook before it expires and frees its invoices: an Orange
# Money prompt is answered within minutes; a bank transfer takes days to arrive (settings:
# GUICHET_PAYMENT_EXPIRY_SECONDS and GUICHET_BANK_TRANSFER_EXPIRY_DAYS). Cards never expire.
ORANGE_MONEY_EXPIRY_SECONDS = 30 * 60
BANK_TRANSFER_EXPIRY_DAYS = 7
BANK_TRANSFER_EXPIRY_SECONDS = BANK_TRANSFER_EXPIRY_DAYS * 24 * 3600
MAX_INVOICES_PER_PAYMENT = 50
MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600
# A card payment still PENDING this long after it was created lost its process between the
# charge and its record: the expiry job asks the provider what became of it. Longer than any
# provider call may take, so the job never races a charge still under way.
CARD_RECONCILE_AFTER_SECONDS = 5 * 60
# How long a concurrent twin of a card payment (same key, same input) waits for the first
# request's outcome before answering with the payment as it stands (PENDING).
CARD_TWIN_WAIT_SECONDS = 15.0

_MSISDN_SEPARATORS = re.compile(r"[\s.\-()]")
_MSISDN_LOCAL = re.compile(r"0[157]\d{8}")
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a bank counter


def normalise_msisdn(raw: str | None, *, field: Sequence[str]) -> str:
    """An Orange Money wallet number of Côte d'Ivoire as +225XXXXXXXXXX.

    Accept an optional +225, 00225 or 225 prefix, then 10 digits starting with 01, 05 or 07
    (mobile wallets). Raise DomainError(VALIDATION, msisdn_invalid) on anything else.
    """
    if raw is None or not raw.strip():
        raise DomainError(ErrorCode.VALIDATION, "msisdn_required", field=list(field))
    text = _MSISDN_SEPARATORS.sub("", raw.strip())
    for prefix in ("+225", "00225", "225"):
        if text.startswith(prefix) and len(text) == len(prefix) + 10:
            text = text[len(prefix) :]
            break
    if not _MSISDN_LOCAL.fullmatch(text):
        raise DomainError(ErrorCode.VALIDATION, "msisdn_invalid", field=list(field))
    return "+225" + text


def new_reference() -> str:
    """A unique, provider-facing payment reference such as GP-7KQ2M9XH4T (uniqueness checked by the DB)."""
    return "GP-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def failure_code_from_reason(reason: str | None) -> str:
    """Map a provider's free-text reason to one of FAILURE_CODES (unknown: provider_error)."""
    text = (reason or "").strip().lower().replace("-", "_").replace(" ", "_")
    if text in FAILURE_CODES:
        return text
    if "insufficient" in text or "balance" in text or "solde" in text or "funds" in text:
        return "insufficient_funds"
    if "declin" in text or "refus" in text or "reject" in text:
        return "card_declined"
    if "cancel" in text or "annul" in text:
        return "cancelled"
    if "expir" in text or "timeout" in text:
        return "expired"
    return "provider_error"


def clean_reason(reason: str | None) -> str | None:
    """A provider's reason, printable and short enough to keep (it is shown to support, not to users)."""
    if reason is None:
        return None
    printable = "".join(ch for ch in reason if ch.isprintable())
    return printable[:200] or None


@dataclass(frozen=True)
class EffectiveState:
    status: str
    failure_code: str | None
    completed_at: datetime | None


def effective_state(
    status: str, failure_code: str | None, completed_at: datetime | None, expires_at: datetime | None, now: datetime
) -> EffectiveState:
    """What a reader sees: a PENDING payment past its expiry is already FAILED (expired).

    The row itself is moved by `guichet jobs expire-payments` or by the next payment attempt on
    its invoices, so readers never have to wait for the job.
    """
    if status == "PENDING" and expires_at is not None and expires_at <= now:
        return EffectiveState("FAILED", "expired", expires_at)
    return EffectiveState(status, failure_code, completed_at)


def visible_within(invoice_accounts: Iterable[int], reach: frozenset[int] | None) -> bool:
    """Whether a reader reaching these billing accounts (None: all of them) may see a payment.

    A payment covers invoices of several accounts: a reader limited to some accounts sees it
    only when every invoice it covers is in them (a payment of no invoice is seen by any reader).
    """
    return reach is None or all(account in reach for account in invoice_accounts)


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    amount_minor: int


def allocate(received_minor: int, invoices: Sequence[tuple[int, date, int]]) -> list[Allocation]:
    """Spread a received amount over (invoice_id, due_date, requested_minor), oldest due first.

    Each invoice gets at most what was asked for it; the amounts add up to `received_minor`
    (callers refuse more than the total asked).
    """
    if received_minor < 0:
        raise ValueError("a received amount is never negative")
    remaining = received_minor
    result = []
    for invoice_id, _due, requested in sorted(invoices, key=lambda row: (row[1], row[0])):
        share = min(remaining, requested)
        result.append(Allocation(invoice_id, share))
        remaining -= share
    if remaining:
        raise ValueError("received more than was asked")
    return result


def request_fingerprint(secret: str, operation: str, fields: dict[str, object]) -> str:
    """A keyed HMAC of the canonical request: equal inputs give equal fingerprints.

    Keyed (settings.secret_key) because the input may hold a card number, which a plain hash
    would let anyone with the table brute-force.
    """
    canonical = json.dumps({"operation": operation, **fields}, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
