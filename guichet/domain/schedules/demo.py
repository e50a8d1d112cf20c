"""Demo instalment plans for jean.dupont@example.fr (feed records; the demo loader imports them).

Dates are placed around `today` (2026-11-25 gives the dates in the comments), so whenever the
demo is loaded there is: one plan in progress (the seed's 127.96 in 3, two instalments paid, the
card change still possible), one finished plan (with fees), and one unpaid plan whose debt is the
seed's 159.18 (so the regularisation options read 159.18, 2 x 79.59, 3 x 53.06).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


def demo_schedules(today: date | None = None) -> list[dict[str, Any]]:
    """Feed records of jean.dupont@example.fr's three plans."""
    today = today or date.today()
    valid_until = today.year + 2

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    return [
        {
            # 20/10, 19/11 paid; 19/12 to come (24 days ahead: the card may change).
            "orderNumber": "CMD-2026-000127",
            "merchantName": "Boutique Exemple",
            "purchaseAmount": "127.96",
            "purchaseDate": day(-36),
            "fees": "0.00",
            "installmentCount": 3,
            "card": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": valid_until},
            "installments": [{"number": 1, "status": "PAID"}, {"number": 2, "status": "PAID"}],
        },
        {
            # Four instalments from 28/06 to 27/09, all paid; fees taken with the first one.
            "orderNumber": "CMD-2026-000042",
            "merchantName": "Maison & Jardin",
            "purchaseAmount": "299.90",
            "purchaseDate": day(-150),
            "fees": "5.00",
            "installmentCount": 4,
            "card": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": valid_until},
            "installments": [{"number": n, "status": "PAID"} for n in (1, 2, 3, 4)],
        },
        {
            # 01/10 paid, 31/10 refused (159.18 owed), 30/11 to come.
            "orderNumber": "CMD-2026-000159",
            "merchantName": "Électro Dépôt",
            "purchaseAmount": "477.54",
            "purchaseDate": day(-55),
            "fees": "0.00",
            "installmentCount": 3,
            "card": {"brand": "MASTERCARD", "last4": "4444", "expMonth": 9, "expYear": valid_until},
            "installments": [{"number": 1, "status": "PAID"}, {"number": 2, "status": "UNPAID"}],
        },
    ]
