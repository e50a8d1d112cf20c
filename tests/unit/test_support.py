"""Support channels: the seeds' defaults, opening hours in each channel's own time zone, TOML files."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner

from guichet.domain.support import (
    DEFAULT_CHANNELS,
    OpeningHours,
    SupportChannelsError,
    channels_for,
    is_available,
    load_channels,
    parse_opening,
)
from guichet.settings import Settings, SettingsError, load_settings

BY_KEY = {c.key: c for c in DEFAULT_CHANNELS}

GOOD_TOML = """
[[channel]]
key = "hotline"
group = "Acme Telecom"
kind = "phone"
label = { en = "Hotline", fr = "Assistance" }
value = "+225 27 00 00 00"
time_zone = "Africa/Abidjan"
hours = "Mon-Fri 7:30-17:00"
open = ["mon-fri 07:30-17:00"]
topics = ["payments", "general"]

[[channel]]
kind = "FAQ"
label = "FAQ"
value = "https://help.example/faq"
time_zone = "Europe/Paris"
hours = "24/7"
"""


def test_defaults_are_the_seeds_channels() -> None:
    values = [(c.group, c.kind, c.value) for c in DEFAULT_CHANNELS if c.kind in {"PHONE", "WHATSAPP", "EMAIL"}]
    assert values == [
        ("Orange Business Côte d'Ivoire", "PHONE", "0808"),
        ("Orange Business Côte d'Ivoire", "WHATSAPP", "77 88 080 080"),
        ("Orange Business Côte d'Ivoire", "EMAIL", "orangebusiness.oci@contact.orange.ci"),
        ("FLOA", "PHONE", "08 90 39 24 18"),
        ("FLOA", "WHATSAPP", "https://www.floa.fr/"),
    ]
    floa_kinds = [c.kind for c in DEFAULT_CHANNELS if c.group == "FLOA"]
    assert floa_kinds == ["PHONE", "CHAT", "WHATSAPP", "CONTACT_FORM", "CHATBOT", "FAQ"]
    assert BY_KEY["floa-chat"].hours_in("fr") == (
        "Du lundi au vendredi de 9h à 20h et le samedi de 9h à 18h (heure de Paris)"
    )


def test_payments_help_is_orange_phone_whatsapp_then_email() -> None:
    assert [c.value for c in channels_for("payments")] == [
        "0808",
        "77 88 080 080",
        "orangebusiness.oci@contact.orange.ci",
    ]


def test_collections_help_starts_with_the_floa_collections_phone() -> None:
    channels = channels_for("collections")
    assert channels[0].value == "08 90 39 24 18"
    assert {c.group for c in channels} == {"FLOA"}


def test_unknown_kind_of_help_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown kind of help"):
        channels_for("refunds")


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        # November: Paris is UTC+1. Wednesday 08:59 Paris = 07:59 UTC: not yet.
        (datetime(2026, 11, 25, 7, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), True),  # 09:00 Paris
        (datetime(2026, 11, 25, 18, 59, tzinfo=UTC), True),  # 19:59 Paris
        (datetime(2026, 11, 25, 19, 0, tzinfo=UTC), False),  # 20:00 Paris: closed
        (datetime(2026, 11, 28, 16, 59, tzinfo=UTC), True),  # Saturday 17:59 Paris
        (datetime(2026, 11, 28, 17, 0, tzinfo=UTC), False),  # Saturday 18:00 Paris
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), False),  # Sunday
        # July: Paris is UTC+2, so 07:00 UTC is already 09:00 there.
        (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), True),
    ],
)
def test_floa_advisers_follow_paris_time(instant: datetime, open_: bool) -> None:
    assert is_available(BY_KEY["floa-chat"], instant) is open_


def test_orange_phone_follows_abidjan_time() -> None:
    phone = BY_KEY["orange-phone"]
    # Abidjan is UTC all year: 17:59 open, 18:00 closed on a weekday.
    assert is_available(phone, datetime(2026, 11, 25, 17, 59, tzinfo=UTC)) is True
    assert is_available(phone, datetime(2026, 11, 25, 18, 0, tzinfo=UTC)) is False


def test_faq_chatbot_and_email_are_always_available() -> None:
    sunday_night = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    for key in ("floa-faq", "floa-chatbot", "orange-email"):
        assert is_available(BY_KEY[key], sunday_night) is True


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_available(BY_KEY["floa-chat"], datetime(2026, 11, 25, 10, 0))


def test_opening_hours_parse() -> None:
    assert parse_opening("mon-fri 09:00-20:00") == OpeningHours(frozenset(range(5)), time(9), time(20))
    assert parse_opening("sat,sun 00:00-24:00") == OpeningHours(frozenset({5, 6}), time(0), None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("monday 09:00-20:00", "unknown day"),
        ("fri-mon 09:00-20:00", "runs backwards"),
        ("mon 20:00-09:00", "closes before it opens"),
        ("mon 9h-20h", "invalid time"),
        ("mon", "must look like"),
    ],
)
def test_bad_opening_hours_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_opening(spec)


def test_a_toml_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(GOOD_TOML)
    channels = load_channels(Settings(support_channels_file=str(path)))
    assert [(c.key, c.kind, c.value) for c in channels] == [
        ("hotline", "PHONE", "+225 27 00 00 00"),
        ("channel-2", "FAQ", "https://help.example/faq"),
    ]
    hotline = channels[0]
    assert hotline.label_in("fr") == "Assistance"
    assert hotline.label_in("en") == "Hotline"
    assert is_available(hotline, datetime(2026, 11, 25, 7, 29, tzinfo=UTC)) is False
    assert is_available(hotline, datetime(2026, 11, 25, 7, 30, tzinfo=UTC)) is True
    assert [c.key for c in channels_for("payments", Settings(support_channels_file=str(path)))] == ["hotline"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[channel]\nkind=", "is not valid TOML"),
        ("title = 'x'", "unknown top-level key 'title'"),
        ("[[channel]]\nkind = 'PIGEON'", "channel #1: kind must be one of"),
        (GOOD_TOML.replace('"Europe/Paris"', '"Mars/Olympus"'), "channel #2: unknown time_zone 'Mars/Olympus'"),
        (GOOD_TOML.replace('"mon-fri 07:30-17:00"', '"lun-ven 07:30-17:00"'), "channel #1: open: 'lun-ven"),
        (GOOD_TOML.replace('value = "https://help.example/faq"\n', ""), "channel #2: value is required"),
        (GOOD_TOML.replace('topics = ["payments", "general"]', 'topics = ["refunds"]'), "unknown topic 'refunds'"),
        (GOOD_TOML.replace('key = "hotline"', 'key = "hotline"\ncolour = "red"'), "unknown key 'colour'"),
    ],
)
def test_a_malformed_file_fails_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(content)
    with pytest.raises(SupportChannelsError) as caught:
        load_channels(Settings(support_channels_file=str(path)))
    text = str(caught.value)
    assert message in text
    assert text.startswith(f"GUICHET_SUPPORT_CHANNELS: {path}")
    assert "\n" not in text


def test_a_missing_file_fails_at_settings_load(tmp_path: Path) -> None:
    env = {
        "GUICHET_SECRET_KEY": "k" * 40,
        "GUICHET_WEBHOOK_SECRET": "w",
        "GUICHET_SUPPORT_CHANNELS": str(tmp_path / "nowhere.toml"),
    }
    with pytest.raises(SettingsError, match="GUICHET_SUPPORT_CHANNELS: cannot read .*nowhere.toml"):
        load_settings(environ=env)


def test_guichet_serve_refuses_to_start_on_a_malformed_file(tmp_path: Path) -> None:
    from guichet.cli.main import cli

    path = tmp_path / "channels.toml"
    path.write_text("[[channel]]\nkind = 'PIGEON'")
    env = {"GUICHET_SECRET_KEY": "k" * 40, "GUICHET_WEBHOOK_SECRET": "w", "GUICHET_SUPPORT_CHANNELS": str(path)}
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "guichet: GUICHET_SUPPORT_CHANNELS:" in result.output
    assert "kind must be one of" in result.output
