"""One catalogue, merged from one file per area; `render` picks the request's language.

Each area file defines MESSAGES = {key: {"en": ..., "fr": ...}} with str.format placeholders.
Keys default to the ErrorCode name; finer keys ("card_expired") say more than the code.
"""

from __future__ import annotations

from collections.abc import Mapping

from guichet.i18n import (
    catalogue_access,
    catalogue_auth,
    catalogue_billing,
    catalogue_core,
    catalogue_graphql,
    catalogue_integrations,
    catalogue_invoices,
    catalogue_payments,
    catalogue_reporting,
    catalogue_rewards,
    catalogue_schedules,
    catalogue_service_requests,
)

SUPPORTED = ("en", "fr")
DEFAULT_LOCALE = "en"

CATALOGUE: dict[str, dict[str, str]] = {}
for _area in (
    catalogue_core,
    catalogue_auth,
    catalogue_access,
    catalogue_invoices,
    catalogue_payments,
    catalogue_schedules,
    catalogue_graphql,
    catalogue_service_requests,
    catalogue_reporting,
    catalogue_billing,
    catalogue_integrations,
    catalogue_rewards,
):
    for _key, _texts in _area.MESSAGES.items():
        if _key in CATALOGUE:
            raise RuntimeError(f"message key {_key!r} defined twice")
        CATALOGUE[_key] = _texts

# French names of the password classes, for WEAK_PASSWORD's {missing} list.
_WORDS = {
    "fr": {
        "length": "8 caractères au moins",
        "lowercase": "une lettre minuscule",
        "uppercase": "une lettre majuscule",
        "digit": "un chiffre",
        "special": "un caractère spécial",
    },
    "en": {
        "length": "at least 8 characters",
        "lowercase": "a lower-case letter",
        "uppercase": "an upper-case letter",
        "digit": "a digit",
        "special": "a special character",
    },
}


def negotiate_locale(accept_language: str | None) -> str:
    """Pick fr or en from an Accept-Language header (English when absent or unsupported)."""
    if not accept_language:
        return DEFAULT_LOCALE
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in SUPPORTED and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else DEFAULT_LOCALE


def render(key: str, locale: str, params: Mapping[str, object] | None = None) -> str:
    """The message for `key` in `locale`, placeholders filled; the key itself if unknown."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    values = dict(params or {})
    if "missing" in values and isinstance(values["missing"], list | tuple):
        words = _WORDS.get(locale, _WORDS["en"])
        values["missing"] = ", ".join(words.get(str(m), str(m)) for m in values["missing"])
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
