"""Security event log (SEC-18): one line per authentication event, never a password, token or link."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

log = logging.getLogger("guichet.security")
# Names a LogRecord already has: such details are logged as detail_<name>.
_RESERVED = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}


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
    """Log `event` (e.g. auth.login.failed) with time, actor, client address and request id, as fields.

    Callers pass only non-secret values: never a password, a token, a link or a hash.
    """
    log.info(
        event,
        extra={
            "event": event,
            "email": email or "-",
            "person": person_id if person_id is not None else "-",
            "ip": env.client_ip or "-",
            "request_id": env.request_id,
            **{f"detail_{k}" if k in _RESERVED else k: v for k, v in sorted(extra.items())},
        },
    )
