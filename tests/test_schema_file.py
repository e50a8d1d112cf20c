"""The committed schema.graphql is the served schema, and it names everything of the contract."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as build_sdl

from guichet.schema.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_equals_served_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "run `make schema` and commit schema.graphql"


def test_every_type_and_field_has_a_description() -> None:
    served = build_sdl(schema.as_str())
    missing = []
    for name, graphql_type in served.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []


def test_every_argument_has_a_description() -> None:
    served = build_sdl(schema.as_str())
    missing = [
        f"{name}.{field_name}({argument_name})"
        for name, graphql_type in served.type_map.items()
        if not name.startswith("__")
        for field_name, field in getattr(graphql_type, "fields", {}).items()
        for argument_name, argument in getattr(field, "args", {}).items()
        if not argument.description
    ]
    assert missing == []


def test_page_sizes_are_described_with_their_real_bounds() -> None:
    served = build_sdl(schema.as_str())
    first = served.get_type("Organisation").fields["invoices"].args["first"]  # type: ignore[union-attr]
    assert first.description == "How many items to return: 1–100, default 20; more is refused (VALIDATION)."
