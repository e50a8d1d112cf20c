"""Trusted documents: GraphQL documents known by id (`sha256:<hex of the body>`).

A manifest (Apollo's persisted-query manifest, `guichet documents import`) makes documents
trusted; Apollo's automatic persisted queries register documents that are known but not trusted.
An id is the hash of its body, so a stored document never changes: a manifest upgrades an
automatically registered one to trusted, and nothing else is ever updated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.api_keys import TrustedDocument

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
MANIFEST = "manifest"
AUTOMATIC = "apq"


class ManifestError(ValueError):
    """A manifest that cannot be loaded; the message names the faulty operation."""


def document_id(body: str) -> str:
    """`sha256:` + the hex SHA-256 of the body's UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ManifestOperation:
    document_id: str
    name: str | None
    body: str


def parse_manifest(text: str) -> list[ManifestOperation]:
    """The operations of an Apollo persisted-query manifest.

    Raise ManifestError for malformed JSON, another format or version, or an operation whose id
    is not the SHA-256 of its body.
    """
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(f"not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or data.get("version") != 1:
        raise ManifestError(f'not a manifest: expected "format": "{MANIFEST_FORMAT}", "version": 1')
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError('"operations" must be a list')
    found: list[ManifestOperation] = []
    for index, item in enumerate(operations):
        if not isinstance(item, dict) or not isinstance(item.get("body"), str) or not isinstance(item.get("id"), str):
            raise ManifestError(f"operations[{index}]: needs a string id and body")
        digest = hashlib.sha256(item["body"].encode("utf-8")).hexdigest()
        if item["id"].removeprefix("sha256:") != digest:
            raise ManifestError(f"operations[{index}] ({item.get('name') or 'unnamed'}): id does not match its body")
        found.append(ManifestOperation("sha256:" + digest, item.get("name"), item["body"]))
    return found


async def import_manifest(session: AsyncSession, operations: list[ManifestOperation], *, now: datetime) -> int:
    """Store the operations as trusted (in the caller's transaction); return how many were new or upgraded."""
    ids = [o.document_id for o in operations]
    existing = {
        row.document_id: row
        for row in (await session.scalars(select(TrustedDocument).where(TrustedDocument.document_id.in_(ids)))).all()
    }
    changed = 0
    for operation in {o.document_id: o for o in operations}.values():
        row = existing.get(operation.document_id)
        if row is None:
            session.add(
                TrustedDocument(
                    document_id=operation.document_id,
                    body=operation.body,
                    name=operation.name,
                    source=MANIFEST,
                    created_at=now,
                )
            )
            changed += 1
        elif row.source != MANIFEST:
            row.source, row.name = MANIFEST, operation.name
            changed += 1
    await session.flush()
    return changed


async def find(session: AsyncSession, document_id_value: str) -> TrustedDocument | None:
    return await session.get(TrustedDocument, document_id_value)


async def register_automatic(session: AsyncSession, body: str, *, now: datetime) -> None:
    """Remember a document sent with its APQ hash (known, not trusted); nothing when already known."""
    key = document_id(body)
    if await session.get(TrustedDocument, key) is None:
        session.add(TrustedDocument(document_id=key, body=body, name=None, source=AUTOMATIC, created_at=now))
        await session.flush()
