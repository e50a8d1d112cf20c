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


def test_each_payment_method_has_its_own_expiry() -> None:
    defaults = load_settings(environ=SECRETS)
    chosen = load_settings(
        environ={**SECRETS, "GUICHET_PAYMENT_EXPIRY_SECONDS": "600", "GUICHET_BANK_TRANSFER_EXPIRY_DAYS": "3"}
    )

    assert (defaults.payment_expiry_seconds, defaults.bank_transfer_expiry_seconds) == (1800, 7 * 86400)
    assert (chosen.payment_expiry_seconds, chosen.bank_transfer_expiry_seconds) == (600, 3 * 86400)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_an_expiry_that_is_not_a_whole_positive_number_is_one_line(value: str) -> None:
    with pytest.raises(SettingsError, match="^GUICHET_BANK_TRANSFER_EXPIRY_DAYS must be a whole number above zero$"):
        load_settings(environ={**SECRETS, "GUICHET_BANK_TRANSFER_EXPIRY_DAYS": value})


def test_the_operations_address_is_optional() -> None:
    assert load_settings(environ=SECRETS).operations_email is None
    assert (
        load_settings(environ={**SECRETS, "GUICHET_OPERATIONS_EMAIL": " ops@example.test "}).operations_email
        == "ops@example.test"
    )
