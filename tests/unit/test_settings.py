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
