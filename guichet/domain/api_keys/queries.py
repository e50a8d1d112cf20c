"""Reading API keys: the organisation's list (filtered by derived status) and their permission rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.api_keys import ApiKey, ApiKeyPermission


def status_condition(statuses: Iterable[str], now: datetime) -> ColumnElement[bool]:
    """The SQL form of rules.key_status: keys showing one of `statuses` at `now`."""
    wanted = set(statuses)
    conditions: list[ColumnElement[bool]] = []
    if "REVOKED" in wanted:
        conditions.append(ApiKey.revoked_at.is_not(None))
    if "EXPIRED" in wanted:
        conditions.append(ApiKey.revoked_at.is_(None) & (ApiKey.expires_at <= now))
    if "ACTIVE" in wanted:
        conditions.append(ApiKey.revoked_at.is_(None) & (ApiKey.expires_at > now))
    return or_(*conditions)


def list_statement(organisation_id: int, statuses: Sequence[str], now: datetime) -> Select[Any]:
    """The organisation's keys, newest first once paged (keyset by id)."""
    statement = select(ApiKey).where(ApiKey.organisation_id == organisation_id)
    if statuses:
        statement = statement.where(status_condition(statuses, now))
    return statement


async def permissions_of(session: AsyncSession, key_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(module, action) pairs of each key, in one statement whatever the number of keys."""
    found: dict[int, list[tuple[str, str]]] = {k: [] for k in key_ids}
    if not key_ids:
        return found
    rows = (
        await session.execute(
            select(ApiKeyPermission.api_key_id, ApiKeyPermission.module, ApiKeyPermission.action)
            .where(ApiKeyPermission.api_key_id.in_(sorted(set(key_ids))))
            .distinct()
        )
    ).all()
    for key_id, module, action in rows:
        found[key_id].append((module, action))
    return found
