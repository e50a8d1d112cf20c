"""payments, idempotency keys, webhook events

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("payer_contact_id", ID, nullable=True),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("received_minor", sa.BigInteger(), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("msisdn", sa.String(length=20), nullable=True),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("instructions", sa.JSON(), nullable=True),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_payments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["payer_contact_id"], ["contacts.id"], name=op.f("fk_payments_payer_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_org_id", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_payments_status_expires", ["status", "expires_at"], unique=False)

    op.create_table(
        "payment_invoices",
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("requested_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_invoices_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_payment_invoices_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_payment_invoices_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("payment_id", "invoice_id", name=op.f("pk_payment_invoices")),
    )
    with op.batch_alter_table("payment_invoices", schema=None) as batch_op:
        batch_op.create_index("ix_payment_invoices_invoice", ["invoice_id", "payment_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_idempotency_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_idempotency_keys_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_idempotency_keys_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("contact_id", "key", name="uq_idempotency_keys_contact_id_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_webhook_events_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_webhook_events_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("provider", "dedup_key", name="uq_webhook_events_provider_dedup_key"),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_payment_id", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_table("idempotency_keys")
    op.drop_table("payment_invoices")
    op.drop_table("payments")
