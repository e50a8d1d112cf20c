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


def test_cost_rate_and_trusted_document_settings_are_read() -> None:
    from guichet.settings import load_settings

    settings = load_settings(
        demo=True,
        environ={
            "GUICHET_SECRET_KEY": "k" * 40,
            "GUICHET_WEBHOOK_SECRET": "w" * 20,
            "GUICHET_MAX_QUERY_COST": "500",
            "GUICHET_RATE_CAPACITY": "200",
            "GUICHET_RATE_RESTORE": "5",
            "GUICHET_TRUSTED_DOCUMENTS": "Enforce",
            "GUICHET_REQUEST_TIMEOUT": "3",
            "GUICHET_STATEMENT_TIMEOUT": "2",
        },
    )

    assert (settings.max_query_cost, settings.rate_capacity, settings.rate_restore) == (500, 200, 5.0)
    assert (settings.trusted_documents, settings.request_timeout_seconds) == ("enforce", 3.0)
    assert settings.statement_timeout_seconds == 2.0


def test_a_bad_trusted_documents_mode_or_cost_stops_start_up() -> None:
    import pytest

    from guichet.settings import SettingsError, load_settings

    base = {"GUICHET_SECRET_KEY": "k" * 40, "GUICHET_WEBHOOK_SECRET": "w" * 20}
    with pytest.raises(SettingsError, match="GUICHET_TRUSTED_DOCUMENTS"):
        load_settings(environ={**base, "GUICHET_TRUSTED_DOCUMENTS": "strict"})
    with pytest.raises(SettingsError, match="GUICHET_MAX_QUERY_COST"):
        load_settings(environ={**base, "GUICHET_MAX_QUERY_COST": "0"})


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
