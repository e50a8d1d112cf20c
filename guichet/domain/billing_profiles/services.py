"""Billing-profile services: read a profile, update address / contacts / auto-pay, manage saved methods.

Each change is one transaction that also writes an audit event and e-mails the account's BILL_TO
contacts (ACCESS.md rule 15). Adding a card charges nothing: it is checked like a payment's
card (domain/cards.py) and only the provider's token, brand, last 4 and expiry are stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.billing_profiles.rules import Address, ContactEntry, check_address, check_contacts, mask_msisdn
from guichet.domain.cards import CardDetails, validate_card
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.billing_profiles import BillingContact, BillingProfile, SavedPaymentMethod
from guichet.domain.payments.rules import normalise_msisdn


@dataclass(frozen=True)
class ProfileView:
    """What BillingProfile renders: the account, its organisation, profile row, contacts, live methods."""

    account: models.BillingAccount
    organisation: models.Organisation
    profile: BillingProfile | None
    contacts: list[BillingContact]
    methods: list[SavedPaymentMethod]


async def profiles_of(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, ProfileView]:
    """The profiles of these accounts in four statements whatever their number."""
    ids = list(account_ids)
    accounts = (
        await session.execute(
            select(models.BillingAccount, models.Organisation)
            .join(models.Organisation, models.Organisation.id == models.BillingAccount.organisation_id)
            .where(models.BillingAccount.id.in_(ids))
        )
    ).all()
    profiles = {
        p.billing_account_id: p
        for p in (await session.execute(select(BillingProfile).where(BillingProfile.billing_account_id.in_(ids))))
        .scalars()
        .all()
    }
    contacts: dict[int, list[BillingContact]] = {i: [] for i in ids}
    for contact in (
        await session.execute(
            select(BillingContact)
            .where(BillingContact.billing_account_id.in_(ids))
            .order_by(BillingContact.billing_account_id, BillingContact.position)
        )
    ).scalars():
        contacts[contact.billing_account_id].append(contact)
    methods: dict[int, list[SavedPaymentMethod]] = {i: [] for i in ids}
    for method in (
        await session.execute(
            select(SavedPaymentMethod)
            .where(SavedPaymentMethod.billing_account_id.in_(ids), SavedPaymentMethod.removed_at.is_(None))
            .order_by(SavedPaymentMethod.id)
        )
    ).scalars():
        methods[method.billing_account_id].append(method)
    return {
        account.id: ProfileView(account, org, profiles.get(account.id), contacts[account.id], methods[account.id])
        for account, org in accounts
    }


async def update_billing_profile(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    organisation_id: int,
    billing_account_id: int,
    actor_contact_id: int,
    address: Address | None,
    contacts: list[ContactEntry] | None,
    auto_pay: bool | None,
    now: datetime,
) -> None:
    """Change what is given (contacts are replaced as a whole), audit it and e-mail BILL_TO contacts.

    Raise DomainError: VALIDATION (an address part or contact entry, with its field path),
    LAST_BILL_TO_CONTACT (the new contacts name no BILL_TO), NOT_FOUND (the account is not the
    organisation's).
    """
    checked_address = check_address(address) if address is not None else None
    checked_contacts = check_contacts(contacts) if contacts is not None else None
    async with sessionmaker() as session, session.begin():
        profile = await _profile_for_update(session, organisation_id, billing_account_id)
        changed: list[str] = []
        if checked_address is not None:
            profile.line1, profile.line2 = checked_address.line1, checked_address.line2
            profile.city, profile.postal_code = checked_address.city, checked_address.postal_code
            profile.region, profile.country = checked_address.region, checked_address.country
            changed.append("address")
        if checked_contacts is not None:
            await session.execute(delete(BillingContact).where(BillingContact.billing_account_id == billing_account_id))
            for position, entry in enumerate(checked_contacts):
                session.add(
                    BillingContact(
                        organisation_id=organisation_id,
                        billing_account_id=billing_account_id,
                        position=position,
                        purposes=",".join(entry.purposes),
                        name=entry.name,
                        email=entry.email,
                        phone=entry.phone,
                    )
                )
            changed.append("contacts")
        if auto_pay is not None:
            profile.auto_pay = auto_pay
            changed.append(f"auto-pay {'on' if auto_pay else 'off'}")
        await _record(
            session, profile, actor_contact_id, "billing_profile.updated", ", ".join(changed) or "nothing", now
        )


async def add_payment_method(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    organisation_id: int,
    billing_account_id: int,
    actor_contact_id: int,
    method: str,
    card: CardDetails | None,
    msisdn: str | None,
    make_default: bool,
    now: datetime,
) -> int:
    """Save a card or an Orange Money wallet; the new method's id. The first method becomes the default.

    Raise DomainError: VALIDATION (BANK_TRANSFER, or the card / msisdn missing or malformed),
    CARD_INVALID / CARD_BRAND_NOT_ACCEPTED (the payment checks), NOT_FOUND (a foreign account).
    """
    saved = SavedPaymentMethod(
        organisation_id=organisation_id,
        billing_account_id=billing_account_id,
        type=method,
        provider_token=f"pm_{secrets.token_hex(12)}",
        added_at=now,
        added_by_contact_id=actor_contact_id,
    )
    if method == "CARD":
        if card is None:
            raise DomainError(ErrorCode.VALIDATION, "card_required", field=["input", "card"])
        stored = validate_card(card, today=now.date(), field=["input", "card"])
        saved.card_brand, saved.card_last4 = stored.brand, stored.last4
        saved.card_exp_month, saved.card_exp_year = stored.exp_month, stored.exp_year
        label = f"{stored.brand} •••• {stored.last4}"
    elif method == "ORANGE_MONEY":
        saved.msisdn_masked = mask_msisdn(normalise_msisdn(msisdn, field=["input", "msisdn"]))
        label = f"Orange Money {saved.msisdn_masked}"
    else:
        raise DomainError(ErrorCode.VALIDATION, "saved_method_type_invalid", field=["input", "method"])
    async with sessionmaker() as session, session.begin():
        profile = await _profile_for_update(session, organisation_id, billing_account_id)
        has_default = (
            await session.execute(
                select(SavedPaymentMethod.id).where(SavedPaymentMethod.default_for_account_id == billing_account_id)
            )
        ).first() is not None
        session.add(saved)
        await session.flush()
        if make_default or not has_default:
            await _make_default(session, saved.id, billing_account_id)
        await _record(session, profile, actor_contact_id, "payment_method.added", f"{label} added", now)
        return saved.id


async def set_default_payment_method(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    method_id: int,
    organisation_id: int,
    scope: frozenset[int] | None,
    actor_contact_id: int,
    now: datetime,
) -> int:
    """Make a saved method its account's default; the account's id.

    Raise DomainError(NOT_FOUND) for a method unknown, removed, foreign or out of scope.
    """
    async with sessionmaker() as session, session.begin():
        method = await _method(session, method_id, organisation_id, scope)
        profile = await _profile_for_update(session, organisation_id, method.billing_account_id)
        await _make_default(session, method.id, method.billing_account_id)
        await _record(
            session, profile, actor_contact_id, "payment_method.default", f"{_label(method)} is the default", now
        )
        return method.billing_account_id


async def remove_payment_method(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    method_id: int,
    organisation_id: int,
    scope: frozenset[int] | None,
    actor_contact_id: int,
    now: datetime,
) -> int:
    """Remove a saved method (its row stays, marked removed); the account's id.

    Raise DomainError: NOT_FOUND (unknown, removed, foreign or out of scope),
    PAYMENT_METHOD_IN_USE (the default method of an account with auto-pay on).
    """
    async with sessionmaker() as session, session.begin():
        method = await _method(session, method_id, organisation_id, scope)
        profile = await _profile_for_update(session, organisation_id, method.billing_account_id)
        if method.default_for_account_id is not None and profile.auto_pay:
            raise DomainError(ErrorCode.PAYMENT_METHOD_IN_USE, field=["input", "paymentMethodId"])
        method.removed_at = now
        method.default_for_account_id = None
        await _record(session, profile, actor_contact_id, "payment_method.removed", f"{_label(method)} removed", now)
        return method.billing_account_id


async def _method(
    session: AsyncSession, method_id: int, organisation_id: int, scope: frozenset[int] | None
) -> SavedPaymentMethod:
    method = (
        await session.execute(
            select(SavedPaymentMethod).where(
                SavedPaymentMethod.id == method_id,
                SavedPaymentMethod.organisation_id == organisation_id,
                SavedPaymentMethod.removed_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if method is None or (scope is not None and method.billing_account_id not in scope):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "paymentMethodId"])
    return method


async def _make_default(session: AsyncSession, method_id: int, billing_account_id: int) -> None:
    # Clear first: the unique default_for_account_id admits one default per account.
    await session.execute(
        update(SavedPaymentMethod)
        .where(SavedPaymentMethod.default_for_account_id == billing_account_id)
        .values(default_for_account_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await session.execute(
        update(SavedPaymentMethod)
        .where(SavedPaymentMethod.id == method_id)
        .values(default_for_account_id=billing_account_id)
        .execution_options(synchronize_session=False)
    )


async def _profile_for_update(session: AsyncSession, organisation_id: int, billing_account_id: int) -> BillingProfile:
    """The account's profile row, created on first change; written first so concurrent changes queue."""
    account = (
        await session.execute(
            select(models.BillingAccount).where(
                models.BillingAccount.id == billing_account_id, models.BillingAccount.organisation_id == organisation_id
            )
        )
    ).scalar_one_or_none()
    if account is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "billingAccountId"])
    profile = await session.get(BillingProfile, billing_account_id, with_for_update=True)
    if profile is None:
        profile = BillingProfile(billing_account_id=billing_account_id, organisation_id=organisation_id, auto_pay=False)
        session.add(profile)
        await session.flush()
    return profile


