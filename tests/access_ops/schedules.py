"""Schedule operations for the access matrix: SCHEDULES READ lists and reads, WRITE changes the card,
PAY regularises an unpaid debt."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories_schedules import make_schedule

_keys = itertools.count(1)
CARD = {"number": "4111111111111111", "expMonth": 12, "expYear": 2030, "cvc": "123"}


async def _in_progress(session: Any, world: World) -> Any:
    # 900.00 EUR or 90 000 XOF in 3 from 20/10/2026, two paid: the next debit (19/12) is 24 days away.
    amount = "90000" if world.org.currency in ("XOF", "XAF") else "900.00"
    schedule = await make_schedule(session, world.org, purchase=amount, statuses={1: "PAID", 2: "PAID"})
    world.extra.setdefault("schedules", []).append(schedule)
    return schedule


async def _read(session: Any, world: World) -> dict[str, Any]:
    schedule = await _in_progress(session, world)
    return {"id": to_global_id("Organisation", world.org.id), "schedule": to_global_id("Schedule", schedule.id)}


async def _change_card(session: Any, world: World) -> dict[str, Any]:
    schedule = await _in_progress(session, world)
    return {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": CARD}}


async def _regularise(session: Any, world: World) -> dict[str, Any]:
    amount = "90000" if world.org.currency in ("XOF", "XAF") else "900.00"
    schedule = await make_schedule(
        session, world.org, purchase=amount, purchase_date=date(2026, 10, 1), statuses={1: "PAID", 2: "UNPAID"}
    )
    return {
        "input": {
            "scheduleId": to_global_id("Schedule", schedule.id),
            "installmentCount": 3,
            "idempotencyKey": f"access-{next(_keys)}",
        }
    }


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for a plan out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


OPERATIONS = [
    AccessOperation(
        module="SCHEDULES",
        action="READ",
        name="organisation.schedules",
        setup=_read,
        document="query($id: ID!) { organisation(id: $id) { schedules(first: 5) { totalCount edges { node { "
        "orderNumber status canChangeCard outstandingAmount { amount } } } } } }",
    ),
    AccessOperation(
        module="SCHEDULES",
        action="READ",
        name="node.schedule",
        setup=_read,
        document="query($schedule: ID!) { node(id: $schedule) { ... on Schedule { orderNumber status } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="SCHEDULES",
        action="WRITE",
        name="changeScheduleCard",
        setup=_change_card,
        document="mutation($input: ChangeScheduleCardInput!) { changeScheduleCard(input: $input) { "
        "schedule { card { last4 } } errors { code } } }",
    ),
    AccessOperation(
        module="SCHEDULES",
        action="PAY",
        name="regulariseSchedule",
        setup=_regularise,
        document="mutation($input: RegulariseScheduleInput!) { regulariseSchedule(input: $input) { "
        "succeeded schedule { status } errors { code } } }",
    ),
]
