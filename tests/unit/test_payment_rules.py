"""Pure payment rules: wallet numbers, failure codes, lazy expiry, allocation, fingerprints."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.payments.rules import (
    Allocation,
    allocate,
    effective_state,
    failure_code_from_reason,
    new_reference,
    normalise_msisdn,
    request_fingerprint,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0701020304", "+2250701020304"),
        ("+2250501020304", "+2250501020304"),
        ("2250101020304", "+2250101020304"),
        ("00225 07 01 02 03 04", "+2250701020304"),
        ("+225 07-01-02-03-04", "+2250701020304"),
    ],
)
def test_ivorian_wallet_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_msisdn(raw, field=["input", "msisdn"]) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "0201020304", "2721020304", "070102030", "07010203045", "+33701020304", "07O1020304", None]
)
def test_other_numbers_are_refused_on_the_msisdn_field(raw: str | None) -> None:
    with pytest.raises(DomainError) as caught:
        normalise_msisdn(raw, field=["input", "msisdn"])
    assert caught.value.code is ErrorCode.VALIDATION
    assert caught.value.field == ["input", "msisdn"]


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("insufficient_funds", "insufficient_funds"),
        ("Insufficient balance", "insufficient_funds"),
        ("Solde insuffisant", "insufficient_funds"),
        ("card_declined", "card_declined"),
        ("Cancelled by user", "cancelled"),
        ("timeout", "expired"),
        ("weird", "provider_error"),
        (None, "provider_error"),
    ],
)
def test_provider_reasons_map_to_failure_codes(reason: str | None, code: str) -> None:
    assert failure_code_from_reason(reason) == code


def test_pending_past_expiry_reads_as_expired_failure() -> None:
    expires = NOW - timedelta(seconds=1)
    state = effective_state("PENDING", None, None, expires, NOW)
    assert (state.status, state.failure_code, state.completed_at) == ("FAILED", "expired", expires)
    assert effective_state("PENDING", None, None, NOW + timedelta(seconds=1), NOW).status == "PENDING"
    assert effective_state("SUCCEEDED", None, NOW, expires, NOW).status == "SUCCEEDED"


def test_allocation_pays_oldest_due_first_and_adds_up() -> None:
    invoices = [(2, date(2026, 11, 15), 30000), (1, date(2026, 10, 15), 25000)]
    assert allocate(30000, invoices) == [Allocation(1, 25000), Allocation(2, 5000)]
    assert allocate(55000, invoices) == [Allocation(1, 25000), Allocation(2, 30000)]
    assert allocate(0, invoices) == [Allocation(1, 0), Allocation(2, 0)]
    with pytest.raises(ValueError):
        allocate(55001, invoices)


def test_fingerprint_is_keyed_and_order_free() -> None:
    a = request_fingerprint("s1", "payInvoices", {"invoices": [1, 2], "method": "CARD"})
    assert a == request_fingerprint("s1", "payInvoices", {"method": "CARD", "invoices": [1, 2]})
    assert a != request_fingerprint("s2", "payInvoices", {"invoices": [1, 2], "method": "CARD"})
    assert a != request_fingerprint("s1", "payInvoices", {"invoices": [1, 3], "method": "CARD"})


def test_references_are_distinct_and_readable() -> None:
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000
    assert all(r.startswith("GP-") and len(r) == 13 and not set(r[3:]) & set("01ILO") for r in references)


def test_audit_subject_ids_are_the_public_ids() -> None:
    # The audit trail and the GraphQL layer share guichet.domain.ids: one encoding of public IDs.
    assert to_global_id("Payment", 42) == "UGF5bWVudDo0Mg"
