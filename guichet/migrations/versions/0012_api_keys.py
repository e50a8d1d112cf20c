"""api keys: keys (hashed secrets, rotation grace, expiry, revocation), their permissions, rate buckets, trusted documents

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_valid_until", WHEN, nullable=True),
        sa.Column("billing_account_id", ID, nullable=True),
        sa.Column("allowed_document_ids", sa.JSON(), nullable=True),
        sa.Column("created_by_contact_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("revoked_by_contact_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_api_keys_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_api_keys_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_contact_id"], ["contacts.id"], name=op.f("fk_api_keys_created_by_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_contact_id"], ["contacts.id"], name=op.f("fk_api_keys_revoked_by_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
        sa.UniqueConstraint("previous_secret_hash", name=op.f("uq_api_keys_previous_secret_hash")),
    )
    op.create_index("ix_api_keys_org_id", "api_keys", ["organisation_id", "id"])
    op.create_table(
        "api_key_permissions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("module", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("billing_account_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_permissions_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_key_permissions_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_api_key_permissions_billing_account_id_billing_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_permissions")),
        sa.UniqueConstraint("api_key_id", "module", "action", "billing_account_id", name="uq_api_key_permissions_row"),
    )
    op.create_index(op.f("ix_api_key_permissions_api_key_id"), "api_key_permissions", ["api_key_id"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("available_milli", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("last_allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    op.create_table(
        "trusted_documents",
        sa.Column("document_id", sa.String(length=71), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_trusted_documents")),
    )


def downgrade() -> None:
    op.drop_table("trusted_documents")
    op.drop_table("rate_buckets")
    op.drop_index(op.f("ix_api_key_permissions_api_key_id"), table_name="api_key_permissions")
    op.drop_table("api_key_permissions")
    op.drop_index("ix_api_keys_org_id", table_name="api_keys")
    op.drop_table("api_keys")
