"""The demo data set (placeholder: the foundation's demo work fills it)."""

from __future__ import annotations

from guichet.migrate import upgrade
from guichet.settings import Settings


def prepare_demo(settings: Settings) -> None:
    """Migrate, then load the demo data set when the database is empty."""
    upgrade(settings.database_url)
