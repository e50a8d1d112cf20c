"""pending payments and billing profiles: items waiting to be paid, addresses, billing contacts, saved methods

Revision ID: 0010
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0013"
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

    op.create_table(
        "billing_profiles",
        sa.Column("billing_account_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("line1", sa.String(length=200), nullable=True),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("auto_pay", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_contact_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_billing_profiles_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_billing_profiles_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_contact_id"], ["contacts.id"], name=op.f("fk_billing_profiles_updated_by_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("billing_account_id", name=op.f("pk_billing_profiles")),
    )
    op.create_index("ix_billing_profiles_organisation_id", "billing_profiles", ["organisation_id"])
    op.create_table(
        "billing_contacts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("billing_account_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("purposes", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_billing_contacts_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_billing_contacts_billing_account_id_billing_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_contacts")),
    )
    op.create_index("ix_billing_contacts_account", "billing_contacts", ["billing_account_id", "position"])
    op.create_table(
        "saved_payment_methods",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("billing_account_id", ID, nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("provider_token", sa.String(length=100), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_exp_month", sa.Integer(), nullable=True),
        sa.Column("card_exp_year", sa.Integer(), nullable=True),
        sa.Column("msisdn_masked", sa.String(length=30), nullable=True),
        sa.Column("default_for_account_id", ID, nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_contact_id", ID, nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_saved_payment_methods_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_saved_payment_methods_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_contact_id"],
            ["contacts.id"],
            name=op.f("fk_saved_payment_methods_added_by_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_payment_methods")),
        sa.UniqueConstraint("default_for_account_id", name=op.f("uq_saved_payment_methods_default_for_account_id")),
    )
    op.create_index("ix_saved_payment_methods_account", "saved_payment_methods", ["billing_account_id", "id"])
    op.create_table(
        "autopay_attempts",
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=True),
        sa.Column("payment_method_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_autopay_attempts_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_autopay_attempts_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_autopay_attempts_payment_id_payments")),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["saved_payment_methods.id"],
            name=op.f("fk_autopay_attempts_payment_method_id_saved_payment_methods"),
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_autopay_attempts")),
    )
    op.create_index("ix_autopay_attempts_organisation_id", "autopay_attempts", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_autopay_attempts_organisation_id", table_name="autopay_attempts")
    op.drop_table("autopay_attempts")
    op.drop_index("ix_saved_payment_methods_account", table_name="saved_payment_methods")
    op.drop_table("saved_payment_methods")
    op.drop_index("ix_billing_contacts_account", table_name="billing_contacts")
    op.drop_table("billing_contacts")
    op.drop_index("ix_billing_profiles_organisation_id", table_name="billing_profiles")
    op.drop_table("billing_profiles")
    op.drop_index("ix_payment_pending_payments_item", table_name="payment_pending_payments")
    op.drop_table("payment_pending_payments")
    op.drop_index("ix_pending_payments_payment", table_name="pending_payments")
    op.drop_index("ix_pending_payments_invoice", table_name="pending_payments")
    op.drop_index("ix_pending_payments_org_id", table_name="pending_payments")
    op.drop_table("pending_payments")
