"""Security event log (SEC-18): one line per authentication event, never a password, token or link."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

log = logging.getLogger("guichet.security")


class EventEnv(Protocol):
    """What a security event says about its request (AuthEnv and MembersEnv both have it)."""

    @property
    def now(self) -> datetime: ...
    @property
    def client_ip(self) -> str | None: ...
    @property
    def request_id(self) -> str: ...


def security_event(
    env: EventEnv, event: str, *, email: str | None = None, person_id: int | None = None, **extra: object
) -> None:
    """Log `event` (e.g. auth.login.failed) with time, actor, client address and request id.

    Callers pass only non-secret values: never a password, a token, a link or a hash.
    """
    details = " ".join(f"{k}={v}" for k, v in sorted(extra.items()))
    log.info(
        "%s at=%s email=%s person=%s ip=%s request=%s%s",
        event,
        env.now.isoformat(),
        email or "-",
        person_id if person_id is not None else "-",
        env.client_ip or "-",
        env.request_id,
        f" {details}" if details else "",
    )
