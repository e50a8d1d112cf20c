"""service requests: requests, lines, status history, comments, attachments, webhook events, category hours

Revision ID: 0009
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "service_request_category_settings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=True),
        sa.Column("resolution_hours", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_request_category_settings_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_category_settings")),
        sa.UniqueConstraint(
            "organisation_id", "category", name=op.f("uq_service_request_category_settings_organisation_id_category")
        ),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("number", sa.String(length=11), nullable=False),
        sa.Column("billing_account_id", ID, nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("invoice_id", ID, nullable=True),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("contract_id", ID, nullable=True),
        sa.Column("related_request_id", ID, nullable=True),
        sa.Column("created_by_contact_id", ID, nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_code", sa.String(length=50), nullable=True),
        sa.Column("resolution_summary", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("response_hours", sa.Integer(), nullable=True),
        sa.Column("resolution_hours", sa.Integer(), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_service_requests_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_contact_id"], ["contacts.id"], name=op.f("fk_service_requests_created_by_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_service_requests_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_service_requests_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["related_request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_requests_related_request_id_service_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
        sa.UniqueConstraint("created_by_contact_id", "idempotency_key", name="uq_service_requests_creator_key"),
        sa.UniqueConstraint("number", name=op.f("uq_service_requests_number")),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index("ix_service_requests_org_id", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_service_requests_status_changed", ["status", "status_changed_at"], unique=False)

    op.create_table(
        "service_request_comments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("service_request_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_contact_id", ID, nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("from_support", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_contact_id"], ["contacts.id"], name=op.f("fk_service_request_comments_author_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_request_comments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_request_comments_service_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_comments")),
    )
    with op.batch_alter_table("service_request_comments", schema=None) as batch_op:
        batch_op.create_index("ix_service_request_comments_request", ["service_request_id", "id"], unique=False)

    op.create_table(
        "service_request_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("service_request_id", ID, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_request_events_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_request_events_service_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_service_request_events_event_id")),
    )
    with op.batch_alter_table("service_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_events_service_request_id"), ["service_request_id"], unique=False
        )

    op.create_table(
        "service_request_lines",
        sa.Column("service_request_id", ID, nullable=False),
        sa.Column("line_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["lines.id"], name=op.f("fk_service_request_lines_line_id_lines")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_request_lines_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_request_lines_service_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_request_id", "line_id", name=op.f("pk_service_request_lines")),
    )
    with op.batch_alter_table("service_request_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_request_lines_line_id"), ["line_id"], unique=False)

    op.create_table(
        "service_request_status_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("service_request_id", ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_contact_id", ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_contact_id"], ["contacts.id"], name=op.f("fk_service_request_status_changes_by_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_service_request_status_changes_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_request_status_changes_service_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_status_changes")),
    )
    with op.batch_alter_table("service_request_status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_service_request_status_changes_request", ["service_request_id", "id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("uploaded_by_contact_id", ID, nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("service_request_id", ID, nullable=True),
        sa.Column("comment_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["service_request_comments.id"],
            name=op.f("fk_attachments_comment_id_service_request_comments"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_attachments_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_requests.id"],
            name=op.f("fk_attachments_service_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_contact_id"], ["contacts.id"], name=op.f("fk_attachments_uploaded_by_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachments_org_id", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_attachments_request", ["service_request_id"], unique=False)
        batch_op.create_index("ix_attachments_unattached", ["service_request_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_unattached")
        batch_op.drop_index("ix_attachments_request")
        batch_op.drop_index("ix_attachments_org_id")

    op.drop_table("attachments")
    with op.batch_alter_table("service_request_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_service_request_status_changes_request")

    op.drop_table("service_request_status_changes")
    with op.batch_alter_table("service_request_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_lines_line_id"))

    op.drop_table("service_request_lines")
    with op.batch_alter_table("service_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_events_service_request_id"))

    op.drop_table("service_request_events")
    with op.batch_alter_table("service_request_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_service_request_comments_request")

    op.drop_table("service_request_comments")
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_service_requests_status_changed")
        batch_op.drop_index("ix_service_requests_org_id")

    op.drop_table("service_requests")
    op.drop_table("service_request_category_settings")
