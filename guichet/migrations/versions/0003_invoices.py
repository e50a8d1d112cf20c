"""invoices: indexes for every ordering of the invoice list

Revision ID: 0003
Revises: 0002

Keyset pages ordered by total or number within one organisation read an index instead of
sorting every invoice of a large organisation. (Due and issue dates are covered by 0001.)
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_invoices_org_total", "invoices", ["organisation_id", "total_minor", "id"])
    op.create_index("ix_invoices_org_number", "invoices", ["organisation_id", "number"])


def downgrade() -> None:
    op.drop_index("ix_invoices_org_number", table_name="invoices")
    op.drop_index("ix_invoices_org_total", table_name="invoices")
