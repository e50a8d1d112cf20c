"""Conventions enforced by tests, not review (GUIDE.md, "Conventions enforced by tools")."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Float, Numeric

from guichet.domain.models import Base
from guichet.policies.rules import ACTIONS, MODULES, ROLES
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
    "rate_buckets": "keyed by principal (a person, an API key or a client address)",
    "trusted_documents": "the deployment's documents, not an organisation's",
}
# Child tables reached only through a parent that carries organisation_id.
CHILD_TABLES = {
    "invoice_lines",
    "payment_invoices",
    "installments",
    "webhook_events",
    "idempotency_keys",
    "event_accounts",
}


def _imports(path: Path) -> set[str]:
    """Every module a file imports: module level, function level and TYPE_CHECKING alike."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(folder: str, refused: Callable[[str], bool], *, exempt: frozenset[str] = frozenset()) -> list[str]:
    root = PACKAGE / folder if folder else PACKAGE
    paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
    return [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in paths
        if str(path.relative_to(PACKAGE)) not in exempt
        for name in sorted(_imports(path))
        if refused(name)
    ]


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_domain_imports_no_graphql_layer() -> None:
    offenders = _offenders("domain", lambda name: _under(name, "strawberry", "guichet.schema", "guichet.resolvers"))
    assert offenders == []


def test_domain_uses_only_the_access_library_of_policies() -> None:
    # README "Architecture": domain/members writes access rows through policies/store.py and reads
    # the vocabulary and the engine; the request-time Authorizer and runtime sit above the domain.
    library = ("guichet.policies.rules", "guichet.policies.engine", "guichet.policies.store")
    offenders = _offenders(
        "domain",
        lambda name: _under(name, "guichet.policies") and not _under(name, *library) and name != "guichet.policies",
    )
    assert offenders == []


def test_policies_import_neither_resolvers_nor_schema() -> None:
    offenders = _offenders(
        "policies", lambda name: _under(name, "strawberry", "guichet.schema", "guichet.resolvers", "guichet.app_state")
    )
    assert offenders == []


def test_resolvers_import_neither_schema_nor_strawberry() -> None:
    # The one exception: resolvers/context.py defines `Info = strawberry.Info[Context, None]`.
    offenders = _offenders(
        "resolvers",
        lambda name: _under(name, "strawberry", "guichet.schema", "graphql"),
        exempt=frozenset({"resolvers/context.py"}),
    )
    context = _offenders("resolvers/context.py", lambda name: _under(name, "guichet.schema", "graphql"))
    assert offenders + context == []
    assert _imports(PACKAGE / "resolvers" / "context.py") & {"strawberry"} == {"strawberry"}


def test_settings_import_nothing_of_guichet() -> None:
    # One exception left: load_settings checks the service-request categories file's content
    # (tests/unit/test_service_request_categories.py); the support channels are checked by the app.
    exception = "guichet.domain.service_requests.categories"
    assert _offenders("settings.py", lambda name: _under(name, "guichet") and not _under(name, exception)) == []


def test_no_import_by_name_outside_migrations() -> None:
    # A missing module is an ImportError at start-up, never a silently absent route or command.
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE).parts
        and ("importlib" in _imports(path) or "import_module" in path.read_text() or "__import__(" in path.read_text())
    ]
    assert offenders == []


def test_resolvers_and_domain_name_modules_actions_and_roles_by_their_enums() -> None:
    vocabulary = set(MODULES) | set(ACTIONS) | set(ROLES)
    literals = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}"
        for folder in ("resolvers", "domain")
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in vocabulary
    ]
    assert literals == []


def test_the_app_serves_its_http_routes(app: Any) -> None:
    # Each route module is imported by name in server.py: renaming one fails at import, and a
    # route dropped from area_routes() fails here.
    paths = {route.path for route in app.routes}
    assert paths >= {
        "/graphql",
        "/healthz",
        "/readyz",
        "/graphiql/assets/{name}",
        "/metrics",
        "/invoices/{token}.pdf",
        "/webhooks/payments/{provider}",
    }


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
