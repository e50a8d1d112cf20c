"""contracts: contracts, their lines, and the contract an invoice bills

Revision ID: 0011
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("billing_account_id", ID, nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("renewal_notice_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_contracts_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_contracts_billing_account_id_billing_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("number", name="uq_contracts_number"),
    )
    op.create_index("ix_contracts_org_account", "contracts", ["organisation_id", "billing_account_id", "id"])
    op.create_table(
        "contract_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("line_id", ID, nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_contract_lines_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_lines_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_contract_lines_line_id_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_lines")),
        sa.UniqueConstraint("contract_id", "position", name="uq_contract_lines_contract_id_position"),
    )
    op.create_index("ix_contract_lines_contract_id", "contract_lines", ["contract_id"])
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("contract_number", sa.String(length=50), nullable=True))
    op.create_index("ix_invoices_org_contract", "invoices", ["organisation_id", "contract_number", "period_start"])


def downgrade() -> None:
    op.drop_index("ix_invoices_org_contract", table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("contract_number")
    op.drop_index("ix_contract_lines_contract_id", table_name="contract_lines")
    op.drop_table("contract_lines")
    op.drop_index("ix_contracts_org_account", table_name="contracts")
    op.drop_table("contracts")
