"""Support channels: how to reach customer service, with opening hours."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="How a support channel is reached.")
class SupportChannelKind(Enum):
    PHONE = "PHONE"
    WHATSAPP = "WHATSAPP"
    EMAIL = "EMAIL"
    CHAT = "CHAT"
    CONTACT_FORM = "CONTACT_FORM"
    CHATBOT = "CHATBOT"
    FAQ = "FAQ"


@strawberry.type(description="A way to reach customer service.")
class SupportChannel:
    kind: SupportChannelKind = strawberry.field(description="Phone, WhatsApp, e-mail, chat, form, chatbot or FAQ.")
    label: str = strawberry.field(description="Human-readable name of the channel.")
    value: str = strawberry.field(description="The number, address or link to use.")
    hours: str = strawberry.field(description="Opening hours, as the operator words them.")
    available_now: bool = strawberry.field(description="Open right now, in the channel's own time zone.")
