"""Card providers for tests: one remembering its charges by reference with scripted failures, one without lookup."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from guichet.domain.cards import StoredCard
from guichet.domain.gateways.card import ChargeResult
from guichet.domain.money import Money

VISA_OK = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"}


class ProviderDown(Exception):
    """The provider did not answer (a timeout, a network error)."""


@dataclass
class ScriptedGateway:
    """A card provider remembering its charges by reference, with scripted failures.

    `lose_answer`: the charge is made, then the call raises (a timeout after the provider took the
    money). `down`: every call raises before anything reaches the provider. `lookup_down`: lookups
    raise. `while_charging`: awaited inside charge(), to observe the database at that moment.
    """

    lose_answer: bool = False
    down: bool = False
    lookup_down: bool = False
    delay: float = 0.0
    while_charging: Any = None
    charges: dict[str, ChargeResult] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        self.calls.append(reference)
        if self.down:
            raise ProviderDown(reference)
        if self.while_charging is not None:
            await self.while_charging(reference)
        if self.delay:
            await asyncio.sleep(self.delay)
        result = self.charges.setdefault(reference, ChargeResult(card.last4 != "0002", f"prov-{reference}"))
        if self.lose_answer:
            raise ProviderDown(reference)
        return result

    async def lookup(self, reference: str) -> ChargeResult | None:
        if self.lookup_down:
            raise ProviderDown(reference)
        return self.charges.get(reference)


class ChargeOnlyGateway:
    """A provider that cannot say what became of a charge (no lookup)."""

    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        raise ProviderDown(reference)


def use_gateway(app: Any, gateway: Any) -> None:
    state = app.state.guichet
    state.gateways = dataclasses.replace(state.gateways, card=gateway)
