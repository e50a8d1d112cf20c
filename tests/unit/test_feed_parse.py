"""Feed validation: every bad record is named by its path and key, before any database work."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from guichet.domain.feed import FeedError
from guichet.domain.feed.parse import load_document, parse_feed

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"


def basic() -> dict[str, Any]:
    return json.loads((FEEDS / "basic.json").read_text())


def refused(document: Any) -> str:
    with pytest.raises(FeedError) as caught:
        parse_feed(document)
    return str(caught.value)


def test_a_valid_feed_is_read_into_records() -> None:
    feed = parse_feed(basic())

    acme, jean = feed.organisations
    assert (acme.taxpayer_number, acme.ref, acme.currency) == ("CI-0123456-A", "acme", "XOF")
    assert [a.number for a in acme.accounts] == ["BA-1001", "BA-1002"]
    assert [(line.number, line.service_type) for line in acme.accounts[0].lines] == [
        ("+2250701020304", "MOBILE"),
        ("+2252720212223", "FIXED"),
    ]
    assert acme.contacts[0].primary_admin is True and acme.contacts[1].primary_admin is None
    assert acme.contacts[1].roles is not None and acme.contacts[1].roles[0].billing_account == "BA-1001"
    fixed = acme.invoices[1]
    assert (fixed.total_minor, fixed.amount_paid_minor, fixed.issue_date) == (16250, 16250, date(2026, 10, 1))
    assert acme.invoices[0].amount_paid_minor is None
    assert jean.contacts[0].email == "jean.dupont@example.fr"  # e-mails are compared lower-cased
    assert jean.contacts[0].roles is None
    assert jean.invoices[0].total_minor == 1999  # EUR cents


def test_an_invoice_total_is_the_sum_of_its_lines() -> None:
    document = basic()
    document["organisations"][0]["invoices"][0]["lines"].append({"description": "Hors forfait", "amount": "1500"})

    assert parse_feed(document).organisations[0].invoices[0].total_minor == 26500


def test_a_duplicate_invoice_number_names_both_records() -> None:
    document = basic()
    invoices = document["organisations"][0]["invoices"]
    invoices[2]["number"] = invoices[0]["number"]

    assert refused(document) == (
        "organisations[0].invoices[2] (F-2026-000001): duplicate invoice number F-2026-000001 "
        "(also organisations[0].invoices[0] (F-2026-000001))"
    )


def test_a_duplicate_across_organisations_is_refused_too() -> None:
    document = basic()
    document["organisations"][1]["invoices"][0]["number"] = "F-2026-000003"

    assert refused(document).startswith("organisations[1].invoices[0] (F-2026-000003): duplicate invoice number")


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (25000.5, 'amount must be a decimal string such as "25000" or "127.96", not 25000.5'),
        (25000, 'amount must be a decimal string such as "25000" or "127.96", not 25000'),
        ("250.5", "amount: '250.5' has more than 0 decimals for XOF"),
        ("-100", "amount '-100' is negative"),
        ("12,50", "amount: '12,50' is not a decimal amount"),
        ("NaN", "amount: 'NaN' is not a decimal amount"),
    ],
)
def test_a_bad_amount_is_refused(amount: Any, reason: str) -> None:
    document = basic()
    document["organisations"][0]["invoices"][3 - 1]["lines"][0]["amount"] = amount

    assert refused(document) == f"organisations[0].invoices[2] (F-2026-000003).lines[0]: {reason}"


def test_eur_amounts_take_two_decimals_not_three() -> None:
    document = basic()
    document["organisations"][1]["invoices"][0]["lines"][0]["amount"] = "19.999"

    assert refused(document) == (
        "organisations[1].invoices[0] (F-2026-100001).lines[0]: amount: '19.999' has more than 2 decimals for EUR"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "issueDate '2026-02-30' is not a valid date"),
        ("01/10/2026", "issueDate '01/10/2026' is not a date (YYYY-MM-DD)"),
        (20261001, "issueDate 20261001 is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_date_is_refused(value: Any, reason: str) -> None:
    document = basic()
    document["organisations"][0]["invoices"][0]["issueDate"] = value

    assert refused(document) == f"organisations[0].invoices[0] (F-2026-000001): {reason}"


def test_a_due_date_before_the_issue_date_is_refused() -> None:
    document = basic()
    document["organisations"][0]["invoices"][0]["dueDate"] = "2026-09-30"

    assert (
        refused(document)
        == "organisations[0].invoices[0] (F-2026-000001): dueDate 2026-09-30 is before issueDate 2026-10-01"
    )


def test_an_unknown_service_type_is_refused() -> None:
    document = basic()
    document["organisations"][0]["billingAccounts"][0]["lines"][1]["serviceType"] = "SATELLITE"

    assert refused(document) == (
        "organisations[0].billingAccounts[0].lines[1] (+2252720212223): unknown service type 'SATELLITE' "
        "(expected one of: FIXED, MOBILE, INTERNET)"
    )


def test_an_unknown_role_is_refused() -> None:
    document = basic()
    document["organisations"][0]["contacts"][1]["roles"][0]["role"] = "ACCOUNTANT"

    assert refused(document) == (
        "organisations[0].contacts[1] (compta@acme.ci).roles[0]: unknown role 'ACCOUNTANT' "
        "(expected one of: FINANCE, COMMERCIAL, MANAGEMENT, ADMIN)"
    )


def test_a_misspelt_field_is_refused_rather_than_ignored() -> None:
    document = basic()
    document["organisations"][0]["invoices"][1]["reOpen"] = True

    assert refused(document).startswith("organisations[0].invoices[1] (F-2026-000002): unknown field 'reOpen'")


def test_an_amount_paid_above_the_total_is_refused() -> None:
    document = basic()
    document["organisations"][0]["invoices"][0]["amountPaid"] = "25001"

    assert (
        refused(document)
        == "organisations[0].invoices[0] (F-2026-000001): amountPaid 25001 is more than the invoice total"
    )


def test_two_primary_admins_in_one_organisation_are_refused() -> None:
    document = basic()
    document["organisations"][0]["contacts"][1]["primaryAdmin"] = True

    assert refused(document) == (
        "organisations[0].contacts[1] (compta@acme.ci): a second primary admin "
        "(also organisations[0].contacts[0] (dg@acme.ci)): an organisation has one"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["organisations"][0].pop("name"), "organisations[0] (CI-0123456-A): name is required"),
        (
            lambda d: d["organisations"][0].update(kind="COMPANY"),
            "organisations[0] (CI-0123456-A): unknown organisation kind 'COMPANY' (expected one of: BUSINESS, INDIVIDUAL)",
        ),
        (
            lambda d: d["organisations"][0].update(currency="ZZZ"),
            "organisations[0] (CI-0123456-A): unsupported currency 'ZZZ'",
        ),
        (
            lambda d: d["organisations"][1].pop("ref"),
            "organisations[1]: taxpayerNumber or ref is required (the organisation's business key)",
        ),
        (
            lambda d: d["organisations"][0]["contacts"][0].update(email="not-an-email"),
            "organisations[0].contacts[0] (not-an-email): 'not-an-email' is not a valid e-mail address",
        ),
        (
            lambda d: d["organisations"][0]["invoices"][0].update(lines=[]),
            "organisations[0].invoices[0] (F-2026-000001): an invoice needs at least one line",
        ),
        (lambda d: d.update(organisations={}), "feed: organisations must be a list"),
    ],
)
def test_other_malformed_records_are_named(change: Any, reason: str) -> None:
    document = copy.deepcopy(basic())
    change(document)

    assert refused(document) == reason


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FeedError) as caught:
        load_document(tmp_path / "absent.json")

    assert str(caught.value) == f"{tmp_path / 'absent.json'}: no such file"


def test_malformed_json_is_reported_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('{"organisations": [\n  {"ref": "x",}\n]}')

    with pytest.raises(FeedError) as caught:
        load_document(path)

    assert (
        str(caught.value)
        == f"{path}: malformed JSON: Expecting property name enclosed in double quotes at line 2 column 15"
    )
