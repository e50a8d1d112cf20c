"""What every auth service needs from the request: a unit of work, the hasher, the time, the language."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.passwords import PasswordHashing

# A fresh session inside one transaction, committed once when the block ends (rolled back on error).
UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class AuthEnv:
    """The request-level inputs of the auth services (built by the resolver from its Context)."""

    uow: UnitOfWork
    passwords: PasswordHashing
    now: datetime
    locale: str
    public_url: str
    session_ttl: timedelta
    client_ip: str | None = None
    request_id: str = "-"
