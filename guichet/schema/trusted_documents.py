"""Trusted documents and automatic persisted queries (OPERATIONS.md "Trusted documents").

Runs first, before the document is parsed:
- `documentId: "sha256:<hex>"` (GraphQL over HTTP) or Apollo's `extensions.persistedQuery.sha256Hash`
  without a query: the stored document runs; an unknown id answers PERSISTED_QUERY_NOT_FOUND.
- a hash sent with its query: the hash must match the query; Apollo's APQ registers it (known, not
  trusted) unless GUICHET_TRUSTED_DOCUMENTS=enforce.
- GUICHET_TRUSTED_DOCUMENTS: `off` runs any document; `log` runs any and logs those not in a manifest;
  `enforce` runs only manifest documents (OPERATION_NOT_ALLOWLISTED otherwise, GraphiQL's and
  introspection's included).
An API key's allowedDocumentIds narrow this further in every mode (schema/key_gate.py, after the
operation is priced).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from guichet.domain import trusted_documents as documents
from guichet.i18n import render

log = logging.getLogger("guichet.trusted_documents")

# Manifest documents seen by this process: trusted is final (an id is the hash of its body).
_TRUSTED_SEEN_LIMIT = 4096


def _error(context: Any, key: str, code: str) -> GraphQLError:
    return GraphQLError(render(key, getattr(context, "locale", "en")), extensions={"code": code})


class TrustedDocuments(SchemaExtension):
    """Resolve document ids and apply the trusted-documents mode (see the module docstring)."""

    trusted_seen: set[str] = set()

    def __init__(self, *, mode: str) -> None:
        self.mode = mode

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            await self._resolve()
        except GraphQLError:
            # Refused before the later extensions (CloseRequestSession among them) were entered.
            await self.execution_context.context.close()
            raise
        yield

    async def _resolve(self) -> None:
        execution = self.execution_context
        context = execution.context
        extensions = execution.operation_extensions or {}
        persisted = extensions.get("persistedQuery")
        apq_hash = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        asked = extensions.get("documentId")
        if isinstance(asked, str) or isinstance(apq_hash, str):
            wanted = asked if isinstance(asked, str) else "sha256:" + str(apq_hash).lower()
            if execution.query:
                if documents.document_id(execution.query) != wanted:
                    raise _error(context, "persisted_query_hash_mismatch", "PERSISTED_QUERY_HASH_MISMATCH")
                if isinstance(apq_hash, str) and self.mode != "enforce":
                    async with context.uow() as session:
                        await documents.register_automatic(session, execution.query, now=context.now())
            else:
                async with context.read() as session:
                    found = await documents.find(session, wanted)
                if found is None:
                    raise _error(context, "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_FOUND")
                execution.query = found.body
                if found.source == documents.MANIFEST:
                    self._remember(found.document_id)
        if not execution.query or self.mode == "off":
            return
        key = documents.document_id(execution.query)
        if key in self.trusted_seen:
            return
        async with context.read() as session:
            found = await documents.find(session, key)
        if found is not None and found.source == documents.MANIFEST:
            self._remember(key)
            return
        if self.mode == "enforce":
            raise _error(context, "OPERATION_NOT_ALLOWLISTED", "OPERATION_NOT_ALLOWLISTED")
        log.warning(
            "untrusted document %s operation=%s request_id=%s",
            key,
            execution.operation_name or "anonymous",
            getattr(context, "request_id", None),
        )

    def _remember(self, key: str) -> None:
        if len(self.trusted_seen) >= _TRUSTED_SEEN_LIMIT:
            self.trusted_seen.clear()
        self.trusted_seen.add(key)
