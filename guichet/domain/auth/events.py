"""Security event log (SEC-18): one line per authentication event, never a password, token or link."""

from __future__ import annotations

import logging

from guichet.domain.auth.env import AuthEnv

log = logging.getLogger("guichet.security")


def security_event(
    env: AuthEnv, event: str, *, email: str | None = None, person_id: int | None = None, **extra: object
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
