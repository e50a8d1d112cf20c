"""node / nodes: any global ID, resolved only within the viewer's reach (else null)."""

from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Any

from guichet.resolvers.context import Info
from guichet.schema.relay import from_global_id

# Type name -> "module:function" taking (info, [pk]) and answering {pk: object} for reachable ones.
NODE_RESOLVERS: dict[str, str] = {
    "Organisation": "guichet.resolvers.organisations:organisations_by_pk",
    "BillingAccount": "guichet.resolvers.organisations:billing_accounts_by_pk",
    "Line": "guichet.resolvers.organisations:lines_by_pk",
    "Contact": "guichet.resolvers.members:visible_contacts_by_pk",
    "Invitation": "guichet.resolvers.members:invitations_by_pk",
    "AuditEvent": "guichet.resolvers.members:audit_events_by_pk",
    "Invoice": "guichet.resolvers.invoices:invoices_by_pk",
    "Payment": "guichet.resolvers.payments:payments_by_pk",
    "Schedule": "guichet.resolvers.schedules:schedules_by_pk",
}


def _resolver(type_name: str) -> Any:
    module_name, _, function = NODE_RESOLVERS[type_name].partition(":")
    return getattr(importlib.import_module(module_name), function)


async def resolve_nodes(info: Info, ids: list[str]) -> list[Any]:
    """Objects for `ids`, in order; null for unknown IDs, foreign IDs and IDs out of scope alike."""
    if len(ids) > 100:
        from guichet.domain.errors import DomainError, ErrorCode
        from guichet.resolvers.graphql_errors import domain_to_graphql

        with domain_to_graphql(info):
            raise DomainError(ErrorCode.VALIDATION, "first_out_of_range", field=["ids"], params={"max": 100})
    if await info.context.viewer() is None:
        return [None] * len(ids)
    wanted: dict[str, set[int]] = defaultdict(set)
    decoded = [from_global_id(i) for i in ids]
    for item in decoded:
        if item is not None and item[0] in NODE_RESOLVERS:
            wanted[item[0]].add(item[1])
    found: dict[tuple[str, int], Any] = {}
    for type_name, pks in wanted.items():
        try:
            objects = await _resolver(type_name)(info, sorted(pks))
        except NotImplementedError:
            objects = {}
        for pk, obj in objects.items():
            found[(type_name, pk)] = obj
    return [found.get(item) if item is not None else None for item in decoded]
