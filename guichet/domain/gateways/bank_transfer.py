"""Bank transfer: tell the payer where to wire the money and which reference to quote.

A real implementation may open a virtual account per payment; the sandbox gives the operator's
own account (settings.bank_transfer_account) and the payment's unique reference, then waits for
the bank's webhook (POST /webhooks/payments/bank-transfer), which may settle a partial amount.
"""

from __future__ import annotations

from typing import Protocol

from guichet.domain.gateways.orange_money import PendingRequest
from guichet.domain.money import Money
from guichet.settings import DEFAULT_BANK_TRANSFER_ACCOUNT


class BankTransferGateway(Protocol):
    async def request_transfer(self, amount: Money, *, reference: str) -> PendingRequest: ...


class SandboxBankTransferGateway:
    """Wiring instructions to one fixed account; settlement comes from the webhook."""

    def __init__(self, account: str = DEFAULT_BANK_TRANSFER_ACCOUNT) -> None:
        self.account = account

    async def request_transfer(self, amount: Money, *, reference: str) -> PendingRequest:
        return PendingRequest(
            provider_reference=reference,
            instructions_key="instructions_bank_transfer",
            instructions_params={"account": self.account, "reference": reference},
        )
