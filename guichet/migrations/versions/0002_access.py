"""access control: the default policy (ACCESS.md table) as role templates in casbin_rule

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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


def upgrade() -> None:
    # The policy file is validated row by row (arity, names, characters) before it is written.
    from guichet.policies.rules import default_templates

    with op.batch_alter_table("casbin_rule", schema=None) as batch_op:
        batch_op.create_index("ix_casbin_rule_ptype_v0_v1", ["ptype", "v0", "v1"], unique=False)
    op.bulk_insert(
        casbin_rule,
        [
            {"ptype": "p", "v0": sub, "v1": dom, "v2": obj, "v3": act, "v4": eft, "v5": None}
            for (_p, sub, dom, obj, act, eft) in default_templates()
        ],
    )


def downgrade() -> None:
    op.execute(casbin_rule.delete().where(sa.column("ptype") == "p").where(sa.column("v1") == "*"))
    with op.batch_alter_table("casbin_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_casbin_rule_ptype_v0_v1")
