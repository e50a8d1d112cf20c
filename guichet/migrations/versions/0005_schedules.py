"""instalment schedules

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("order_number", sa.String(length=50), nullable=False),
        sa.Column("merchant_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purchase_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("fees_minor", sa.BigInteger(), nullable=False),
        sa.Column("installment_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancelled_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_regularised_minor", sa.BigInteger(), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fees_minor >= 0", name=op.f("ck_schedules_fees_nonnegative")),
        sa.CheckConstraint("purchase_amount_minor > 0", name=op.f("ck_schedules_purchase_amount_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_schedules_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("order_number", name=op.f("uq_schedules_order_number")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index("ix_schedules_org_status", ["organisation_id", "status", "id"], unique=False)

    op.create_table(
        "schedule_regularisations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("schedule_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("installment_count", sa.Integer(), nullable=False),
        sa.Column("debt_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("failure_code", sa.String(length=50), nullable=True),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_schedule_regularisations_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_schedule_regularisations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_regularisations_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_regularisations")),
        sa.UniqueConstraint(
            "contact_id", "idempotency_key", name=op.f("uq_schedule_regularisations_contact_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("schedule_regularisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_regularisations_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "schedule_installments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("schedule_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("presented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_code", sa.String(length=50), nullable=True),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("regularisation_id", ID, nullable=True),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_schedule_installments_amount_nonnegative")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_schedule_installments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["regularisation_id"],
            ["schedule_regularisations.id"],
            name=op.f("fk_schedule_installments_regularisation_id_schedule_regularisations"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_installments_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_installments")),
        sa.UniqueConstraint("schedule_id", "number", name=op.f("uq_schedule_installments_schedule_id_number")),
    )
    with op.batch_alter_table("schedule_installments", schema=None) as batch_op:
        batch_op.create_index("ix_schedule_installments_due", ["status", "due_date"], unique=False)

    op.create_table(
        "schedule_debits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("schedule_id", ID, nullable=False),
        sa.Column("installment_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("failure_code", sa.String(length=50), nullable=True),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["schedule_installments.id"],
            name=op.f("fk_schedule_debits_installment_id_schedule_installments"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_schedule_debits_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_debits_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_debits")),
    )
    with op.batch_alter_table("schedule_debits", schema=None) as batch_op:
        batch_op.create_index("ix_schedule_debits_schedule", ["schedule_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schedule_debits", schema=None) as batch_op:
        batch_op.drop_index("ix_schedule_debits_schedule")
    op.drop_table("schedule_debits")
    with op.batch_alter_table("schedule_installments", schema=None) as batch_op:
        batch_op.drop_index("ix_schedule_installments_due")
    op.drop_table("schedule_installments")
    with op.batch_alter_table("schedule_regularisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_regularisations_organisation_id"))
    op.drop_table("schedule_regularisations")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_schedules_org_status")
    op.drop_table("schedules")
