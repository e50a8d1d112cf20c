"""The card a customer types, shared by payInvoices and the schedule mutations.

Only brand, last 4 digits and expiry ever leave this input: the number and the CVC are
turned into a CardDetails (whose repr hides them) and are never stored nor logged.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from guichet.domain.cards import CardDetails, StoredCard


@strawberry.input(description="A payment card as typed by the customer; only brand, last 4 digits and expiry are kept.")
class CardInput:
    number: str = strawberry.field(description="The card number (spaces and dashes allowed).")
    exp_month: int = strawberry.field(description="Expiry month, 1 to 12.")
    exp_year: int = strawberry.field(description="Expiry year, four digits.")
    cvc: str = strawberry.field(description="The 3-digit security code; checked, never stored.")
    holder_name: str | None = strawberry.field(default=None, description="The name on the card.")

    def to_details(self) -> CardDetails:
        """The domain's view of the typed card (its repr never shows the number or CVC)."""
        return CardDetails(
            number=self.number,
            exp_month=self.exp_month,
            exp_year=self.exp_year,
            cvc=self.cvc,
            holder_name=self.holder_name,
        )

    def __repr__(self) -> str:  # never leak the number or CVC into logs or tracebacks
        return repr(self.to_details())


@strawberry.enum(description="Card brands accepted for payments and instalment plans.")
class CardBrand(Enum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"


@strawberry.type(description="A saved card as shown to its owner: brand, last 4 digits and expiry only.")
class Card:
    brand: CardBrand = strawberry.field(description="VISA or MASTERCARD.")
    last4: str = strawberry.field(description="The last 4 digits of the card number.")
    exp_month: int = strawberry.field(description="Expiry month, 1 to 12.")
    exp_year: int = strawberry.field(description="Expiry year, four digits.")

    @classmethod
    def of(cls, card: StoredCard) -> Card:
        return cls(brand=CardBrand(card.brand), last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year)
