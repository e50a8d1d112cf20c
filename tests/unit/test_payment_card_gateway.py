"""The sandbox card provider: one outcome per reference, and a lookup by reference like a real provider."""

from __future__ import annotations

import pytest

from guichet.domain.cards import StoredCard
from guichet.domain.gateways.card import SandboxCardGateway
from guichet.domain.money import Money


@pytest.mark.parametrize("last4", ["4242", "0002"])
async def test_the_sandbox_answers_a_reference_once_and_can_look_it_up(last4: str) -> None:
    sandbox = SandboxCardGateway()
    card = StoredCard("VISA", last4, 12, 2028)

    first = await sandbox.charge(card, Money(100, "EUR"), reference="GP-A")
    again = await sandbox.charge(card, Money(100, "EUR"), reference="GP-A")

    assert again == first
    assert first.succeeded is (last4 == "4242")
    assert await sandbox.lookup("GP-A") == first
    assert await sandbox.lookup("GP-B") is None
