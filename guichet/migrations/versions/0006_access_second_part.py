"""access control, second part: action APPROVE, module INTEGRATIONS, new role cells

Revision ID: 0006
Revises: 0005

ACCESS.md's table gained FINANCE on SERVICE_REQUESTS and REWARDS (READ WRITE), MANAGEMENT on
ORDERS APPROVE and ADMIN on INTEGRATIONS (READ WRITE), plus the grant and denial templates of the
new module and action. The rows are frozen here; each is inserted only where it is absent, because
a database created after this change already received them from 0002 (which reads the policy file).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

casbin_rule = sa.table(
    "casbin_rule",
    sa.column("ptype", sa.String),
    sa.column("v0", sa.String),
    sa.column("v1", sa.String),
    sa.column("v2", sa.String),
    sa.column("v3", sa.String),
    sa.column("v4", sa.String),
    sa.column("v5", sa.String),
)

MODULES = (
    "INVOICES",
    "PAYMENTS",
    "SCHEDULES",
    "BILLING_PROFILE",
    "CONTRACTS",
    "ORDERS",
    "SERVICE_REQUESTS",
    "SHOP",
    "REWARDS",
    "MEMBERS",
    "REPORTS",
    "AUDIT",
    "INTEGRATIONS",
)
ACTIONS = ("READ", "WRITE", "PAY", "EXPORT", "APPROVE")

ROLE_CELLS = (
    ("FINANCE", "SERVICE_REQUESTS", "READ"),
    ("FINANCE", "SERVICE_REQUESTS", "WRITE"),
    ("FINANCE", "REWARDS", "READ"),
    ("FINANCE", "REWARDS", "WRITE"),
    ("MANAGEMENT", "ORDERS", "APPROVE"),
    ("ADMIN", "INTEGRATIONS", "READ"),
    ("ADMIN", "INTEGRATIONS", "WRITE"),
)


def _added_rows() -> list[tuple[str, str, str, str]]:
    """(subject, module, action, effect) of every template row this revision adds."""
    rows = [(f"role:{role}", module, action, "allow") for role, module, action in ROLE_CELLS]
    new_permissions = sorted({(m, a) for m in MODULES for a in ACTIONS if m == "INTEGRATIONS" or a == "APPROVE"})
    rows += [(f"grant:{m}:{a}", m, a, "allow") for m, a in new_permissions]
    rows += [(f"deny:{m}:{a}", m, a, "deny") for m, a in new_permissions]
    return rows


def _template(subject: str, module: str, action: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        casbin_rule.c.ptype == "p",
        casbin_rule.c.v0 == subject,
        casbin_rule.c.v1 == "*",
        casbin_rule.c.v2 == module,
        casbin_rule.c.v3 == action,
    )


def upgrade() -> None:
    bind = op.get_bind()
    for subject, module, action, effect in _added_rows():
        present = bind.execute(
            sa.select(sa.func.count()).select_from(casbin_rule).where(_template(subject, module, action))
        )
        if present.scalar_one() == 0:
            op.bulk_insert(
                casbin_rule,
                [{"ptype": "p", "v0": subject, "v1": "*", "v2": module, "v3": action, "v4": effect, "v5": None}],
            )


def downgrade() -> None:
    for subject, module, action, _effect in _added_rows():
        op.execute(casbin_rule.delete().where(_template(subject, module, action)))
