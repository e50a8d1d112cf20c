"""Support channels for the public query and for other areas' failures (payments, schedules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guichet.domain import support as domain
from guichet.resolvers.context import Context

if TYPE_CHECKING:
    from guichet.schema.support import SupportChannel

# Key of the channels loaded once at start-up in AppState.services.
SERVICE_KEY = "support_channels"


def configured_channels(ctx: Context) -> list[domain.Channel]:
    """The channels loaded at start-up (or loaded now from the settings when the app did not)."""
    channels = ctx.app.services.get(SERVICE_KEY)
    if channels is None:
        channels = domain.load_channels(ctx.settings)
    return list(channels)


def support_channels(ctx: Context, kind_of_help: str | None = None) -> list[SupportChannel]:
    """Channels for `kind_of_help` ("payments", "collections", ...; None = all), rendered for this request.

    Payments and schedules use this to fill `PaymentFailure.support` and the like.
    """
    from guichet.schema.support import SupportChannel

    now = ctx.now()
    selected = domain.select_channels(configured_channels(ctx), kind_of_help)
    return [SupportChannel.of(channel, now=now, locale=ctx.locale) for channel in selected]
