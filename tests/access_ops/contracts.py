"""Contract operations for the access matrix: CONTRACTS READ lists contracts and the schedule,
CONTRACTS EXPORT mints the file links (READ as well is needed, ACCESS.md rule 13)."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories_contracts import make_contract


async def _contract(session: Any, world: World) -> Any:
    contract = await make_contract(session, world.account)
    world.extra.setdefault("contracts", []).append(contract)
    return contract


async def _read(session: Any, world: World) -> dict[str, Any]:
    await _contract(session, world)
    return {"id": to_global_id("Organisation", world.org.id)}


async def _contract_id(session: Any, world: World) -> dict[str, Any]:
    contract = await _contract(session, world)
    return {"id": to_global_id("Contract", contract.id)}


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for a contract out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


def _file_refused(response: dict[str, Any]) -> bool:
    """Without READ the contract is out of reach (null); with READ but no EXPORT the link is FORBIDDEN."""
    if _node_refused(response):
        return True
    codes = [(e.get("extensions") or {}).get("code") for e in response.get("errors") or []]
    return "FORBIDDEN" in codes


OPERATIONS = [
    AccessOperation(
        module="CONTRACTS",
        action="READ",
        name="organisation.contracts",
        setup=_read,
        document="query($id: ID!) { organisation(id: $id) { contracts { totalCount edges { node { number } } } } }",
    ),
    AccessOperation(
        module="CONTRACTS",
        action="READ",
        name="organisation.billingSchedule",
        setup=_read,
        document="query($id: ID!) { organisation(id: $id) { billingSchedule(first: 3) { totalCount } } }",
    ),
    AccessOperation(
        module="CONTRACTS",
        action="READ",
        name="node.contract",
        setup=_contract_id,
        document="query($id: ID!) { node(id: $id) { ... on Contract { number } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="CONTRACTS",
        action="EXPORT",
        name="organisation.billingScheduleUrl",
        setup=_read,
        document="query($id: ID!) { organisation(id: $id) { billingScheduleUrl(format: PDF) } }",
    ),
    AccessOperation(
        module="CONTRACTS",
        action="EXPORT",
        name="contract.documentUrl",
        setup=_contract_id,
        document="query($id: ID!) { node(id: $id) { ... on Contract { documentUrl } } }",
        refused=_file_refused,
    ),
    AccessOperation(
        module="CONTRACTS",
        action="EXPORT",
        name="contract.billingScheduleUrl",
        setup=_contract_id,
        document="query($id: ID!) { node(id: $id) { ... on Contract { billingScheduleUrl } } }",
        refused=_file_refused,
    ),
]
