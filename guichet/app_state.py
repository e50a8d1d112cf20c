"""What the application holds for its lifetime: engine, sessions, clock, enforcer, mailer, gateways."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from guichet.domain.clock import Clock
from guichet.domain.passwords import PasswordHashing
from guichet.settings import Settings


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    passwords: PasswordHashing
    # Filled by the areas' set-up (policies enforcer, mailer, payment gateways, pub/sub).
    services: dict[str, Any] = field(default_factory=dict)
