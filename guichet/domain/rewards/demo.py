"""The demo's support rewards for ACME: one lot expiring soon, one later, and an eligible invoice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from guichet.domain.contracts.rules import add_months


def demo_rewards(today: date, currency: str) -> list[dict[str, Any]]:
    """Feed records of ACME's ledger, dated relative to `today`: 25,000 expire in 12 days (EXPIRING_SOON)."""
    half_year = add_months(today, -5)
    return [
        {
            "ref": "RW-DEMO-H1",
            "type": "EARNED",
            "currency": currency,
            "amount": "25000",
            "occurredAt": f"{add_months(today, -11).isoformat()}T00:00:00Z",
            "expiresAt": (today + timedelta(days=12)).isoformat(),
            "note": "Récompenses support (1er semestre)",
        },
        {
            "ref": "RW-DEMO-H2",
            "type": "EARNED",
            "currency": currency,
            "amount": "40000",
            "occurredAt": f"{half_year.isoformat()}T00:00:00Z",
            "expiresAt": add_months(today, 7).isoformat(),
            "note": "Récompenses support (2e semestre)",
        },
    ]


def mark_eligible(invoices: list[dict[str, Any]], today: date) -> None:
    """Rewards may pay ACME's invoices not yet due (the newest ones): the demo can redeem on them."""
    for record in invoices:
        if date.fromisoformat(record["dueDate"]) >= today and "amountPaid" not in record:
            record["rewardsEligible"] = True
