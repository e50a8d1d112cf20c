"""The card provider: authorise a charge on a card. A real provider implements CardGateway.

Every charge carries the payment's `reference`, which the provider uses as its idempotency key:
charging the same reference twice must answer the first outcome, never take the money twice.
A provider that can also say what became of a charge by reference implements
`lookup(reference)` (CardChargeLookup); `guichet jobs expire-payments` uses it to settle card
payments left PENDING when a process died between the charge and its record.

Sandbox rules (OPERATIONS.md): numbers ending in 0002 are declined (card_declined), numbers
ending in 9995 fail with insufficient_funds; any other valid Visa or Mastercard succeeds. Saved
cards (only brand, last 4 and expiry are kept) are judged by their last 4 digits the same way.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from guichet.domain.cards import StoredCard
from guichet.domain.money import Money

log = logging.getLogger("guichet.payments")


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    provider_reference: str
    failure_code: str | None = None  # card_declined | insufficient_funds | ...


class CardGateway(Protocol):
    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        """Charge once per `reference`; may raise (timeout, network) when the outcome is unknown."""
        ...


@runtime_checkable
class CardChargeLookup(Protocol):
    """The optional half of a card provider: what became of the charge made under `reference`."""

    async def lookup(self, reference: str) -> ChargeResult | None:
        """The charge's outcome, or None when the provider never received a charge by that reference.

        Raise when the provider cannot answer now (the caller tries again later).
        """
        ...


class SandboxCardGateway:
    """Decides from the card's last 4 digits; never talks to anyone.

    Remembers the charges of this process by reference (the most recent 10 000), so a repeated
    reference answers the first outcome and `lookup` answers like a real provider would. Another
    process's sandbox never saw them: it answers None (no charge), which is the truth in sandbox.
    """

    MEMORY = 10_000

    def __init__(self) -> None:
        self._charges: OrderedDict[str, ChargeResult] = OrderedDict()

    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        known = self._charges.get(reference)
        if known is not None:
            return known
        provider_reference = f"sandbox_{uuid.uuid4().hex[:16]}"
        if card.last4 == "0002":
            result = ChargeResult(False, provider_reference, "card_declined")
        elif card.last4 == "9995":
            result = ChargeResult(False, provider_reference, "insufficient_funds")
        else:
            result = ChargeResult(True, provider_reference)
        self._charges[reference] = result
        while len(self._charges) > self.MEMORY:
            self._charges.popitem(last=False)
        return result

    async def lookup(self, reference: str) -> ChargeResult | None:
        return self._charges.get(reference)


async def charge_outside_transaction(
    gateway: CardGateway, card: StoredCard, amount: Money, *, reference: str
) -> ChargeResult | None:
    """Charge `card` under `reference`; the caller holds no transaction (no row lock, nothing to lose).

    Return None when the outcome is unknown: the charge raised (timeout, network) and the provider
    cannot say yet what became of it. The payment then stays PENDING with its reference for
    `guichet jobs expire-payments` to reconcile; it is never failed blindly, since the money may
    have been taken. A charge that raised is looked up once at once, for the common case of a
    timeout after the provider answered.
    """
    try:
        return await gateway.charge(card, amount, reference=reference)
    except Exception:
        log.warning("card charge %s raised: outcome unknown, left for reconciliation", reference, exc_info=True)
    if isinstance(gateway, CardChargeLookup):
        try:
            # None may mean "not arrived yet": only the job, after a grace period, reads it as "never".
            return await gateway.lookup(reference)
        except Exception:
            log.warning("card charge %s: lookup raised too", reference, exc_info=True)
    return None
