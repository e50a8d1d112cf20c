"""Settings refuse what would be unsafe in a deployment."""

from __future__ import annotations

import pytest

from guichet.settings import SettingsError, load_settings

SECRETS = {"GUICHET_SECRET_KEY": "k" * 40, "GUICHET_WEBHOOK_SECRET": "w" * 32}


def test_secrets_are_required_outside_demo_mode() -> None:
    with pytest.raises(SettingsError, match="GUICHET_SECRET_KEY"):
        load_settings(environ={})


def test_the_cheapest_password_hashing_is_refused_outside_the_test_suite() -> None:
    with pytest.raises(SettingsError, match="test suite only"):
        load_settings(environ={**SECRETS, "GUICHET_PASSWORD_HASH_PROFILE": "test"})


def test_the_test_suite_may_use_the_cheapest_password_hashing() -> None:
    settings = load_settings(environ={**SECRETS, "GUICHET_PASSWORD_HASH_PROFILE": "test", "GUICHET_TESTING": "1"})
    assert settings.password_hash_profile == "test"


def test_password_hashing_defaults_to_rfc_9106() -> None:
    assert load_settings(environ=SECRETS).password_hash_profile == "default"


def test_logging_defaults_to_info_text_lines_and_refuses_unknown_values() -> None:
    settings = load_settings(environ=SECRETS)
    assert (settings.log_format, settings.log_level) == ("text", "INFO")
    assert (
        load_settings(environ={**SECRETS, "GUICHET_LOG_FORMAT": "JSON", "GUICHET_LOG_LEVEL": "debug"}).log_format
        == "json"
    )
    with pytest.raises(SettingsError, match="GUICHET_LOG_FORMAT"):
        load_settings(environ={**SECRETS, "GUICHET_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="GUICHET_LOG_LEVEL"):
        load_settings(environ={**SECRETS, "GUICHET_LOG_LEVEL": "loud"})


def test_no_proxy_is_trusted_unless_named() -> None:
    assert load_settings(environ=SECRETS).forwarded_allow_ips == ""
    named = load_settings(environ={**SECRETS, "GUICHET_FORWARDED_ALLOW_IPS": " 10.0.0.0/8,127.0.0.1 "})
    assert named.forwarded_allow_ips == "10.0.0.0/8,127.0.0.1"
