"""Rewards operations for the access matrix: REWARDS READ reads the accounts and entries, REWARDS WRITE redeems."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories_rewards import add_lot, eligible_invoice


async def _rewards(session: Any, world: World) -> dict[str, Any]:
    lot = await add_lot(session, world.org, 20000)
    return {"id": to_global_id("Organisation", world.org.id), "entry": to_global_id("RewardTransaction", lot.id)}


async def _redeem(session: Any, world: World) -> dict[str, Any]:
    await add_lot(session, world.org, 20000)
    invoice = await eligible_invoice(session, world.account, total_minor=5000)
    return {
        "input": {
            "invoiceId": to_global_id("Invoice", invoice.id),
            "amount": "1000",
            "idempotencyKey": f"access-rw-{invoice.id}",
        }
    }


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for an entry out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


def _redeem_refused(response: dict[str, Any]) -> bool:
    """The field's own permission refused: a top-level FORBIDDEN naming REWARDS WRITE.

    Holding REWARDS WRITE without INVOICES PAY (COMMERCIAL) passes the field and is refused in the
    payload (rule 11), which is not this cell's refusal.
    """
    return any(
        (e.get("extensions") or {}) == {"code": "FORBIDDEN", "module": "REWARDS", "action": "WRITE"}
        for e in response.get("errors") or []
    )


OPERATIONS = [
    AccessOperation(
        module="REWARDS",
        action="READ",
        name="organisation.rewards",
        setup=_rewards,
        document="query($id: ID!) { organisation(id: $id) { rewards { currency available { amount } "
        "transactions(first: 5) { totalCount edges { node { type amount { amount } } } } } } }",
    ),
    AccessOperation(
        module="REWARDS",
        action="READ",
        name="node.rewardTransaction",
        setup=_rewards,
        document="query($entry: ID!) { node(id: $entry) { ... on RewardTransaction { type amount { amount } } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="REWARDS",
        action="WRITE",
        name="redeemRewards",
        setup=_redeem,
        document="mutation($input: RedeemRewardsInput!) { redeemRewards(input: $input) "
        "{ transaction { type } errors { code } } }",
        refused=_redeem_refused,
    ),
]
