"""Billing-profile operations for the access matrix: BILLING_PROFILE READ reads, WRITE changes."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories_billing_profiles import make_profile, save_card


async def _profile(session: Any, world: World) -> dict[str, Any]:
    if "billing_profile" not in world.extra:
        world.extra["billing_profile"] = await make_profile(session, world.account)
        world.extra["saved_card"] = await save_card(session, world.account)
    return {
        "account": to_global_id("BillingAccount", world.account.id),
        "method": to_global_id("SavedPaymentMethod", world.extra["saved_card"].id),
    }


async def _update(session: Any, world: World) -> dict[str, Any]:
    ids = await _profile(session, world)
    return {
        "input": {"billingAccountId": ids["account"], "address": {"line1": "Rue 1", "city": "Abidjan", "country": "CI"}}
    }


async def _add(session: Any, world: World) -> dict[str, Any]:
    ids = await _profile(session, world)
    card = {"number": "4242424242424242", "expMonth": 12, "expYear": 2028, "cvc": "123"}
    return {"input": {"billingAccountId": ids["account"], "method": "CARD", "card": card}}


async def _method(session: Any, world: World) -> dict[str, Any]:
    ids = await _profile(session, world)
    return {"input": {"paymentMethodId": ids["method"]}}


def _node_refused(response: dict[str, Any]) -> bool:
    return response.get("data") == {"node": None} and not response.get("errors")


OPERATIONS = [
    AccessOperation(
        module="BILLING_PROFILE",
        action="READ",
        name="billingAccount.billingProfile",
        setup=_profile,
        document="query($account: ID!) { node(id: $account) { ... on BillingAccount { billingProfile { legalName "
        "paymentMethods { status } } } } }",
    ),
    AccessOperation(
        module="BILLING_PROFILE",
        action="READ",
        name="node.savedPaymentMethod",
        setup=_profile,
        document="query($method: ID!) { node(id: $method) { ... on SavedPaymentMethod { status } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="BILLING_PROFILE",
        action="WRITE",
        name="updateBillingProfile",
        setup=_update,
        document="mutation($input: UpdateBillingProfileInput!) { updateBillingProfile(input: $input) "
        "{ billingProfile { autoPay } errors { code } } }",
    ),
    AccessOperation(
        module="BILLING_PROFILE",
        action="WRITE",
        name="addPaymentMethod",
        setup=_add,
        document="mutation($input: AddPaymentMethodInput!) { addPaymentMethod(input: $input) "
        "{ paymentMethod { status } errors { code } } }",
    ),
    AccessOperation(
        module="BILLING_PROFILE",
        action="WRITE",
        name="setDefaultPaymentMethod",
        setup=_method,
        document="mutation($input: PaymentMethodIdInput!) { setDefaultPaymentMethod(input: $input) "
        "{ paymentMethod { isDefault } errors { code } } }",
    ),
    AccessOperation(
        module="BILLING_PROFILE",
        action="WRITE",
        name="removePaymentMethod",
        setup=_method,
        document="mutation($input: PaymentMethodIdInput!) { removePaymentMethod(input: $input) "
        "{ billingProfile { autoPay } errors { code } } }",
    ),
]
