"""Every root field and every Organisation list declares the permission it needs, or is public on purpose."""

from __future__ import annotations

from strawberry.permission import PermissionExtension

from guichet.schema.schema import schema

# Root fields that need no module permission, each with the reason.
PUBLIC = {
    ("Query", "viewer"): "the signed-in person itself; null without credentials",
    ("Query", "organisation"): "null unless the viewer is an active member",
    ("Query", "node"): "each type's resolver answers only what the viewer may see",
    ("Query", "nodes"): "each type's resolver answers only what the viewer may see",
    ("Query", "supportChannels"): "public by contract",
    ("Query", "rateLimit"): "every caller's own budget, anonymous included (OPERATIONS.md)",
    ("Mutation", "login"): "signs in",
    ("Mutation", "logout"): "ends the caller's own session",
    ("Mutation", "requestPasswordReset"): "anonymous by design, always ok",
    ("Mutation", "resetPassword"): "authorised by its single-use token",
    ("Mutation", "changePassword"): "the caller's own password, current one required",
    ("Mutation", "requestFirstConnection"): "anonymous by design, always ok",
    ("Mutation", "activateAccount"): "authorised by its single-use token",
    ("Mutation", "registerOrganisationAccess"): "anonymous, proven by taxpayer, account and invoice numbers",
    ("Mutation", "acceptInvitation"): "authorised by its single-use token",
    ("Subscription", "paymentUpdated"): "authenticated at connection, authorised per event",
    ("Subscription", "invoiceUpdated"): "authenticated at connection, authorised per event",
    ("Subscription", "exportUpdated"): "authenticated at connection, only the viewer's own exports",
    ("Subscription", "serviceRequestUpdated"): "authenticated at connection, authorised per event",
    ("Subscription", "orderUpdated"): "authenticated at connection, ORDERS READ asked at start and per event",
}


def _fields(type_name: str) -> list[tuple[str, bool]]:
    definition = schema.get_type_by_name(type_name)
    assert definition is not None
    converter = schema.config.name_converter
    return [
        (converter.get_graphql_name(field), any(isinstance(e, PermissionExtension) for e in field.extensions))
        for field in definition.fields
    ]


def test_every_root_field_declares_a_permission_or_is_public() -> None:
    undeclared = [
        (type_name, name)
        for type_name in ("Query", "Mutation", "Subscription")
        for name, declared in _fields(type_name)
        if not declared and (type_name, name) not in PUBLIC
    ]
    assert undeclared == []


def test_every_organisation_list_declares_its_module() -> None:
    declared = dict(_fields("Organisation"))
    for name in (
        "invoices",
        "invoiceSummary",
        "payments",
        "schedules",
        "members",
        "invitations",
        "auditEvents",
        "serviceRequests",
    ):
        assert declared[name], name
