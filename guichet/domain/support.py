"""Support channels: how a customer reaches a human (or a FAQ), and whether it is open right now.

Opening hours are data (weekday ranges in the channel's own IANA time zone); the `hours` text is only
their human wording. The built-in defaults are the seeds' channels (Orange Business Côte d'Ivoire and
FLOA); GUICHET_SUPPORT_CHANNELS may name a TOML file that replaces them entirely.

Other areas use `channels_for("payments" | "collections" | ..., settings)` to attach the right channels
to a failure, and `is_available(channel, now)` to tell whether it is open.

Failure modes: a malformed TOML file raises SupportChannelsError (a SettingsError, so `guichet serve`
prints one line and exits non-zero) naming the file, the channel and the faulty key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guichet.settings import SettingsError

if TYPE_CHECKING:
    from guichet.settings import Settings

KINDS = ("PHONE", "WHATSAPP", "EMAIL", "CHAT", "CONTACT_FORM", "CHATBOT", "FAQ")
# Kinds of help a caller may ask channels for; "general" means "anything".
TOPICS = ("general", "account", "invoices", "payments", "schedules", "collections")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCALES = ("en", "fr")


class SupportChannelsError(SettingsError):
    """The support channels file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class OpeningHours:
    """Open on `weekdays` (0 = Monday) from `start` (inclusive) to `end` (exclusive), local time.

    `end` of None means midnight at the end of the day, so "00:00-24:00" is the whole day.
    """

    weekdays: frozenset[int]
    start: time
    end: time | None

    def contains(self, local: datetime) -> bool:
        if local.weekday() not in self.weekdays:
            return False
        moment = local.time().replace(tzinfo=None)
        return moment >= self.start and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class Channel:
    """One support channel. `opening` empty means always open (24/7)."""

    key: str
    group: str
    kind: str
    label: Mapping[str, str]
    value: str
    time_zone: str
    hours_text: Mapping[str, str]
    opening: tuple[OpeningHours, ...] = ()
    topics: frozenset[str] = field(default_factory=lambda: frozenset({"general"}))
    # Lower comes first in channels_for(); ties keep the file's order.
    priority: int = 100

    @property
    def always_open(self) -> bool:
        return not self.opening

    def label_in(self, locale: str) -> str:
        return _localised(self.label, locale)

    def hours_in(self, locale: str) -> str:
        return _localised(self.hours_text, locale)


def _localised(texts: Mapping[str, str], locale: str) -> str:
    return texts.get(locale) or texts.get("en") or next(iter(texts.values()), "")


