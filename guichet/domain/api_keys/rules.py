"""Pure rules of API keys (ACCESS.md rule 14; OPERATIONS.md "API keys").

A secret is `gk_` + 43 URL-safe characters (256 bits from the CSPRNG); only its SHA-256 is kept,
and its first 12 characters (`gk_` + 9) are shown to recognise it. A key holds READ and EXPORT
only, expires at most 365 days after its creation, and a rotation keeps the old secret 0–72 hours.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.tokens import token_hash
from guichet.policies.rules import Action

SECRET_PREFIX = "gk_"
DISPLAY_PREFIX_LENGTH = 12
MAX_LIFETIME = timedelta(days=365)
MAX_GRACE_HOURS = 72
KEY_ACTIONS = frozenset({Action.READ, Action.EXPORT})
NAME_MAX = 100
MAX_DOCUMENT_IDS = 100


def new_secret() -> tuple[str, str, str]:
    """(secret shown once, its hash to store, its display prefix)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, token_hash(secret), secret[:DISPLAY_PREFIX_LENGTH]


def key_status(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    """REVOKED once revoked, EXPIRED from expires_at on, ACTIVE otherwise."""
    if revoked_at is not None:
        return "REVOKED"
    if expires_at <= now:
        return "EXPIRED"
    return "ACTIVE"


def check_name(name: str) -> str:
    """The trimmed name; raise DomainError(VALIDATION) on input.name when empty or too long."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > NAME_MAX:
        raise DomainError(ErrorCode.VALIDATION, "api_key_name_invalid", field=["input", "name"])
    return cleaned


def check_expiry(expires_at: datetime, now: datetime) -> datetime:
    """Raise DomainError(VALIDATION) on input.expiresAt unless it is in the future, ≤ 365 days ahead."""
    if expires_at.tzinfo is None or expires_at <= now or expires_at > now + MAX_LIFETIME:
        raise DomainError(ErrorCode.VALIDATION, "api_key_expiry_invalid", field=["input", "expiresAt"])
    return expires_at


def check_actions(pairs: list[tuple[str, str]]) -> None:
    """Raise DomainError(ACTION_NOT_ALLOWED_FOR_API_KEY) for WRITE, PAY or APPROVE."""
    for index, (module, action) in enumerate(pairs):
        if action not in KEY_ACTIONS:
            raise DomainError(
                ErrorCode.ACTION_NOT_ALLOWED_FOR_API_KEY,
                field=["input", "permissions", str(index)],
                params={"module": module, "action": action},
            )


def check_document_ids(ids: list[str] | None) -> list[str] | None:
    """Distinct ids; raise DomainError(VALIDATION) on input.allowedDocumentIds past 100 or malformed."""
    if ids is None:
        return None
    distinct = list(dict.fromkeys(ids))
    if len(distinct) > MAX_DOCUMENT_IDS or not all(is_document_id(i) for i in distinct):
        raise DomainError(ErrorCode.VALIDATION, "api_key_documents_invalid", field=["input", "allowedDocumentIds"])
    return distinct


def is_document_id(value: str) -> bool:
    """`sha256:` + 64 lowercase hex digits (GraphQL-over-HTTP's documentId)."""
    digest = value.removeprefix("sha256:")
    return value.startswith("sha256:") and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


def check_grace(hours: int) -> timedelta:
    """Raise DomainError(VALIDATION) on input.previousSecretValidHours outside 0–72."""
    if not 0 <= hours <= MAX_GRACE_HOURS:
        raise DomainError(ErrorCode.VALIDATION, "api_key_grace_invalid", field=["input", "previousSecretValidHours"])
    return timedelta(hours=hours)
