"""rewards: the signed ledger, its lot allocations, and the invoice's rewards columns

Revision ID: 0015
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reward_transactions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.Date(), nullable=True),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("actor_contact_id", ID, nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("ref", sa.String(length=80), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_reward_transactions_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_reward_transactions_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["actor_contact_id"], ["contacts.id"], name=op.f("fk_reward_transactions_actor_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_transactions")),
        sa.UniqueConstraint(
            "organisation_id", "dedupe_key", name=op.f("uq_reward_transactions_organisation_id_dedupe_key")
        ),
    )
    op.create_index(
        "ix_reward_transactions_org_currency",
        "reward_transactions",
        ["organisation_id", "currency", "occurred_at", "id"],
    )
    op.create_index("ix_reward_transactions_invoice", "reward_transactions", ["invoice_id"])
    op.create_table(
        "reward_allocations",
        sa.Column("transaction_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["reward_transactions.id"],
            name=op.f("fk_reward_allocations_transaction_id_reward_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["reward_transactions.id"], name=op.f("fk_reward_allocations_lot_id_reward_transactions")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_reward_allocations_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("transaction_id", "lot_id", name=op.f("pk_reward_allocations")),
    )
    op.create_index("ix_reward_allocations_lot", "reward_allocations", ["lot_id"])
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("rewards_applied_minor", sa.BigInteger(), server_default="0", nullable=False))
        batch.add_column(sa.Column("rewards_eligible", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("rewards_eligible")
        batch.drop_column("rewards_applied_minor")
    op.drop_index("ix_reward_allocations_lot", table_name="reward_allocations")
    op.drop_table("reward_allocations")
    op.drop_index("ix_reward_transactions_invoice", table_name="reward_transactions")
    op.drop_index("ix_reward_transactions_org_currency", table_name="reward_transactions")
    op.drop_table("reward_transactions")
