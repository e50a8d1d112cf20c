"""PostgreSQL stops a statement running past GUICHET_STATEMENT_TIMEOUT (SEC-09): a runaway query
cannot hold one of the pool's connections for ever."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from guichet.db import create_engine
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="GUICHET_TEST_POSTGRES_URL is not set")


async def test_a_statement_past_the_timeout_is_cancelled_and_the_connection_stays_usable() -> None:
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL, statement_timeout_seconds=0.2)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
            await connection.rollback()
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar_one() == "200ms"
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
