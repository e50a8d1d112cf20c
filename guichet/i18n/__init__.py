"""The message catalogue: every user-facing message in English and French."""

from guichet.i18n.messages import negotiate_locale, render

__all__ = ["negotiate_locale", "render"]
