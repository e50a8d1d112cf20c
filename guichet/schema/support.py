"""Support channels: how to reach customer service, with opening hours (public, no login)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from guichet.domain import support as domain
from guichet.resolvers import support as resolvers
from guichet.resolvers.context import Info


@strawberry.enum(description="How a support channel is reached.")
class SupportChannelKind(Enum):
    PHONE = "PHONE"
    WHATSAPP = "WHATSAPP"
    EMAIL = "EMAIL"
    CHAT = "CHAT"
    CONTACT_FORM = "CONTACT_FORM"
    CHATBOT = "CHATBOT"
    FAQ = "FAQ"


@strawberry.enum(description="What the customer needs help with; picks the relevant channels.")
class SupportTopic(Enum):
    GENERAL = strawberry.enum_value("general", description="Anything: every general-purpose channel.")
    ACCOUNT = strawberry.enum_value("account", description="Signing in, access and the customer account.")
    INVOICES = strawberry.enum_value("invoices", description="Reading or downloading invoices.")
    PAYMENTS = strawberry.enum_value("payments", description="Paying invoices (Orange Money, card, transfer).")
    SCHEDULES = strawberry.enum_value("schedules", description="Instalment plans.")
    COLLECTIONS = strawberry.enum_value("collections", description="A rejected instalment or an unpaid debt.")


@strawberry.type(description="A way to reach customer service.")
class SupportChannel:
    kind: SupportChannelKind = strawberry.field(description="Phone, WhatsApp, e-mail, chat, form, chatbot or FAQ.")
    label: str = strawberry.field(description="Human-readable name of the channel.")
    value: str = strawberry.field(description="The number, address or link to use.")
    hours: str = strawberry.field(description="Opening hours, as the operator words them.")
    available_now: bool = strawberry.field(description="Open right now, in the channel's own time zone.")
    group: str = strawberry.field(description='Who answers on this channel, e.g. "FLOA".')
    time_zone: str = strawberry.field(description='IANA time zone of the opening hours, e.g. "Africa/Abidjan".')

    @classmethod
    def of(cls, channel: domain.Channel, *, now: datetime, locale: str) -> SupportChannel:
        """Render a domain channel in `locale`, open or closed at `now`."""
        return cls(
            kind=SupportChannelKind(channel.kind),
            label=channel.label_in(locale),
            value=channel.value,
            hours=channel.hours_in(locale),
            available_now=domain.is_available(channel, now),
            group=channel.group,
            time_zone=channel.time_zone,
        )

    @classmethod
    def for_help(cls, info: Info, kind_of_help: str | None) -> list[SupportChannel]:
        """The channels for `kind_of_help` (None = all), rendered for this request."""
        now, locale = info.context.now(), info.context.locale
        return [cls.of(c, now=now, locale=locale) for c in resolvers.support_channels(info.context, kind_of_help)]


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Public: how to reach customer service, with opening hours. Without `topic`, every channel in "
            "configuration order; with it, the channels for that kind of help, most relevant first."
        )
    )
    def support_channels(self, info: Info, topic: SupportTopic | None = None) -> list[SupportChannel]:
        return SupportChannel.for_help(info, topic.value if topic is not None else None)
