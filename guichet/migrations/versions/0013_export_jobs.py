"""export jobs

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("principal", sa.String(length=40), nullable=False),
        sa.Column("created_by_contact_id", ID, nullable=True),
        sa.Column("api_key_id", ID, nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("filter_summary", sa.String(length=500), nullable=False),
        sa.Column("account_ids", sa.JSON(), nullable=True),
        sa.Column("max_row_id", ID, nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("file_size", ID, nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("url_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_contact_id"], ["contacts.id"], name=op.f("fk_export_jobs_created_by_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_export_jobs_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
        sa.UniqueConstraint("organisation_id", "principal", "idempotency_key", name="uq_export_jobs_principal_key"),
    )
    op.create_index("ix_export_jobs_org_status", "export_jobs", ["organisation_id", "status"])
    op.create_index("ix_export_jobs_status_lease", "export_jobs", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_export_jobs_status_lease", table_name="export_jobs")
    op.drop_index("ix_export_jobs_org_status", table_name="export_jobs")
    op.drop_table("export_jobs")
