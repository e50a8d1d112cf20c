"""Pure rules of sign-in: e-mail shape, names, token lifetimes, throttle windows."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from guichet.domain.errors import DomainError, ErrorCode

RESET_TOKEN_TTL = timedelta(hours=1)
ACTIVATION_TOKEN_TTL = timedelta(days=7)

PURPOSE_RESET = "reset-password"
PURPOSE_ACTIVATE = "activate"

# Throttling (SEC-41): failures counted in the database so every server process agrees.
THROTTLE_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES_PER_EMAIL = 5
LOGIN_FAILURES_PER_IP = 50
TOKEN_FAILURES_PER_IP = 20
REGISTRATION_FAILURES_PER_TAXPAYER = 5
# E-mails sent per address and window by requestPasswordReset / requestFirstConnection (no mail bombing).
MAILS_PER_EMAIL = 5

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalise_email(raw: str, *, field: Sequence[str]) -> str:
    """Strip and lower-case `raw`; raise DomainError(VALIDATION, email_invalid) when it is not an address."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise DomainError(ErrorCode.VALIDATION, "email_invalid", field=field)
    return email


def clean_name(raw: str | None, *, field: Sequence[str], required: bool = False) -> str | None:
    """A stripped first or last name; VALIDATION (required / value_too_long) when missing or too long."""
    name = (raw or "").strip()
    if not name:
        if required:
            raise DomainError(ErrorCode.VALIDATION, "required", field=field)
        return None
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(ErrorCode.VALIDATION, "value_too_long", field=field, params={"max": MAX_NAME_LENGTH})
    return name


def blocked_until(failures: Sequence[datetime], *, limit: int, window: timedelta = THROTTLE_WINDOW) -> datetime | None:
    """When `limit` failures or more lie in the window, the moment enough of them fall out of it.

    `failures` are the times of the failures inside the window (any order). Below the limit: None.
    """
    if len(failures) < limit:
        return None
    ordered = sorted(failures)
    # Free again once fewer than `limit` remain: when the (n - limit + 1)-th oldest leaves the window.
    return ordered[len(ordered) - limit] + window


def minutes_to_wait(until: datetime, now: datetime) -> int:
    """Whole minutes (at least 1) a throttled caller must wait, for the message."""
    return max(1, math.ceil((until - now).total_seconds() / 60))
