"""Billing profiles: BillingAccount.billingProfile, saved payment methods and the four profile mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from guichet.domain import models
from guichet.domain.billing_profiles.rules import Address, ContactEntry, card_status
from guichet.domain.billing_profiles.services import ProfileView
from guichet.domain.cards import StoredCard
from guichet.domain.ids import to_global_id
from guichet.domain.models.billing_profiles import SavedPaymentMethod as SavedMethodRow
from guichet.resolvers import billing_profiles as resolvers
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.cards import Card, CardInput
from guichet.schema.common import Action, Module, UserError
from guichet.schema.members import Contact
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import PaymentMethodType
from guichet.schema.permissions import decided, input_object, requires
from guichet.schema.relay import Node


@strawberry.enum(description="BILL_TO receives the invoices; ACCOUNT manages the account; DUNNING receives reminders.")
class BillingContactPurpose(Enum):
    BILL_TO = "BILL_TO"
    ACCOUNT = "ACCOUNT"
    DUNNING = "DUNNING"


@strawberry.enum(description="ACTIVE; EXPIRING_SOON: a card expiring within 30 days; EXPIRED.")
class SavedPaymentMethodStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRING_SOON = "EXPIRING_SOON"
    EXPIRED = "EXPIRED"


@strawberry.type(description="A person of the billing account's customer, by what they handle.")
class BillingContact:
    purposes: list[BillingContactPurpose] = strawberry.field(description="BILL_TO, ACCOUNT and/or DUNNING.")
    name: str = strawberry.field(description="The contact's name or service.")
    email: str = strawberry.field(description="Where the e-mails go.")
    phone: str | None = strawberry.field(description="A phone number, if given.")


@strawberry.type(description="A postal address.")
class PostalAddress:
    line1: str = strawberry.field(description="Street and number.")
    line2: str | None = strawberry.field(description="Building, floor, PO box.")
    city: str = strawberry.field(description="City.")
    postal_code: str | None = strawberry.field(description="Postal code, if any.")
    region: str | None = strawberry.field(description="Region or district.")
    country: str = strawberry.field(description="ISO 3166 two-letter country code.")


@strawberry.type(
    description="A payment method kept at the provider (only brand, last 4 digits and expiry, or a masked wallet "
    "number, are stored)."
)
class SavedPaymentMethod(Node):
    type: PaymentMethodType = strawberry.field(description="CARD or ORANGE_MONEY.")
    card: Card | None = strawberry.field(description="CARD: brand, last 4 digits and expiry.")
    msisdn_masked: str | None = strawberry.field(description="ORANGE_MONEY: e.g. +225 07 •• •• 12 34.")
    status: SavedPaymentMethodStatus = strawberry.field(description="EXPIRING_SOON: a card expiring within 30 days.")
    is_default: bool = strawberry.field(description="The account's default method (used by auto-pay).")
    added_at: datetime = strawberry.field(description="When it was saved.")
    added_by_pk: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: SavedMethodRow, info: Info) -> SavedPaymentMethod:
        card = None
        status = "ACTIVE"
        if row.type == "CARD":
            assert row.card_brand and row.card_last4 and row.card_exp_month and row.card_exp_year
            card = Card.of(StoredCard(row.card_brand, row.card_last4, row.card_exp_month, row.card_exp_year))
            status = card_status(row.card_exp_month, row.card_exp_year, info.context.clock.today())
        return cls(
            id=strawberry.ID(to_global_id("SavedPaymentMethod", row.id)),
            type=PaymentMethodType(row.type),
            card=card,
            msisdn_masked=row.msisdn_masked,
            status=SavedPaymentMethodStatus(status),
            is_default=row.default_for_account_id is not None,
            added_at=row.added_at,
            added_by_pk=row.added_by_contact_id,
        )

    @strawberry.field(description="Who saved it, if still known.")
    async def added_by(self, info: Info) -> Contact | None:
        return await _contact(info, self.added_by_pk)


async def _contact(info: Info, pk: int | None) -> Contact | None:
    if pk is None:
        return None
    found = await info.context.loaders.contact_by_id.load(pk)
    return Contact.from_rows(*found) if found is not None else None


@strawberry.type(description="How a billing account is billed and paid.")
class BillingProfile:
    legal_name: str = strawberry.field(
        description="Read-only: a change goes through a service request (ACCOUNT_CHANGE)."
    )
    taxpayer_number: str | None = strawberry.field(description="Read-only: the organisation's taxpayer number.")
    address: PostalAddress | None = strawberry.field(description="The postal address on the invoices.")
    contacts: list[BillingContact] = strawberry.field(description="Billing contacts by purpose, in order.")
    payment_methods: list[SavedPaymentMethod] = strawberry.field(description="Saved methods, oldest first.")
    auto_pay: bool = strawberry.field(
        description="Charge OPEN invoices of this account to the default method when they fall due."
    )
    updated_at: datetime | None = strawberry.field(description="When it last changed.")
    account: strawberry.Private[models.BillingAccount]
    updated_by_pk: strawberry.Private[int | None]

    @classmethod
    def of(cls, view: ProfileView, info: Info) -> BillingProfile:
        profile = view.profile
        address = None
        if profile is not None and profile.line1 and profile.city and profile.country:
            address = PostalAddress(
                line1=profile.line1,
                line2=profile.line2,
                city=profile.city,
                postal_code=profile.postal_code,
                region=profile.region,
                country=profile.country,
            )
        return cls(
            legal_name=(profile.legal_name if profile is not None else None) or view.organisation.name,
            taxpayer_number=view.organisation.taxpayer_number,
            address=address,
            contacts=[
                BillingContact(
                    purposes=[BillingContactPurpose(p) for p in c.purposes.split(",") if p],
                    name=c.name,
                    email=c.email,
                    phone=c.phone,
                )
                for c in view.contacts
            ],
            payment_methods=[SavedPaymentMethod.from_row(m, info) for m in view.methods],
            auto_pay=profile.auto_pay if profile is not None else False,
            updated_at=profile.updated_at if profile is not None else None,
            account=view.account,
            updated_by_pk=profile.updated_by_contact_id if profile is not None else None,
        )

    @strawberry.field(description="The billing account this profile is of.")
    def billing_account(self) -> BillingAccount:
        return BillingAccount.from_row(self.account)

    @strawberry.field(description="Who last changed it, if still known.")
    async def updated_by(self, info: Info) -> Contact | None:
        return await _contact(info, self.updated_by_pk)


@strawberry.input(description="A postal address.")
class PostalAddressInput:
    line1: str = strawberry.field(description="Street and number.")
    city: str = strawberry.field(description="City.")
    country: str = strawberry.field(description="ISO 3166 two-letter country code.")
    line2: str | None = strawberry.field(default=None, description="Building, floor, PO box.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code, if any.")
    region: str | None = strawberry.field(default=None, description="Region or district.")


@strawberry.input(description="A billing contact.")
class BillingContactInput:
    purposes: list[BillingContactPurpose] = strawberry.field(description="BILL_TO, ACCOUNT and/or DUNNING.")
    name: str = strawberry.field(description="The contact's name or service.")
    email: str = strawberry.field(description="Where the e-mails go.")
    phone: str | None = strawberry.field(default=None, description="A phone number.")


@strawberry.input(description="What to change in a billing profile; what is not given stays.")
class UpdateBillingProfileInput:
    billing_account_id: strawberry.ID = strawberry.field(description="The billing account whose profile changes.")
    address: PostalAddressInput | None = strawberry.field(default=None, description="The new postal address.")
    contacts: list[BillingContactInput] | None = strawberry.field(
        default=None, description="Replaces the contacts when given (at least one BILL_TO)."
    )
    auto_pay: bool | None = strawberry.field(default=None, description="Turn automatic payment on or off.")


@strawberry.input(description="Save a card or an Orange Money wallet on a billing account (charges nothing).")
class AddPaymentMethodInput:
    billing_account_id: strawberry.ID = strawberry.field(description="The billing account it is saved on.")
    method: PaymentMethodType = strawberry.field(description="CARD or ORANGE_MONEY.")
    card: CardInput | None = strawberry.field(default=None, description="CARD: checked like a payment's card.")
    msisdn: str | None = strawberry.field(default=None, description="ORANGE_MONEY: the wallet's phone number.")
    make_default: bool | None = strawberry.field(
        default=False, description="Make it the default method (the first saved method always is)."
    )


@strawberry.input(description="A saved payment method.")
class PaymentMethodIdInput:
    payment_method_id: strawberry.ID = strawberry.field(description="The saved method's ID.")


@strawberry.type(description="The outcome of a billing-profile mutation.")
class BillingProfilePayload:
    billing_profile: BillingProfile | None = strawberry.field(description="The profile after the change.")
    payment_method: SavedPaymentMethod | None = strawberry.field(description="The method added or changed.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


def _payload(view: ProfileView, info: Info, method_id: int | None = None) -> BillingProfilePayload:
    profile = BillingProfile.of(view, info)
    wanted = to_global_id("SavedPaymentMethod", method_id) if method_id is not None else None
    method = next((m for m in profile.payment_methods if m.id == wanted), None)
    return BillingProfilePayload(billing_profile=profile, payment_method=method, errors=[])


_ON_ACCOUNT = input_object("billingAccountId", "BillingAccount", models.BillingAccount)
_ON_METHOD = input_object("paymentMethodId", "SavedPaymentMethod", SavedMethodRow)


@strawberry.type(description="Billing-profile mutations.")
class Mutation:
    @payload_mutation(
        description="Change a billing account's address, contacts or auto-pay; audited and e-mailed to its BILL_TO "
        "contacts. Requires BILLING_PROFILE WRITE.",
        extensions=[requires(Module.BILLING_PROFILE, Action.WRITE, organisation=_ON_ACCOUNT)],
    )
    async def update_billing_profile(self, info: Info, input: UpdateBillingProfileInput) -> BillingProfilePayload:
        address = None
        if input.address is not None:
            a = input.address
            address = Address(a.line1, a.city, a.country, a.line2, a.postal_code, a.region)
        contacts = None
        if input.contacts is not None:
            contacts = [
                ContactEntry(tuple(p.value for p in c.purposes), c.name, c.email, c.phone) for c in input.contacts
            ]
        view = await resolvers.update_billing_profile(
            info.context,
            decision=decided(info),
            billing_account_id=input.billing_account_id,
            address=address,
            contacts=contacts,
            auto_pay=input.auto_pay,
        )
        return _payload(view, info)

    @payload_mutation(
        description="Save a card (Luhn, brand, expiry and CVC checked; only the provider's token, brand, last 4 and "
        "expiry kept) or an Orange Money wallet. Requires BILLING_PROFILE WRITE.",
        extensions=[requires(Module.BILLING_PROFILE, Action.WRITE, organisation=_ON_ACCOUNT)],
    )
    async def add_payment_method(self, info: Info, input: AddPaymentMethodInput) -> BillingProfilePayload:
        view, method_id = await resolvers.add_payment_method(
            info.context,
            decision=decided(info),
            billing_account_id=input.billing_account_id,
            method=input.method.value,
            card=input.card.to_details() if input.card is not None else None,
            msisdn=input.msisdn,
            make_default=bool(input.make_default),
        )
        return _payload(view, info, method_id)

    @payload_mutation(
        description="Remove a saved method; PAYMENT_METHOD_IN_USE while it is the default of an account with "
        "auto-pay on. Requires BILLING_PROFILE WRITE.",
        extensions=[requires(Module.BILLING_PROFILE, Action.WRITE, organisation=_ON_METHOD)],
    )
    async def remove_payment_method(self, info: Info, input: PaymentMethodIdInput) -> BillingProfilePayload:
        view, method_id = await resolvers.change_payment_method(
            info.context, decision=decided(info), payment_method_id=input.payment_method_id, remove=True
        )
        return BillingProfilePayload(billing_profile=BillingProfile.of(view, info), payment_method=None, errors=[])

    @payload_mutation(
        description="Make a saved method its account's default. Requires BILLING_PROFILE WRITE.",
        extensions=[requires(Module.BILLING_PROFILE, Action.WRITE, organisation=_ON_METHOD)],
    )
    async def set_default_payment_method(self, info: Info, input: PaymentMethodIdInput) -> BillingProfilePayload:
        view, method_id = await resolvers.change_payment_method(
            info.context, decision=decided(info), payment_method_id=input.payment_method_id, remove=False
        )
        return _payload(view, info, method_id)
