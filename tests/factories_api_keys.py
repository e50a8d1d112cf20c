"""API keys straight in the database: a key's rows, its secret returned (tests of reading with a key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from guichet.domain import models
from guichet.domain.api_keys.rules import new_secret
from guichet.domain.models.api_keys import ApiKeyPermission
from tests.conftest import TEST_NOW


@dataclass
class Key:
    api_key_id: int
    secret: str


async def make_api_key(
    session: Any,
    org: models.Organisation,
    *,
    permissions: list[tuple[str, str, int | None]],
    name: str = "Reporting job",
    expires_at: datetime | None = None,
    revoked: bool = False,
    created_by: int | None = None,
    allowed_document_ids: list[str] | None = None,
) -> Key:
    """A key of `org` holding (module, action, billing account or None) rows."""
    secret, secret_hash, prefix = new_secret()
    key = models.ApiKey(
        organisation_id=org.id,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash,
        created_by_contact_id=created_by,
        created_at=TEST_NOW,
        expires_at=expires_at or TEST_NOW + timedelta(days=90),
        revoked_at=TEST_NOW if revoked else None,
        allowed_document_ids=allowed_document_ids,
    )
    session.add(key)
    await session.flush()
    for module, action, account in permissions:
        session.add(
            ApiKeyPermission(
                api_key_id=key.id, organisation_id=org.id, module=module, action=action, billing_account_id=account
            )
        )
    await session.flush()
    return Key(key.id, secret)
