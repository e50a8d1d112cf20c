"""The back-office feed's `serviceRequestCategories`: an organisation's own SLA hours per category."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import import_feed_file
from guichet.domain.service_requests.categories import Category, categories_of
from tests.conftest import TEST_NOW

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"


def _feed(categories: Any) -> dict[str, Any]:
    document = json.loads((FEEDS / "basic.json").read_text())
    document["organisations"][0]["serviceRequestCategories"] = categories
    return document


async def _import(sessionmaker: Any, tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    await import_feed_file(sessionmaker, str(path), now=TEST_NOW)


async def _hours(sessionmaker: Any) -> dict[Category, tuple[int | None, int | None]]:
    async with sessionmaker() as session:
        org_id = (
            await session.execute(select(models.Organisation.id).where(models.Organisation.ref == "acme"))
        ).scalar_one()
        return {
            c.category: (c.response_hours, c.resolution_hours)
            for c in await categories_of(session, organisation_id=org_id)
        }


async def test_the_feed_sets_an_organisations_hours_and_a_new_list_replaces_them(sessionmaker, tmp_path) -> None:
    await _import(sessionmaker, tmp_path, _feed([{"category": "INCIDENT", "responseHours": 1, "resolutionHours": 8}]))
    first = await _hours(sessionmaker)

    await _import(
        sessionmaker,
        tmp_path,
        _feed([{"category": "BILLING_CLAIM", "responseHours": 48}, {"category": "OTHER", "resolutionHours": None}]),
    )
    second = await _hours(sessionmaker)

    assert (first[Category.INCIDENT], first[Category.BILLING_CLAIM]) == ((1, 8), (24, 120))
    assert (second[Category.INCIDENT], second[Category.BILLING_CLAIM], second[Category.OTHER]) == (
        (4, 24),
        (48, 120),
        (48, None),
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"category": "PLUMBING"}],
            "organisations[0].serviceRequestCategories[0].category: unknown category 'PLUMBING'",
        ),
        ([{"category": "INCIDENT", "responseHours": 0}], "organisations[0].serviceRequestCategories[0].responseHours"),
        ([{"category": "INCIDENT", "sla": 3}], "unknown field 'sla'"),
    ],
)
async def test_a_malformed_entry_refuses_the_whole_feed_naming_it(sessionmaker, tmp_path, entries, message) -> None:
    with pytest.raises(FeedError) as caught:
        await _import(sessionmaker, tmp_path, _feed(entries))

    assert message in str(caught.value)
    async with sessionmaker() as session:
        assert (await session.execute(select(models.Organisation.id))).first() is None
