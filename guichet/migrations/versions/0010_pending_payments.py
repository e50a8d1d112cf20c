"""pending payments: orders, renewals and failed charges waiting to be paid, and the payments covering them

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pending_payments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("billing_account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("contract_id", ID, nullable=True),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("last_failure_code", sa.String(length=40), nullable=True),
        sa.Column("last_failure_message", sa.String(length=200), nullable=True),
        sa.Column("failed_payment_method_id", ID, nullable=True),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_pending_payments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_pending_payments_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_pending_payments_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_pending_payments_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_payments")),
        sa.UniqueConstraint(
            "organisation_id", "dedupe_key", name=op.f("uq_pending_payments_organisation_id_dedupe_key")
        ),
    )
    op.create_index("ix_pending_payments_org_id", "pending_payments", ["organisation_id", "id"])
    op.create_index("ix_pending_payments_invoice", "pending_payments", ["invoice_id"])
    op.create_index("ix_pending_payments_payment", "pending_payments", ["payment_id"])
    op.create_table(
        "payment_pending_payments",
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("pending_payment_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_pending_payments_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pending_payment_id"],
            ["pending_payments.id"],
            name=op.f("fk_payment_pending_payments_pending_payment_id_pending_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_payment_pending_payments_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("payment_id", "pending_payment_id", name=op.f("pk_payment_pending_payments")),
    )
    op.create_index(
        "ix_payment_pending_payments_item", "payment_pending_payments", ["pending_payment_id", "payment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_payment_pending_payments_item", table_name="payment_pending_payments")
    op.drop_table("payment_pending_payments")
    op.drop_index("ix_pending_payments_payment", table_name="pending_payments")
    op.drop_index("ix_pending_payments_invoice", table_name="pending_payments")
    op.drop_index("ix_pending_payments_org_id", table_name="pending_payments")
    op.drop_table("pending_payments")
