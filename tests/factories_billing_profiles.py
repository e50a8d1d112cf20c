"""Test data for billing profiles: BILL_TO contacts and saved cards."""

from __future__ import annotations

from typing import Any

from guichet.domain import models
from guichet.domain.models.billing_profiles import BillingContact, BillingProfile, SavedPaymentMethod
from tests.conftest import TEST_NOW


async def make_profile(
    session: Any, account: models.BillingAccount, *, auto_pay: bool = False, bill_to: str = "factures@acme.ci"
) -> BillingProfile:
    profile = BillingProfile(
        billing_account_id=account.id,
        organisation_id=account.organisation_id,
        legal_name="ACME Côte d'Ivoire SA",
        line1="Rue des Jardins",
        city="Abidjan",
        country="CI",
        auto_pay=auto_pay,
    )
    session.add(profile)
    session.add(
        BillingContact(
            organisation_id=account.organisation_id,
            billing_account_id=account.id,
            position=0,
            purposes="BILL_TO",
            name="Service comptable",
            email=bill_to,
        )
    )
    await session.flush()
    return profile


async def save_card(
    session: Any,
    account: models.BillingAccount,
    *,
    last4: str = "4242",
    exp: tuple[int, int] = (12, 2028),
    default: bool = True,
) -> SavedPaymentMethod:
    method = SavedPaymentMethod(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        type="CARD",
        provider_token=f"pm_test_{last4}",
        card_brand="VISA",
        card_last4=last4,
        card_exp_month=exp[0],
        card_exp_year=exp[1],
        default_for_account_id=account.id if default else None,
        added_at=TEST_NOW,
    )
    session.add(method)
    await session.flush()
    return method
