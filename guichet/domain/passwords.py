"""Password rules (the FLOA seed's) and argon2id hashing."""

from __future__ import annotations

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

from guichet.domain.errors import DomainError, ErrorCode

MIN_LENGTH = 8
MAX_LENGTH = 128


def missing_password_classes(password: str) -> list[str]:
    """Names of the rules `password` breaks: length, lowercase, uppercase, digit, special."""
    missing = []
    if len(password) < MIN_LENGTH:
        missing.append("length")
    if not any(c.islower() for c in password):
        missing.append("lowercase")
    if not any(c.isupper() for c in password):
        missing.append("uppercase")
    if not any(c.isdigit() for c in password):
        missing.append("digit")
    if not any(not c.isalnum() and not c.isspace() or c in string.punctuation for c in password):
        missing.append("special")
    return missing


def check_password_strength(password: str, *, field: list[str]) -> None:
    """Raise DomainError(WEAK_PASSWORD) naming every missing class; VALIDATION when too long."""
    if len(password) > MAX_LENGTH:
        raise DomainError(ErrorCode.VALIDATION, "password_too_long", field=field, params={"max": MAX_LENGTH})
    missing = missing_password_classes(password)
    if missing:
        raise DomainError(ErrorCode.WEAK_PASSWORD, field=field, params={"missing": missing})


class PasswordHashing:
    """argon2id with RFC 9106 parameters; the cheapest profile only behind the test setting."""

    def __init__(self, profile: str = "default") -> None:
        params = CHEAPEST if profile == "test" else RFC_9106_LOW_MEMORY
        self._hasher = PasswordHasher.from_parameters(params)
        # Verified against when the e-mail is unknown, so both answers take the same time.
        self._dummy_hash = self._hasher.hash("dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
