"""A database migrated before the second part of ACCESS.md gains its new cells on upgrade."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from guichet.migrate import alembic_config, upgrade
from guichet.policies.rules import default_templates, template_table


def _stored_templates(path: Path) -> set[tuple[str, ...]]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT ptype, v0, v1, v2, v3, v4 FROM casbin_rule WHERE ptype = 'p' AND v1 = '*'")
        ).all()
    engine.dispose()
    return {tuple(row) for row in rows}


def test_upgrade_from_0005_adds_approve_integrations_and_new_role_cells(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0005")
    before = template_table(_stored_templates(path))
    assert ("ORDERS", "APPROVE") not in before["MANAGEMENT"]
    assert ("SERVICE_REQUESTS", "READ") not in before["FINANCE"]
    assert "INTEGRATIONS" not in {module for module, _action in before.get("ADMIN", set())}

    upgrade(url)

    assert _stored_templates(path) == set(default_templates())


def test_upgrade_twice_writes_each_template_once(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0005")
    upgrade(url)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        duplicates = connection.execute(
            sa.text(
                "SELECT v0, v2, v3, COUNT(*) FROM casbin_rule WHERE ptype = 'p' AND v1 = '*' "
                "GROUP BY v0, v2, v3 HAVING COUNT(*) > 1"
            )
        ).all()
    engine.dispose()
    assert duplicates == []
