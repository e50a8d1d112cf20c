"""Password rules (the seed's), argon2id hashing, and the pure sign-in rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from guichet.domain.auth import rules
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.passwords import MAX_LENGTH, PasswordHashing, check_password_strength, missing_password_classes
from guichet.i18n import render

FIELD = ["input", "password"]


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Abcdef1!", []),
        ("Ab1!", ["length"]),
        ("ABCDEFG1!", ["lowercase"]),
        ("abcdefg1!", ["uppercase"]),
        ("Abcdefgh!", ["digit"]),
        ("Abcdefgh1", ["special"]),
        ("Abc defg1", ["special"]),  # a space is not a special character
        ("", ["length", "lowercase", "uppercase", "digit", "special"]),
        ("Éléphant9€", []),  # Unicode letters and symbols count
    ],
)
def test_missing_classes_name_each_broken_rule(password: str, missing: list[str]) -> None:
    assert missing_password_classes(password) == missing


@pytest.mark.parametrize(
    ("password", "en", "fr"),
    [
        ("Ab1!x", "at least 8 characters", "8 caractères au moins"),
        ("ABCDEFG1!", "a lower-case letter", "une lettre minuscule"),
        ("abcdefg1!", "an upper-case letter", "une lettre majuscule"),
        ("Abcdefgh!", "a digit", "un chiffre"),
        ("Abcdefgh1", "a special character", "un caractère spécial"),
    ],
)
def test_weak_password_message_names_what_is_missing_in_both_languages(password: str, en: str, fr: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_password_strength(password, field=FIELD)

    error = caught.value
    assert (error.code, error.field) == (ErrorCode.WEAK_PASSWORD, FIELD)
    assert render(error.message_key, "en", error.params) == f"The password must contain {en}."
    assert render(error.message_key, "fr", error.params) == f"Le mot de passe doit contenir {fr}."


def test_too_long_password_is_a_validation_error() -> None:
    with pytest.raises(DomainError) as caught:
        check_password_strength("Aa1!" * 40, field=FIELD)

    assert caught.value.code == ErrorCode.VALIDATION
    assert render(caught.value.message_key, "en", caught.value.params) == (
        f"The password may not be longer than {MAX_LENGTH} characters."
    )


def test_hash_is_argon2id_and_verifies_exactly() -> None:
    hashing = PasswordHashing("test")
    password = "Très-Long#Mot2Passe" + "x" * 60  # 79 characters, Unicode: accepted, never truncated

    stored = hashing.hash(password)

    assert stored.startswith("$argon2id$v=19$")
    assert hashing.verify(stored, password)
    assert not hashing.verify(stored, password + " ")
    assert not hashing.verify(stored, password.lower())
    assert not hashing.verify(None, password)  # unknown person: dummy hash, always False


def test_default_profile_meets_rfc_9106_and_asks_to_rehash_weaker_hashes() -> None:
    hashing = PasswordHashing("default")
    weaker = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash("Abcdef1!")

    assert "m=65536,t=3,p=4" in hashing.hash("Abcdef1!")
    assert hashing.needs_rehash(weaker)
    assert not hashing.needs_rehash(hashing.hash("Abcdef1!"))


@pytest.mark.parametrize("raw", ["  Awa.Kone@ACME.ci ", "awa.kone@acme.ci"])
def test_email_is_stripped_and_lower_cased(raw: str) -> None:
    assert rules.normalise_email(raw, field=["input", "email"]) == "awa.kone@acme.ci"


@pytest.mark.parametrize(
    "raw", ["", "awa", "awa@", "@acme.ci", "awa@acme", "a b@acme.ci", "a@@acme.ci", "x" * 250 + "@a.ci"]
)
def test_malformed_email_is_refused(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        rules.normalise_email(raw, field=["input", "email"])

    assert (caught.value.code, caught.value.message_key, caught.value.field) == (
        ErrorCode.VALIDATION,
        "email_invalid",
        ["input", "email"],
    )


def test_throttle_frees_when_enough_failures_leave_the_window() -> None:
    t0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    failures = [t0 + timedelta(minutes=i) for i in range(6)]

    assert rules.blocked_until(failures[:4], limit=5) is None
    assert rules.blocked_until(failures[:5], limit=5) == t0 + timedelta(minutes=15)
    # Six failures: free once only four remain, i.e. when the second oldest leaves the window.
    assert rules.blocked_until(list(reversed(failures)), limit=5) == t0 + timedelta(minutes=16)
    assert rules.minutes_to_wait(t0 + timedelta(minutes=15), t0 + timedelta(minutes=5, seconds=30)) == 10
    assert rules.minutes_to_wait(t0 + timedelta(seconds=1), t0) == 1
