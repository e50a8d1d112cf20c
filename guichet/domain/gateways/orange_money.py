"""The Orange Money provider: ask the wallet's owner to approve a payment on the phone.

A real provider implements OrangeMoneyGateway (push a payment request to the wallet, answer
with its own reference). The sandbox asks nobody: the payment stays PENDING until the
provider's webhook (POST /webhooks/payments/orange-money) says SUCCEEDED or FAILED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from guichet.domain.money import Money


@dataclass(frozen=True)
class PendingRequest:
    """A request the payer must complete; `instructions` names a catalogue message and its values."""

    provider_reference: str
    instructions_key: str
    instructions_params: dict[str, str] = field(default_factory=dict)


class OrangeMoneyGateway(Protocol):
    async def request_payment(self, msisdn: str, amount: Money, *, reference: str) -> PendingRequest: ...


class SandboxOrangeMoneyGateway:
    """Accepts every request and waits for the webhook; never talks to anyone."""

    async def request_payment(self, msisdn: str, amount: Money, *, reference: str) -> PendingRequest:
        return PendingRequest(
            provider_reference=f"om_sandbox_{uuid.uuid4().hex[:16]}",
            instructions_key="instructions_orange_money",
            instructions_params={"msisdn": msisdn, "reference": reference},
        )