def _label(method: SavedPaymentMethod) -> str:
    if method.type == "CARD":
        return f"{method.card_brand} •••• {method.card_last4}"
    return f"Orange Money {method.msisdn_masked}"


async def _record(
    session: AsyncSession, profile: BillingProfile, actor_contact_id: int, action: str, what: str, now: datetime
) -> None:
    """Audit the change and e-mail it to the account's BILL_TO contacts."""
    profile.updated_at = now
    profile.updated_by_contact_id = actor_contact_id
    await session.flush()
    number = (
        await session.execute(
            select(models.BillingAccount.number).where(models.BillingAccount.id == profile.billing_account_id)
        )
    ).scalar_one()
    await record_event(
        session,
        at=now,
        organisation_id=profile.organisation_id,
        actor_contact_id=actor_contact_id,
        action=action,
        summary=f"Billing profile of {number}: {what}",
        subject_id=to_global_id("BillingAccount", profile.billing_account_id),
        data={"billing_account": number},
    )
    recipients = (
        await session.execute(
            select(BillingContact.email)
            .where(BillingContact.billing_account_id == profile.billing_account_id)
            .where(BillingContact.purposes.contains("BILL_TO"))
            .order_by(BillingContact.position)
        )
    ).scalars()
    for email in dict.fromkeys(recipients):
        await enqueue_email(
            session,
            to=email,
            subject=f"Profil de facturation modifié / Billing profile changed {number}",
            body=f"Bonjour,\n\nLe profil de facturation du compte {number} a été modifié : {what}.\n\n---\n\n"
            f"Hello,\n\nThe billing profile of account {number} was changed: {what}.\n",
            now=now,
        )
