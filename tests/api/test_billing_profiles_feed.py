"""The feed's billing-profile keys: legalName, address, billingContacts (idempotent, all or nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import import_feed_file
from guichet.domain.models.billing_profiles import BillingContact, BillingProfile
from tests.conftest import TEST_NOW

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"


def _feed(**account: Any) -> dict[str, Any]:
    document = json.loads((FEEDS / "basic.json").read_text())
    document["organisations"][0]["billingAccounts"][0].update(account)
    return document


async def _import(sessionmaker, tmp_path, document):  # type: ignore[no-untyped-def]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    return await import_feed_file(sessionmaker, str(path), now=TEST_NOW)


async def _rows(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        profiles = (
            await session.execute(
                select(BillingProfile.legal_name, BillingProfile.line1, BillingProfile.city, BillingProfile.country)
            )
        ).all()
        contacts = (
            await session.execute(
                select(BillingContact.id, BillingContact.purposes, BillingContact.email).order_by(
                    BillingContact.position
                )
            )
        ).all()
    return [tuple(p) for p in profiles], [tuple(c) for c in contacts]


PROFILE = {
    "legalName": "ACME Côte d'Ivoire SA",
    "address": {"line1": "Rue des Jardins", "city": "Abidjan", "country": "ci"},
    "billingContacts": [{"purposes": ["BILL_TO", "DUNNING"], "name": "Service comptable", "email": "factures@acme.ci"}],
}


async def test_the_feed_sets_the_profile_and_a_second_import_changes_nothing(sessionmaker, tmp_path) -> None:
    await _import(sessionmaker, tmp_path, _feed(**PROFILE))
    first = await _rows(sessionmaker)

    await _import(sessionmaker, tmp_path, _feed(**PROFILE))

    assert first[0] == [("ACME Côte d'Ivoire SA", "Rue des Jardins", "Abidjan", "CI")]
    assert [(p, e) for _, p, e in first[1]] == [("BILL_TO,DUNNING", "factures@acme.ci")]
    assert await _rows(sessionmaker) == first


async def test_contacts_without_bill_to_are_refused_in_one_line_and_nothing_is_written(sessionmaker, tmp_path) -> None:
    document = _feed(billingContacts=[{"purposes": ["ACCOUNT"], "name": "Awa", "email": "awa@acme.ci"}])

    with pytest.raises(FeedError) as caught:
        await _import(sessionmaker, tmp_path, document)

    message = str(caught.value)
    assert "\n" not in message and "billingAccounts[0]" in message and "BILL_TO" in message
    async with sessionmaker() as session:
        assert (await session.execute(select(models.Organisation.id))).all() == []