def is_available(channel: Channel, now: datetime) -> bool:
    """True when `channel` is open at `now` (a tz-aware instant), read in the channel's own time zone.

    Raise ValueError for a naive datetime: "now" without a zone cannot be placed in Abidjan or Paris.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if channel.always_open:
        return True
    local = now.astimezone(ZoneInfo(channel.time_zone))
    return any(slot.contains(local) for slot in channel.opening)


# ---------------------------------------------------------------- built-in defaults (the seeds)

_ABIDJAN = "Africa/Abidjan"
_PARIS = "Europe/Paris"
_ALL_WEEK = frozenset(range(7))
_MON_FRI = frozenset(range(5))
_SAT = frozenset({5})
# FLOA's advisers: Monday to Friday 9h-20h, Saturday 9h-18h (seed 002).
_FLOA_ADVISERS = (OpeningHours(_MON_FRI, time(9), time(20)), OpeningHours(_SAT, time(9), time(18)))
_FLOA_ADVISERS_TEXT = {
    "en": "Monday to Friday 9am–8pm, Saturday 9am–6pm (Paris time)",
    "fr": "Du lundi au vendredi de 9h à 20h et le samedi de 9h à 18h (heure de Paris)",
}
# The seeds give no hours for Orange's 0808 line and WhatsApp: we assume business hours in Abidjan;
# a deployment states the real ones in its GUICHET_SUPPORT_CHANNELS file.
_ORANGE_ADVISERS = (OpeningHours(_MON_FRI, time(8), time(18)), OpeningHours(_SAT, time(8), time(13)))
_ORANGE_ADVISERS_TEXT = {
    "en": "Monday to Friday 8am–6pm, Saturday 8am–1pm (Abidjan time)",
    "fr": "Du lundi au vendredi de 8h à 18h et le samedi de 8h à 13h (heure d'Abidjan)",
}
_ALWAYS_TEXT = {"en": "24/7", "fr": "7j/7, 24h/24"}
_ORANGE_TOPICS = frozenset({"general", "account", "invoices", "payments"})
_FLOA_TOPICS = frozenset({"general", "schedules", "collections"})
ORANGE = "Orange Business Côte d'Ivoire"
FLOA = "FLOA"

DEFAULT_CHANNELS: tuple[Channel, ...] = (
    Channel(
        key="orange-phone",
        group=ORANGE,
        kind="PHONE",
        label={"en": "Customer service (phone)", "fr": "Service client (téléphone)"},
        value="0808",
        time_zone=_ABIDJAN,
        hours_text=_ORANGE_ADVISERS_TEXT,
        opening=_ORANGE_ADVISERS,
        topics=_ORANGE_TOPICS,
        priority=10,
    ),
    Channel(
        key="orange-whatsapp",
        group=ORANGE,
        kind="WHATSAPP",
        label={"en": "Customer service on WhatsApp", "fr": "Service client sur WhatsApp"},
        value="77 88 080 080",
        time_zone=_ABIDJAN,
        hours_text=_ORANGE_ADVISERS_TEXT,
        opening=_ORANGE_ADVISERS,
        topics=_ORANGE_TOPICS,
        priority=20,
    ),
    Channel(
        key="orange-email",
        group=ORANGE,
        kind="EMAIL",
        label={"en": "Customer service by e-mail", "fr": "Service client par e-mail"},
        value="orangebusiness.oci@contact.orange.ci",
        time_zone=_ABIDJAN,
        hours_text={"en": "24/7 (answered during business hours)", "fr": "7j/7 (réponse aux heures ouvrées)"},
        topics=_ORANGE_TOPICS,
        priority=30,
    ),
    Channel(
        key="floa-collections-phone",
        group=FLOA,
        kind="PHONE",
        label={"en": "Payment incidents (phone)", "fr": "Incidents de paiement (téléphone)"},
        value="08 90 39 24 18",
        time_zone=_PARIS,
        hours_text=_FLOA_ADVISERS_TEXT,
        opening=_FLOA_ADVISERS,
        topics=frozenset({"collections", "schedules"}),
        priority=5,
    ),
    Channel(
        key="floa-chat",
        group=FLOA,
        kind="CHAT",
        label={"en": "Chat with an adviser", "fr": "Chat avec un conseiller"},
        value="https://www.floa.fr/",
        time_zone=_PARIS,
        hours_text=_FLOA_ADVISERS_TEXT,
        opening=_FLOA_ADVISERS,
        topics=_FLOA_TOPICS,
        priority=40,
    ),
    Channel(
        key="floa-whatsapp",
        group=FLOA,
        kind="WHATSAPP",
        label={"en": "Advisers on WhatsApp", "fr": "Conseillers sur WhatsApp"},
        value="https://www.floa.fr/",
        time_zone=_PARIS,
        hours_text=_FLOA_ADVISERS_TEXT,
        opening=_FLOA_ADVISERS,
        topics=_FLOA_TOPICS,
        priority=50,
    ),
    Channel(
        key="floa-contact-form",
        group=FLOA,
        kind="CONTACT_FORM",
        label={"en": "Contact form (handled the same day)", "fr": "Formulaire de contact (traité à J)"},
        value="https://www.floa.fr/",
        time_zone=_PARIS,
        hours_text=_FLOA_ADVISERS_TEXT,
        opening=_FLOA_ADVISERS,
        topics=_FLOA_TOPICS,
        priority=60,
    ),
    Channel(
        key="floa-chatbot",
        group=FLOA,
        kind="CHATBOT",
        label={"en": "Self-care chatbot", "fr": "Self care / chatbot"},
        value="https://www.floa.fr/",
        time_zone=_PARIS,
        hours_text=_ALWAYS_TEXT,
        topics=_FLOA_TOPICS,
        priority=70,
    ),
    Channel(
        key="floa-faq",
        group=FLOA,
        kind="FAQ",
        label={"en": "FAQ", "fr": "FAQ"},
        value="https://www.floa.fr/",
        time_zone=_PARIS,
        hours_text=_ALWAYS_TEXT,
        topics=_FLOA_TOPICS,
        priority=80,
    ),
)


# ---------------------------------------------------------------- loading and choosing


def load_channels(settings: Settings | None = None) -> list[Channel]:
    """The channels in force: the file named by settings.support_channels_file, or the defaults.

    Raise SupportChannelsError (one line) when the file cannot be read or is malformed.
    """
    path = getattr(settings, "support_channels_file", None) if settings is not None else None
    if not path:
        return list(DEFAULT_CHANNELS)
    file = Path(path)
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as error:
        raise SupportChannelsError(f"GUICHET_SUPPORT_CHANNELS: cannot read {path}: {error.strerror}") from None
    return list(_load_file(str(file), stamp))


@lru_cache(maxsize=8)
def _load_file(path: str, _mtime_ns: int) -> tuple[Channel, ...]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise SupportChannelsError(f"GUICHET_SUPPORT_CHANNELS: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SupportChannelsError(f"GUICHET_SUPPORT_CHANNELS: {path} is not valid TOML: {error}") from None
    try:
        return parse_channels(data)
    except ValueError as error:
        raise SupportChannelsError(f"GUICHET_SUPPORT_CHANNELS: {path}: {error}") from None


def parse_channels(data: Mapping[str, Any]) -> tuple[Channel, ...]:
    """Build channels from a parsed TOML document: a list of `[[channel]]` tables.

    Each table: kind, label, value, time_zone, hours (text) and `open` (a list of "mon-fri 09:00-20:00"
    strings; omitted or empty = 24/7); optional key, group, topics, priority. `label` and `hours` are
    either a string or a table {en = "...", fr = "..."}. Raise ValueError naming the faulty entry.
    """
    unknown = set(data) - {"channel"}
    if unknown:
        raise ValueError(f"unknown top-level key {sorted(unknown)[0]!r} (expected [[channel]] tables)")
    raw = data.get("channel")
    if not isinstance(raw, list) or not raw:
        raise ValueError("no [[channel]] table")
    channels: list[Channel] = []
    keys: set[str] = set()
    for index, entry in enumerate(raw, start=1):
        where = f"channel #{index}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be a table")
        channel = _parse_channel(entry, where, index)
        if channel.key in keys:
            raise ValueError(f"{where}: duplicate key {channel.key!r}")
        keys.add(channel.key)
        channels.append(channel)
    return tuple(channels)


_CHANNEL_KEYS = {"key", "group", "kind", "label", "value", "time_zone", "hours", "open", "topics", "priority"}


def _parse_channel(entry: Mapping[str, Any], where: str, index: int) -> Channel:
    extra = set(entry) - _CHANNEL_KEYS
    if extra:
        raise ValueError(f"{where}: unknown key {sorted(extra)[0]!r}")
    kind = _text(entry, "kind", where).upper()
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    time_zone = _text(entry, "time_zone", where)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{where}: unknown time_zone {time_zone!r}") from None
    opening_raw = entry.get("open", [])
    if not isinstance(opening_raw, list) or not all(isinstance(x, str) for x in opening_raw):
        raise ValueError(f'{where}: open must be a list of strings like "mon-fri 09:00-20:00"')
    topics_raw = entry.get("topics", ["general"])
    if not isinstance(topics_raw, list) or not topics_raw or not all(isinstance(x, str) for x in topics_raw):
        raise ValueError(f"{where}: topics must be a non-empty list of strings")
    topics = frozenset(t.strip().lower() for t in topics_raw)
    bad_topic = sorted(topics - set(TOPICS))
    if bad_topic:
        raise ValueError(f"{where}: unknown topic {bad_topic[0]!r} (expected {', '.join(TOPICS)})")
    priority = entry.get("priority", 100 + index)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ValueError(f"{where}: priority must be an integer")
    group = entry.get("group", "")
    if not isinstance(group, str):
        raise ValueError(f"{where}: group must be a string")
    key = entry.get("key", f"channel-{index}")
    if not isinstance(key, str) or not key:
        raise ValueError(f"{where}: key must be a non-empty string")
    return Channel(
        key=key,
        group=group,
        kind=kind,
        label=_localised_table(entry, "label", where),
        value=_text(entry, "value", where),
        time_zone=time_zone,
        hours_text=_localised_table(entry, "hours", where),
        opening=tuple(parse_opening(spec, f"{where}: open") for spec in opening_raw),
        topics=topics,
        priority=priority,
    )


def _text(entry: Mapping[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {name} is required (a non-empty string)")
    return value.strip()


def _localised_table(entry: Mapping[str, Any], name: str, where: str) -> dict[str, str]:
    value = entry.get(name)
    if isinstance(value, str) and value.strip():
        return {locale: value.strip() for locale in LOCALES}
    if isinstance(value, dict) and value:
        bad = sorted(set(value) - set(LOCALES))
        if bad:
            raise ValueError(f"{where}: {name} has unknown locale {bad[0]!r} (expected en, fr)")
        if not all(isinstance(v, str) and v.strip() for v in value.values()):
            raise ValueError(f"{where}: {name} texts must be non-empty strings")
        return {k: v.strip() for k, v in value.items()}
    raise ValueError(f"{where}: {name} is required (a string or a table {{en = ..., fr = ...}})")


def parse_opening(spec: str, where: str = "open") -> OpeningHours:
    """Parse "mon-fri 09:00-20:00", "sat 09:00-18:00" or "mon,wed 08:00-24:00". Raise ValueError."""
    parts = spec.split()
    if len(parts) != 2:
        raise ValueError(f'{where}: {spec!r} must look like "mon-fri 09:00-20:00"')
    days_part, hours_part = parts
    weekdays: set[int] = set()
    for chunk in days_part.lower().split(","):
        first, _, last = chunk.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"{where}: {spec!r} has an unknown day (use {', '.join(WEEKDAYS)})")
        start_day, end_day = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end_day < start_day:
            raise ValueError(f"{where}: {spec!r} has a day range that runs backwards")
        weekdays.update(range(start_day, end_day + 1))
    start_text, sep, end_text = hours_part.partition("-")
    if not sep:
        raise ValueError(f'{where}: {spec!r} must give hours as "HH:MM-HH:MM"')
    start = _clock_time(start_text, spec, where)
    end = None if end_text == "24:00" else _clock_time(end_text, spec, where)
    if end is not None and end <= start:
        raise ValueError(f"{where}: {spec!r} closes before it opens")
    return OpeningHours(frozenset(weekdays), start, end)


def _clock_time(text: str, spec: str, where: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{where}: {spec!r} has an invalid time {text!r}") from None


def channels_for(kind_of_help: str, settings: Settings | None = None) -> list[Channel]:
    """Channels for one kind of help, most relevant first.

    "payments" gives Orange's 0808, WhatsApp and e-mail; "collections" gives the FLOA collections phone
    (08 90 39 24 18) first. Unknown kinds raise ValueError (a programming error, not user input).
    """
    return select_channels(load_channels(settings), kind_of_help)


def select_channels(channels: Iterable[Channel], kind_of_help: str | None) -> list[Channel]:
    """Filter `channels` to a kind of help, by priority; None keeps them all in their given order."""
    if kind_of_help is not None and kind_of_help not in TOPICS:
        raise ValueError(f"unknown kind of help {kind_of_help!r}")
    if kind_of_help is None:
        return list(channels)
    ordered = sorted(enumerate(channels), key=lambda pair: (pair[1].priority, pair[0]))
    return [channel for _, channel in ordered if kind_of_help in channel.topics]


def groups(channels: Sequence[Channel]) -> list[str]:
    """The distinct groups, in first-appearance order."""
    return list(dict.fromkeys(c.group for c in channels))
