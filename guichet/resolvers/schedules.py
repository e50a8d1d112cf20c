"""Resolvers of the schedules area (placeholder: its issue fills this module)."""

from __future__ import annotations

from guichet.resolvers.context import Info


async def schedules_by_pk(info: Info, pks: list[int]) -> dict[int, object]:
    raise NotImplementedError


async def organisation_schedules(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError
