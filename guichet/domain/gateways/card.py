"""The card provider: authorise a charge on a card. A real provider implements CardGateway.

Sandbox rules (OPERATIONS.md): numbers ending in 0002 are declined (card_declined), numbers
ending in 9995 fail with insufficient_funds; any other valid Visa or Mastercard succeeds. Saved
cards (only brand, last 4 and expiry are kept) are judged by their last 4 digits the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from guichet.domain.cards import StoredCard
from guichet.domain.money import Money


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    provider_reference: str
    failure_code: str | None = None  # card_declined | insufficient_funds | ...


class CardGateway(Protocol):
    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult: ...


class SandboxCardGateway:
    """Decides from the card's last 4 digits; never talks to anyone."""

    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        provider_reference = f"sandbox_{uuid.uuid4().hex[:16]}"
        if card.last4 == "0002":
            return ChargeResult(False, provider_reference, "card_declined")
        if card.last4 == "9995":
            return ChargeResult(False, provider_reference, "insufficient_funds")
        return ChargeResult(True, provider_reference)
