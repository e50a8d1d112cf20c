"""Card rules for instalment plans: valid through the last scheduled debit; brands by number range."""

from __future__ import annotations

from datetime import date

import pytest

from guichet.domain.cards import CardDetails, StoredCard, require_valid_through, validate_card
from guichet.domain.errors import DomainError, ErrorCode

FIELD = ["input", "card"]


def test_an_expiry_month_equal_to_the_last_instalments_is_accepted() -> None:
    card = StoredCard("VISA", "4242", 10, 2019)
    require_valid_through(card, date(2019, 10, 3), field=FIELD)
    require_valid_through(card, date(2019, 10, 31), field=FIELD)


def test_a_card_expiring_the_month_before_the_last_instalment_is_refused() -> None:
    card = StoredCard("VISA", "4242", 9, 2019)
    with pytest.raises(DomainError) as raised:
        require_valid_through(card, date(2019, 10, 3), field=FIELD)
    assert raised.value.code == ErrorCode.CARD_EXPIRES_TOO_SOON
    assert raised.value.field == ["input", "card", "expYear"]


def test_nothing_scheduled_nothing_to_check() -> None:
    require_valid_through(StoredCard("VISA", "4242", 1, 2000), None, field=FIELD)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242 4242 4242 4242", "VISA"),
        ("5555555555554444", "MASTERCARD"),
        ("2223003122003222", "MASTERCARD"),
    ],
)
def test_visa_and_mastercard_are_recognised_by_their_ranges(number: str, brand: str) -> None:
    card = validate_card(CardDetails(number, 12, 2030, "123"), today=date(2026, 11, 25), field=FIELD)
    assert (card.brand, card.last4) == (brand, number[-4:])


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4242424242424241", ErrorCode.CARD_INVALID),  # Luhn
        ("378282246310005", ErrorCode.CARD_BRAND_NOT_ACCEPTED),  # American Express
        ("6011111111111117", ErrorCode.CARD_BRAND_NOT_ACCEPTED),  # Discover
    ],
)
def test_other_cards_are_refused_with_their_code(number: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as raised:
        validate_card(CardDetails(number, 12, 2030, "123"), today=date(2026, 11, 25), field=FIELD)
    assert raised.value.code == code


def test_the_card_details_never_show_the_number() -> None:
    details = CardDetails("4242424242424242", 12, 2030, "123")
    assert "424242424242" not in repr(details) and "123" not in repr(details).replace("12/2030", "")
