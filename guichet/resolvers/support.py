"""Support channels for the public query and for other areas' failures (payments, schedules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guichet.domain import support as domain

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


def support_channels(ctx: Context, kind_of_help: str | None = None) -> list[domain.Channel]:
    """Channels for `kind_of_help` ("payments", "collections", ...; None = all), most relevant first."""
    return domain.select_channels(ctx.app.support_channels, kind_of_help)
