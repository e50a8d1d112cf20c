"""node / nodes: any global ID, resolved only within the viewer's reach (else absent)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import from_global_id
from guichet.resolvers import (
    api_keys,
    billing_profiles,
    contracts,
    exports,
    invoices,
    members,
    organisations,
    payments,
    pending_payments,
    rewards,
    schedules,
    service_requests,
    shop,
    webhooks,
)

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

MAX_IDS = 100

# Type name -> function taking (ctx, [pk]) and answering {pk: domain value} for the reachable ones.
NODE_RESOLVERS: dict[str, Callable[[Context, list[int]], Awaitable[dict[int, Any]]]] = {
    "Organisation": organisations.organisations_by_pk,
    "BillingAccount": organisations.billing_accounts_by_pk,
    "Line": organisations.lines_by_pk,
    "Contact": members.visible_contacts_by_pk,
    "Invitation": members.invitations_by_pk,
    "AuditEvent": members.audit_events_by_pk,
    "Invoice": invoices.readable_invoices,
    "Payment": payments.payments_by_pk,
    "Schedule": schedules.schedules_by_pk,
    "PendingPayment": pending_payments.pending_payments_by_pk,
    "SavedPaymentMethod": billing_profiles.saved_methods_by_pk,
    "ApiKey": api_keys.readable_keys,
    "Contract": contracts.contracts_by_pk,
    "BillingScheduleEntry": contracts.entries_by_pk,
    "ServiceRequest": service_requests.service_requests_by_pk,
    "ServiceRequestComment": service_requests.comments_by_pk,
    "Attachment": service_requests.attachments_by_pk,
    "ExportJob": exports.exports_by_pk,
    "Offering": shop.offerings_by_pk,
    "Cart": shop.carts_by_pk,
    "Order": shop.orders_by_pk,
    "WebhookEndpoint": webhooks.endpoints_by_pk,
    "WebhookDelivery": webhooks.deliveries_by_pk,
    "Event": webhooks.events_by_pk,
    "RewardTransaction": rewards.entries_by_pk,
}


async def reachable_nodes(ctx: Context, ids: list[str]) -> list[tuple[str, Any] | None]:
    """(type name, domain value) for each ID, in order; None for unknown, foreign and out-of-scope IDs alike.

    Raise DomainError(VALIDATION) for more than 100 IDs.
    """
    if len(ids) > MAX_IDS:
        raise DomainError(ErrorCode.VALIDATION, "first_out_of_range", field=["ids"], params={"max": MAX_IDS})
    if await ctx.principal() is None:
        return [None] * len(ids)
    wanted: dict[str, set[int]] = defaultdict(set)
    decoded = [from_global_id(i) for i in ids]
    for item in decoded:
        if item is not None and item[0] in NODE_RESOLVERS:
            wanted[item[0]].add(item[1])
    found: dict[tuple[str, int], Any] = {}
    for type_name, pks in wanted.items():
        for pk, value in (await NODE_RESOLVERS[type_name](ctx, sorted(pks))).items():
            found[(type_name, pk)] = value
    return [(item[0], found[item]) if item is not None and item in found else None for item in decoded]
