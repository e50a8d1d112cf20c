"""Service-request categories: what each requires and the SLA hours shown to the customer.

Hours come, most specific first, from the organisation's own settings (the back-office feed's
`serviceRequestCategories`), then the TOML file named by GUICHET_SERVICE_REQUEST_CATEGORIES,
then the defaults below. What a category requires (a line, an invoice) is fixed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.service_requests import ServiceRequestCategorySetting
from guichet.settings import SettingsError

MAX_HOURS = 24 * 365


class Category(StrEnum):
    INCIDENT = "INCIDENT"
    CHANGE_REQUEST = "CHANGE_REQUEST"
    LINE_MANAGEMENT = "LINE_MANAGEMENT"
    BILLING_CLAIM = "BILLING_CLAIM"
    ACCOUNT_CHANGE = "ACCOUNT_CHANGE"
    INFORMATION = "INFORMATION"
    OTHER = "OTHER"


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class CategoryInfo:
    category: Category
    labels: Mapping[str, str]  # locale -> label
    requires_line: bool
    requires_invoice: bool
    response_hours: int | None
    resolution_hours: int | None

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels["en"]


DEFAULTS: dict[Category, CategoryInfo] = {
    c.category: c
    for c in (
        CategoryInfo(
            Category.INCIDENT, {"en": "Incident on a line", "fr": "Incident sur une ligne"}, True, False, 4, 24
        ),
        CategoryInfo(
            Category.CHANGE_REQUEST, {"en": "Change request", "fr": "Demande de modification"}, False, False, 8, 72
        ),
        CategoryInfo(
            Category.LINE_MANAGEMENT, {"en": "Line management", "fr": "Gestion des lignes"}, True, False, 8, 48
        ),
        CategoryInfo(
            Category.BILLING_CLAIM, {"en": "Billing claim", "fr": "Réclamation sur facture"}, False, True, 24, 120
        ),
        CategoryInfo(
            Category.ACCOUNT_CHANGE, {"en": "Account change", "fr": "Modification du compte"}, False, False, 24, 120
        ),
        CategoryInfo(
            Category.INFORMATION, {"en": "Information request", "fr": "Demande d'information"}, False, False, 24, 72
        ),
        CategoryInfo(Category.OTHER, {"en": "Other", "fr": "Autre"}, False, False, 48, 168),
    )
}


def _hours(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOURS:
        raise ValueError(f"{where}: hours must be a whole number from 1 to {MAX_HOURS}")
    return value


def parse_overrides(data: Mapping[str, Any]) -> dict[Category, tuple[int | None, int | None]]:
    """`[categories.INCIDENT] response_hours = 4, resolution_hours = 24` tables; raise ValueError
    naming the faulty entry (an unknown category or key, hours not in 1..8760)."""
    unknown = set(data) - {"categories"}
    if unknown:
        raise ValueError(f"unknown top-level key {sorted(unknown)[0]!r} (expected [categories.<NAME>] tables)")
    tables = data.get("categories", {})
    if not isinstance(tables, dict):
        raise ValueError("categories must be a table")
    found: dict[Category, tuple[int | None, int | None]] = {}
    for name, entry in tables.items():
        if name not in Category.__members__:
            raise ValueError(f"unknown category {name!r}")
        if not isinstance(entry, dict) or set(entry) - {"response_hours", "resolution_hours"}:
            raise ValueError(f"categories.{name}: only response_hours and resolution_hours may be set")
        base = DEFAULTS[Category(name)]
        found[Category(name)] = (
            _hours(entry.get("response_hours", base.response_hours), f"categories.{name}.response_hours"),
            _hours(entry.get("resolution_hours", base.resolution_hours), f"categories.{name}.resolution_hours"),
        )
    return found


def load_file(path: str | None) -> dict[Category, tuple[int | None, int | None]]:
    """The overrides of GUICHET_SERVICE_REQUEST_CATEGORIES (none when unset).

    Raise SettingsError (one line) when the file cannot be read or is malformed.
    """
    if not path:
        return {}
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError as error:
        raise SettingsError(f"GUICHET_SERVICE_REQUEST_CATEGORIES: cannot read {path}: {error.strerror}") from None
    return dict(_load(path, stamp))


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int) -> tuple[tuple[Category, tuple[int | None, int | None]], ...]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        return tuple(parse_overrides(data).items())
    except OSError as error:
        raise SettingsError(f"GUICHET_SERVICE_REQUEST_CATEGORIES: cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise SettingsError(f"GUICHET_SERVICE_REQUEST_CATEGORIES: {path}: {error}") from None


async def categories_of(
    session: AsyncSession, *, organisation_id: int, file_path: str | None = None
) -> list[CategoryInfo]:
    """Every category as this organisation sees it, in the enum's order."""
    overrides = load_file(file_path)
    rows = (
        await session.execute(
            select(ServiceRequestCategorySetting).where(
                ServiceRequestCategorySetting.organisation_id == organisation_id
            )
        )
    ).scalars()
    own = {Category(r.category): (r.response_hours, r.resolution_hours) for r in rows}
    result = []
    for category, info in DEFAULTS.items():
        hours = own.get(category) or overrides.get(category)
        result.append(replace(info, response_hours=hours[0], resolution_hours=hours[1]) if hours else info)
    return result


async def category_of(
    session: AsyncSession, *, organisation_id: int, category: Category, file_path: str | None = None
) -> CategoryInfo:
    for info in await categories_of(session, organisation_id=organisation_id, file_path=file_path):
        if info.category is category:
            return info
    raise AssertionError(category)  # every Category has a default


async def import_category_settings(
    session: AsyncSession, *, organisation_id: int, entries: Sequence[Mapping[str, Any]], path: str
) -> int:
    """Replace the organisation's hours with the feed's `serviceRequestCategories` entries
    ({"category", "responseHours", "resolutionHours"}); answer how many rows changed.

    Raise ValueError naming `path[i]` when an entry is malformed.
    """
    wanted: dict[str, tuple[int | None, int | None]] = {}
    for index, entry in enumerate(entries):
        where = f"{path}[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        unknown = sorted(set(entry) - {"category", "responseHours", "resolutionHours"})
        if unknown:
            raise ValueError(
                f"{where}: unknown field {unknown[0]!r} (expected category, responseHours, resolutionHours)"
            )
        name = entry.get("category")
        if name not in Category.__members__:
            raise ValueError(f"{where}.category: unknown category {name!r}")
        if name in wanted:
            raise ValueError(f"{where}.category: {name} is listed twice")
        # An omitted key keeps the default; an explicit null means no commitment.
        base = DEFAULTS[Category(str(name))]
        wanted[str(name)] = (
            _hours(entry.get("responseHours", base.response_hours), f"{where}.responseHours"),
            _hours(entry.get("resolutionHours", base.resolution_hours), f"{where}.resolutionHours"),
        )
    rows = {
        r.category: r
        for r in (
            await session.execute(
                select(ServiceRequestCategorySetting).where(
                    ServiceRequestCategorySetting.organisation_id == organisation_id
                )
            )
        ).scalars()
    }
    changed = 0
    for name, (response, resolution) in wanted.items():
        row = rows.pop(name, None)
        if row is None:
            session.add(
                ServiceRequestCategorySetting(
                    organisation_id=organisation_id, category=name, response_hours=response, resolution_hours=resolution
                )
            )
            changed += 1
        elif (row.response_hours, row.resolution_hours) != (response, resolution):
            row.response_hours, row.resolution_hours = response, resolution
            changed += 1
    for row in rows.values():
        await session.delete(row)
        changed += 1
    await session.flush()
    return changed
