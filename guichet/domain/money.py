"""Money as integer minor units with an ISO 4217 currency; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 exponents for the currencies Guichet serves; extend as operators need.
CURRENCY_EXPONENTS: dict[str, int] = {
    "XOF": 0,
    "XAF": 0,
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "MAD": 2,
    "GNF": 0,
    "JPY": 0,
    "KWD": 3,
    "TND": 3,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unsupported currency {currency!r}") from None


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError("amounts are integer minor units")
        exponent(self.currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact (e.g. Decimal('127.96'))."""
        exp = exponent(self.currency)
        return Decimal(self.minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def split(self, parts: int) -> list[Money]:
        """Split into `parts` amounts adding up exactly, the remainder units on the first ones."""
        return [Money(m, self.currency) for m in split_minor(self.minor, parts)]

    def format(self, locale: str = "fr") -> str:
        """Human text, French style by default: '127,96 €', '25 000 XOF'."""
        text = f"{self.amount:,}"
        if locale == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(self.currency)
        if symbol and locale == "fr":
            return f"{text} {symbol}"
        if symbol:
            return f"{symbol}{text}"
        return f"{text} {self.currency}"


def split_minor(total: int, parts: int) -> list[int]:
    """Split `total` minor units into `parts` integers: equal, the whole remainder on the first one.

    The contract's rule (200.00 in 3 -> 66.68, 66.66, 66.66): every part after the first is the
    same, so a customer's statement shows one figure repeated. Raise MoneyError below one part.
    """
    if parts < 1:
        raise MoneyError("cannot split into fewer than one part")
    base, remainder = divmod(total, parts)
    return [base + remainder] + [base] * (parts - 1)


def parse_amount(text: str, currency: str) -> Money:
    """Parse a decimal string ('127.96', '25000') into Money; refuse extra precision or floats."""
    exp = exponent(currency)
    if not isinstance(text, str):
        raise MoneyError("amounts are decimal strings")
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise MoneyError(f"{text!r} is not a decimal amount") from None
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a decimal amount")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{text!r} has more than {exp} decimals for {currency}")
    return Money(int(scaled), currency)
