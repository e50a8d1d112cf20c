"""payment reconciliations: money a provider confirmed after its payment failed or expired

Revision ID: 0008
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_reconciliations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("webhook_event_id", ID, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_minor", sa.BigInteger(), nullable=False),
        sa.Column("unapplied_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_payment_reconciliations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_reconciliations_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_event_id"],
            ["webhook_events.id"],
            name=op.f("fk_payment_reconciliations_webhook_event_id_webhook_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reconciliations")),
        sa.UniqueConstraint("webhook_event_id", name="uq_payment_reconciliations_webhook_event_id"),
    )
    with op.batch_alter_table("payment_reconciliations", schema=None) as batch_op:
        batch_op.create_index("ix_payment_reconciliations_org_id", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_payment_reconciliations_payment_id", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_reconciliations")
