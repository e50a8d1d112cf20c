"""Conventions enforced by tests, not review (GUIDE.md, "Conventions enforced by tools")."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import Float, Numeric

from guichet.domain.models import Base
from guichet.schema.schema import schema

PACKAGE = Path(__file__).resolve().parent.parent / "guichet"

# Tables without organisation_id, each with the reason it needs none.
NOT_TENANT_TABLES = {
    "organisations": "the tenant itself",
    "people": "a login identity may belong to several organisations",
    "sessions": "belongs to a person",
    "one_time_tokens": "belongs to a person",
    "login_attempts": "throttling by e-mail, before anyone is known",
    "outbox_emails": "delivery queue",
    "casbin_rule": "the policy store carries the organisation as its domain",
    "alembic_version": "Alembic's own",
}
# Child tables reached only through a parent that carries organisation_id.
CHILD_TABLES = {"invoice_lines", "payment_invoices", "installments", "webhook_events", "idempotency_keys"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_no_graphql_layer() -> None:
    offenders = []
    for path in (PACKAGE / "domain").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] == "strawberry" or name.startswith(("guichet.schema", "guichet.resolvers")):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_policies_do_not_import_the_schema() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / "policies").rglob("*.py")
        for name in _imports(path)
        if name.startswith("guichet.schema") or name.split(".")[0] == "strawberry"
    ]
    assert offenders == []


def test_every_tenant_table_has_organisation_id() -> None:
    missing = [
        table.name
        for table in Base.metadata.sorted_tables
        if "organisation_id" not in table.columns
        and table.name not in NOT_TENANT_TABLES
        and table.name not in CHILD_TABLES
    ]
    assert missing == []


def test_no_float_or_numeric_column_anywhere() -> None:
    floats = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Float | Numeric)
    ]
    assert floats == []


def test_no_float_in_the_graphql_schema() -> None:
    assert "Float" not in schema.as_str()
