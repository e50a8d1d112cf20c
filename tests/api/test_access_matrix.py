"""The ACCESS.md table, cell by cell: every registered operation, tried as a contact holding only
one role over the whole organisation, is allowed or refused exactly as the table says.

The table is parsed at test time from ../shared/contract/ACCESS.md (tests/data/ACCESS.md when the
shared folder is not beside the checkout); operations come from tests/access_ops/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.access_ops import OPERATIONS, AccessOperation, World
from tests.factories import make_account, make_member, make_organisation

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [ROOT.parent / "shared" / "contract" / "ACCESS.md", ROOT / "tests" / "data" / "ACCESS.md"]


def access_table() -> dict[str, set[tuple[str, str]]]:
    """role -> {(module, action)} from the markdown table under "Default role permissions"."""
    path = next(p for p in CANDIDATES if p.exists())
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip().startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:]
    table: dict[str, set[tuple[str, str]]] = {role: set() for role in roles}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        module = cells[0]
        for role, cell in zip(roles, cells[1:], strict=True):
            for action in re.findall(r"[A-Z]+", cell):
                table[role].add((module, action))
    return table


TABLE = access_table()
CASES = [(role, op) for op in OPERATIONS for role in sorted(TABLE)]


def test_the_table_has_the_four_roles_and_every_module() -> None:
    assert sorted(TABLE) == ["ADMIN", "COMMERCIAL", "FINANCE", "MANAGEMENT"]
    assert ("MEMBERS", "WRITE") in TABLE["ADMIN"] and ("INVOICES", "PAY") in TABLE["FINANCE"]
    assert ("INVOICES", "READ") not in TABLE["COMMERCIAL"]


def test_every_operation_names_a_cell_of_the_table() -> None:
    cells = {pair for pairs in TABLE.values() for pair in pairs}
    assert [str(op) for op in OPERATIONS if (op.module, op.action) not in cells] == []


@pytest.mark.parametrize(("role", "operation"), CASES, ids=[f"{r}-{op}" for r, op in CASES])
async def test_operation_allowed_exactly_as_the_table_says(
    gql, sessionmaker, role: str, operation: AccessOperation
) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        other = await make_account(session, org, name="Agence")
        admin = await make_member(session, org, primary_admin=True)
        actor = await make_member(session, org, roles=[(role, None)])
        world = World(org=org, account=account, other_account=other, admin=admin, actor=actor, role=role)
        variables = await operation.setup(session, world)

    response = await gql(operation.document, variables, token=actor.token)

    expected_allowed = (operation.module, operation.action) in TABLE[role]
    assert operation.refused(response) is (not expected_allowed), response
    if expected_allowed:
        assert "errors" not in response, response
