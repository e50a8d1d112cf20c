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
        },
    )

    assert (settings.max_query_cost, settings.rate_capacity, settings.rate_restore) == (500, 200, 5.0)
    assert (settings.trusted_documents, settings.request_timeout_seconds) == ("enforce", 3.0)


def test_a_bad_trusted_documents_mode_or_cost_stops_start_up() -> None:
    import pytest

    from guichet.settings import SettingsError, load_settings

    base = {"GUICHET_SECRET_KEY": "k" * 40, "GUICHET_WEBHOOK_SECRET": "w" * 20}
    with pytest.raises(SettingsError, match="GUICHET_TRUSTED_DOCUMENTS"):
        load_settings(environ={**base, "GUICHET_TRUSTED_DOCUMENTS": "strict"})
    with pytest.raises(SettingsError, match="GUICHET_MAX_QUERY_COST"):
        load_settings(environ={**base, "GUICHET_MAX_QUERY_COST": "0"})
