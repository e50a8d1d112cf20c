"""Reporting operations for the access matrix: REPORTS READ reads spending, REPORTS EXPORT starts
and lists export jobs (an INVOICES export: its READ is held by every role with REPORTS EXPORT)."""

from __future__ import annotations

import itertools
from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World

_keys = itertools.count(1)


async def _organisation(session: Any, world: World) -> dict[str, Any]:
    return {"id": to_global_id("Organisation", world.org.id)}


async def _start(session: Any, world: World) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "kind": "INVOICES",
            "format": "CSV",
            "idempotencyKey": f"access-{next(_keys)}",
        }
    }


OPERATIONS = [
    AccessOperation(
        module="REPORTS",
        action="READ",
        name="organisation.spending",
        setup=_organisation,
        document='query($id: ID!) { organisation(id: $id) { spending(from: "2026-01-01", to: "2026-12-31", '
        "groupBy: [MONTH]) { invoiceCount } } }",
    ),
    AccessOperation(
        module="REPORTS",
        action="EXPORT",
        name="startExport",
        setup=_start,
        document="mutation($input: StartExportInput!) { startExport(input: $input) { export { id } errors { code } } }",
    ),
    AccessOperation(
        module="REPORTS",
        action="EXPORT",
        name="organisation.exports",
        setup=_organisation,
        document="query($id: ID!) { organisation(id: $id) { exports(first: 5) { edges { node { id } } } } }",
    ),
]
