"""Payment-card rules: brand by number range, Luhn, expiry. Only brand, last 4 and expiry are kept."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from guichet.domain.errors import DomainError, ErrorCode


@dataclass(frozen=True, slots=True)
class CardDetails:
    """The raw card as typed by the customer; never stored, never logged."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str | None = None

    def __repr__(self) -> str:  # never leak the number or CVC into logs or tracebacks
        return f"CardDetails(last4={self.number[-4:]!r}, exp={self.exp_month:02d}/{self.exp_year})"


@dataclass(frozen=True, slots=True)
class StoredCard:
    brand: str  # VISA | MASTERCARD
    last4: str
    exp_month: int
    exp_year: int

    def last_valid_day(self) -> date:
        """A card is valid through the last day of its expiry month."""
        return date(self.exp_year, self.exp_month, monthrange(self.exp_year, self.exp_month)[1])


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(number: str) -> str | None:
    """VISA (4…), MASTERCARD (51–55, 2221–2720), another brand name, or None."""
    if number.startswith("4"):
        return "VISA"
    if len(number) >= 4:
        head2, head4 = int(number[:2]), int(number[:4])
        if 51 <= head2 <= 55 or 2221 <= head4 <= 2720:
            return "MASTERCARD"
    if number[:2] in {"34", "37"}:
        return "AMEX"
    if number.startswith(("6011", "65")):
        return "DISCOVER"
    return None


def normalise_number(number: str) -> str:
    return number.replace(" ", "").replace("-", "")


def validate_card(card: CardDetails, *, today: date, field: list[str]) -> StoredCard:
    """Check a typed card and return what may be stored.

    Raise DomainError(CARD_INVALID) for a bad number, expiry or CVC, and
    DomainError(CARD_BRAND_NOT_ACCEPTED) for anything but Visa or Mastercard.
    """
    number = normalise_number(card.number)
    if not luhn_valid(number):
        raise DomainError(ErrorCode.CARD_INVALID, "card_number_invalid", field=[*field, "number"])
    brand = card_brand(number)
    if brand not in {"VISA", "MASTERCARD"}:
        raise DomainError(ErrorCode.CARD_BRAND_NOT_ACCEPTED, field=[*field, "number"])
    if not 1 <= card.exp_month <= 12 or not 2000 <= card.exp_year <= 2100:
        raise DomainError(ErrorCode.CARD_INVALID, "card_expiry_invalid", field=[*field, "expMonth"])
    stored = StoredCard(brand, number[-4:], card.exp_month, card.exp_year)
    if stored.last_valid_day() < today:
        raise DomainError(ErrorCode.CARD_INVALID, "card_expired", field=[*field, "expYear"])
    if not (card.cvc.isdigit() and len(card.cvc) == 3):
        raise DomainError(ErrorCode.CARD_INVALID, "card_cvc_invalid", field=[*field, "cvc"])
    return stored


def require_valid_through(card: StoredCard, last_day: date | None, *, field: list[str]) -> None:
    """Raise DomainError(CARD_EXPIRES_TOO_SOON) unless the card is still valid on `last_day`.

    Used for instalment plans: the card must stay valid through the last scheduled debit. A card
    is valid through the last day of its expiry month, so an expiry month equal to the last
    debit's month is accepted. Nothing is checked when nothing is scheduled (`last_day` None).
    """
    if last_day is not None and card.last_valid_day() < last_day:
        raise DomainError(
            ErrorCode.CARD_EXPIRES_TOO_SOON,
            field=[*field, "expYear"],
            params={"date": last_day.strftime("%d/%m/%Y")},
        )
