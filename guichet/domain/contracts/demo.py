"""The demo's contracts for ACME: a monthly support contract renewing in 20 days, an annual one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from guichet.domain.contracts.rules import add_months


def demo_contracts(today: date, billing_accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feed records of ACME's two contracts, dated relative to `today`."""
    first, last = billing_accounts[0], billing_accounts[-1]
    end = today + timedelta(days=20)
    start = add_months(end + timedelta(days=1), -12)
    line = first["lines"][0]["number"] if first["lines"] else None
    annual_start = date(today.year, 1, 1)
    support_line: dict[str, Any] = {
        "product": "Premier Support",
        "quantity": 2,
        "unitPrice": "60000",
        "frequency": "MONTHLY",
        "startDate": start.isoformat(),
    }
    if line is not None:
        support_line["lineNumber"] = line
    return [
        {
            "number": f"CT-{start.year}-0001",
            "name": "Support Premier",
            "billingAccount": first["number"],
            "status": "ACTIVE",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "renewalNoticeDate": (end - timedelta(days=10)).isoformat(),
            "autoRenew": True,
            "lines": [
                support_line,
                {
                    "product": "Mise en service",
                    "quantity": 1,
                    "unitPrice": "150000",
                    "frequency": "ONE_TIME",
                    "startDate": start.isoformat(),
                },
            ],
        },
        {
            "number": f"CT-{annual_start.year}-0002",
            "name": "Flotte entreprise (annuel)",
            "billingAccount": last["number"],
            "status": "ACTIVE",
            "startDate": annual_start.isoformat(),
            "endDate": add_months(annual_start, 36).replace(day=1).isoformat(),
            "renewalNoticeDate": None,
            "autoRenew": False,
            "lines": [
                {
                    "product": "Licence gestion de flotte",
                    "quantity": 25,
                    "unitPrice": "24000",
                    "frequency": "ANNUAL",
                    "startDate": annual_start.isoformat(),
                },
            ],
        },
    ]
