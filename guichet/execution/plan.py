"""Compile a validated query operation into completers: one closure per selection and type.

A completer takes (executor, value, path) and returns the completed JSON value, or a coroutine
when something below it had to be awaited (a resolver, a Deferred attribute). It raises Fallback
where graphql-core would record an error (null in a non-null position, a value the scalar cannot
serialise, a wrong object type): the executor then answers with graphql-core's own execution.

Covered: object types, lists, non-null, scalars and enums, `__typename`, fragments and inline
fragments (flattened once by graphql-core's own collect_fields), aliases, arguments and variables
(coerced per request exactly as graphql-core coerces them). Not covered, so the whole operation
goes to graphql-core: directives anywhere in the document (@skip/@include make the selection
depend on variables), introspection fields, executor middleware. Interfaces and unions are
completed by their runtime type's plan, compiled when the type is first met.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    GraphQLUnionType,
    OperationDefinitionNode,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, Visitor, visit
from graphql.pyutils import Path

from guichet.schema.rows import RowBacked

if TYPE_CHECKING:
    from guichet.execution.executor import FastExecutor

Completer = Callable[["FastExecutor", Any, "Path | None"], Any]

MIN_INT, MAX_INT = -(2**31), 2**31 - 1


class Unsupported(Exception):
    """The operation uses something the plan does not cover; graphql-core executes it."""


class Fallback(Exception):
    """Completion met what graphql-core reports as an error; graphql-core answers instead."""


def _later(awaitable: Awaitable[Any], complete: Completer, ex: FastExecutor, path: Path | None) -> Any:
    async def run() -> Any:
        result = complete(ex, await awaitable, path)
        if result.__class__ is CoroutineType:
            result = await result
        return result

    return run()


async def gather(values: list[Any], positions: list[Any]) -> None:
    """Await the coroutines at `positions` of `values` (a list or dict), in place.

    Every one is awaited to its end even when one fails, so nothing keeps running in the
    background while graphql-core re-executes the operation; the first failure is raised.
    """
    import asyncio

    if len(positions) == 1:
        values[positions[0]] = await values[positions[0]]
        return
    results = await asyncio.gather(*(values[p] for p in positions), return_exceptions=True)
    for position, result in zip(positions, results, strict=True):
        if isinstance(result, BaseException):
            raise result
        values[position] = result


class _DirectiveFinder(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.found = True


class Plan:
    """The compiled root selection of one operation."""

    __slots__ = ("operation", "root")

    def __init__(self, operation: OperationDefinitionNode, root: Completer) -> None:
        self.operation = operation
        self.root = root


def compile_operation(ex: FastExecutor) -> Plan:
    """The plan of the executor's operation; raise Unsupported for what graphql-core must run."""
    operation = ex.operation
    finder = _DirectiveFinder()
    visit(operation, finder)
    for details in ex.fragments.values():
        if details.variable_signatures:
            raise Unsupported("fragment arguments")
        visit(details.definition, finder)
    if finder.found:
        raise Unsupported("directives")
    root_type = ex.schema.get_root_type(operation.operation)
    if root_type is None:
        raise Unsupported("no root type")
    grouped = collect_fields(
        ex.schema, ex.fragments, ex.variable_values, root_type, operation, ex.hide_suggestions
    ).grouped_field_set
    compiler = _Compiler(ex)
    return Plan(operation, compiler.object_fields(root_type, grouped)[0])


class _Compiler:
    def __init__(self, ex: FastExecutor) -> None:
        self.ex = ex
        self.schema = ex.schema

    def output(
        self, return_type: GraphQLOutputType, details: list[FieldDetails], field: Any = None, depth: int = 0
    ) -> tuple[Completer, bool]:
        """(completer, whether anything below needs a path, i.e. calls a resolver).

        `field` is (field definition, parent type) of the field whose value this completes and
        `depth` the number of lists around this position (an abstract type's resolve_type gets
        the field's resolve info, whose path is the field's, not the list item's).
        """
        if isinstance(return_type, GraphQLNonNull):
            of_type = return_type.of_type
            if isinstance(of_type, (GraphQLScalarType, GraphQLEnumType)):
                return _leaf(of_type, non_null=True), False
            inner, needs_path = self.output(of_type, details, field, depth)
            if isinstance(of_type, GraphQLObjectType):
                return _object(of_type, inner.fields, non_null=True), needs_path  # type: ignore[attr-defined]
            return _non_null(inner), needs_path
        if isinstance(return_type, GraphQLList):
            inner, needs_path = self.output(return_type.of_type, details, field, depth + 1)
            return _list(inner, needs_path), needs_path
        if isinstance(return_type, (GraphQLScalarType, GraphQLEnumType)):
            return _leaf(return_type), False
        if isinstance(return_type, GraphQLObjectType):
            grouped = collect_subfields(
                self.schema,
                self.ex.fragments,
                self.ex.variable_values,
                self.ex.operation,
                return_type,
                details,
                self.ex.hide_suggestions,
            ).grouped_field_set
            fields, needs_path = self.object_fields(return_type, grouped)
            return _object(return_type, fields), needs_path
        if isinstance(return_type, (GraphQLInterfaceType, GraphQLUnionType)) and field is not None:
            return _abstract(return_type, details, field, depth), True
        raise Unsupported(f"abstract type {return_type}")

    def object_fields(self, parent: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> tuple[Any, bool]:
        """The completer of `parent`'s selected fields on a source value (without type checks)."""
        plans: list[tuple[Any, ...]] = []
        any_path = False
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                plans.append((key, 0, parent.name, None, False))
                continue
            if name.startswith("__"):
                raise Unsupported("introspection")
            field_def = self.schema.get_field(parent, name)
            if field_def is None:
                raise Unsupported(f"unknown field {name}")
            complete, needs_path = self.output(field_def.type, details, (field_def, parent))
            resolve = field_def.resolve
            definition = (field_def.extensions or {}).get("strawberry-definition")
            if getattr(resolve, "_is_default", False) and definition is not None:
                # Strawberry's basic field: its resolver is default_resolver(source, python_name).
                how = (definition.default_resolver, definition.python_name, _fast_class(field_def.type))
                plans.append((key, 1, how, complete, needs_path))
                any_path = any_path or needs_path
                continue
            resolver = resolve or self.ex.field_resolver
            if self.ex.middleware_manager:
                resolver = self.ex.middleware_manager.get_field_resolver(resolver)
            nodes = [d.node for d in details]
            call = (resolver, field_def, nodes, details[0], bool(field_def.args or details[0].node.arguments))
            plans.append((key, 2, call, complete, True))
            any_path = True
        return _generate(parent, tuple(plans)), any_path


def _fast_class(return_type: GraphQLOutputType) -> tuple[type | None, bool]:
    """(the class a value of this leaf type passes through unchanged as, whether null is allowed)."""
    nullable = not isinstance(return_type, GraphQLNonNull)
    inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if inner is GraphQLString or inner is GraphQLID:
        return str, nullable
    if inner is GraphQLBoolean:
        return bool, nullable
    return None, nullable


def _generate(parent: GraphQLObjectType, plans: tuple[tuple[Any, ...], ...]) -> Completer:
    """The completer of one object selection as straight-line Python (no loop, no dispatch).

    Each field is one attribute read, a class check that lets ready strings and booleans through
    as they are, and otherwise the field's completer; the result dict is filled in selection order.
    """
    names: dict[str, Any] = {"CO": CoroutineType, "Path": Path, "parent": parent, "parent_name": parent.name}
    names["_settle"] = _settle
    names["MISSING"] = _MISSING
    row_class, computes = _row_backed(parent)
    names["K"] = row_class
    lines = [
        "def complete_fields(ex, source, path):",
        "    result = {}",
        "    pending = None",
    ]
    if computes:
        # An instance of the RowBacked class itself: its row fields are computed here as its
        # __getattr__ would compute them (and kept on the instance the same way), one call less each.
        lines += [
            "    state = source.__dict__ if source.__class__ is K else None",
            "    row = state.get('_row', MISSING) if state is not None else MISSING",
        ]
    lines.append("    try:")
    for index, (key, kind, how, complete, needs_path) in enumerate(plans):
        k = repr(key)  # a GraphQL name or alias: [_A-Za-z][_0-9A-Za-z]*
        names[f"c{index}"] = complete
        if kind == 0:
            names[f"t{index}"] = how
            lines.append(f"        result[{k}] = t{index}")
            continue
        if kind == 1:
            getter, attribute, (fast, nullable) = how
            names[f"a{index}"] = attribute
            if getter is getattr and attribute.isidentifier() and not attribute.startswith("__"):
                read = f"source.{attribute}"
            else:
                names[f"g{index}"] = getter
                read = f"g{index}(source, a{index})"
            if getter is getattr and attribute in computes:
                names[f"r{index}"] = computes[attribute]
                lines += [
                    "        if row is MISSING:",
                    f"            v = {read}",
                    "        else:",
                    f"            v = state.get(a{index}, MISSING)",
                    "            if v is MISSING:",
                    f"                v = state[a{index}] = r{index}(row, source)",
                ]
            else:
                lines.append(f"        v = {read}")
            sub_path = f"Path(path, {k}, parent_name)" if needs_path else "None"
            if fast is not None:
                names[f"f{index}"] = fast
                ready = f"v.__class__ is f{index}" + (" or v is None" if nullable else "")
                lines.append(f"        if {ready}:")
                lines.append(f"            result[{k}] = v")
                lines.append("        else:")
                indent = "            "
            else:
                indent = "        "
            lines.append(f"{indent}v = c{index}(ex, v, {sub_path})")
        else:
            names[f"h{index}"] = how
            indent = "        "
            lines.append(
                f"{indent}v = ex.resolve_field(parent, source, h{index}, c{index}, Path(path, {k}, parent_name))"
            )
        lines.append(f"{indent}if v.__class__ is CO:")
        lines.append(f"{indent}    if pending is None:")
        lines.append(f"{indent}        pending = []")
        lines.append(f"{indent}    pending.append({k})")
        lines.append(f"{indent}result[{k}] = v")
    if not plans:
        lines.append("        pass")
    lines += [
        "    except Exception:",
        "        if pending is not None:",
        "            ex.abandoned.extend(result[key] for key in pending)",
        "        raise",
        "    if pending is not None:",
        "        return _settle(result, pending)",
        "    return result",
    ]
    code = compile("\n".join(lines), f"<plan {parent.name}>", "exec")
    exec(code, names)  # noqa: S102 - our own generated code, no input text in it
    return names["complete_fields"]  # type: ignore[no-any-return]


_MISSING = object()


def _row_backed(parent: GraphQLObjectType) -> tuple[type | None, dict[str, Any]]:
    """(the type's RowBacked class, its row fields' computations), or (None, {}) for other types."""
    definition = (parent.extensions or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type) or not issubclass(origin, RowBacked):
        return None, {}
    # A class attribute of that name (a default, a property) wins over __getattr__ in an ordinary
    # read: such a field is read the ordinary way.
    return origin, {name: compute for name, compute in origin._row_fields.items() if not hasattr(origin, name)}


async def _settle(container: Any, positions: list[Any]) -> Any:
    await gather(container, positions)
    return container


def _non_null(inner: Completer) -> Completer:
    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            raise Fallback("null in a non-null position")
        result = inner(ex, value, path)
        if result.__class__ is CoroutineType:
            return _checked(result)
        if result is None:
            raise Fallback("null in a non-null position")
        return result

    return complete


async def _checked(awaitable: Awaitable[Any]) -> Any:
    result = await awaitable
    if result is None:
        raise Fallback("null in a non-null position")
    return result


def _list(inner: Completer, needs_path: bool) -> Completer:
    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            return None
        cls = value.__class__
        if cls is not list and cls is not tuple:
            if ex.is_awaitable(value):
                return _later(value, complete, ex, path)
            raise Fallback("not a list or tuple")
        out = []
        pending: list[int] | None = None
        try:
            for index, item in enumerate(value):
                result = inner(ex, item, Path(path, index, None) if needs_path else None)
                if result.__class__ is CoroutineType:
                    if pending is None:
                        pending = []
                    pending.append(index)
                out.append(result)
        except Exception:
            if pending is not None:
                ex.abandoned.extend(out[i] for i in pending)
            raise
        if pending is not None:
            return _settle(out, pending)
        return out

    return complete


# The object types' classes -> whether their instances can be awaited (False for every plain type).
_AWAITABLE_CLASS: dict[type, bool] = {}

# Classes whose values are never awaitable: a leaf of one of them goes straight to its serializer.
_PLAIN = frozenset({str, int, float, bool, Decimal, date, datetime})


def _class_awaitable(cls: type) -> bool:
    """Whether instances of `cls` may be awaitable (`await` looks __await__ up on the class, so an
    instance of a class without one never is), generators too (a generator-based coroutine is)."""
    return hasattr(cls, "__await__") or issubclass(cls, (CoroutineType, GeneratorType))


def _leaf(return_type: GraphQLScalarType | GraphQLEnumType, *, non_null: bool = False) -> Completer:
    """A scalar or enum value; with non_null, null is graphql-core's error (so: Fallback)."""
    coerce = return_type.coerce_output_value
    exact: type | None = None
    if return_type is GraphQLString or return_type is GraphQLID:
        exact = str
    elif return_type is GraphQLBoolean:
        exact = bool
    is_int = return_type is GraphQLInt

    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            if non_null:
                raise Fallback("null in a non-null position")
            return None
        cls = value.__class__
        if cls is exact:
            return value
        if is_int and cls is int and MIN_INT <= value <= MAX_INT:
            return value
        if cls not in _PLAIN and not isinstance(value, Enum):
            if ex.is_awaitable(value):
                return _later(value, complete, ex, path)
            if isinstance(value, Exception):
                raise Fallback("an exception as a value")
        try:
            result = coerce(value)
        except Exception as error:
            raise Fallback("leaf coercion failed") from error
        if result is None or result is Undefined:
            raise Fallback("leaf coercion returned null")
        return result

    return complete


def _object(return_type: GraphQLObjectType, fields: Completer, *, non_null: bool = False) -> Completer:
    """An object value: is_type_of as graphql-core checks it, then its fields' completer."""
    is_type_of = return_type.is_type_of
    definition = (return_type.extensions or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    if isinstance(origin, type) and origin not in _AWAITABLE_CLASS:
        # `await` looks __await__ up on the class: instances of a class without one never are.
        _AWAITABLE_CLASS[origin] = _class_awaitable(origin)

    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            if non_null:
                raise Fallback("null in a non-null position")
            return None
        if is_type_of is not None:
            if not is_type_of(value, None):
                if ex.is_awaitable(value):
                    return _later(value, complete, ex, path)
                raise Fallback("is_type_of refused the value")
        else:
            awaitable = _AWAITABLE_CLASS.get(value.__class__)
            if awaitable is None:
                awaitable = _AWAITABLE_CLASS[value.__class__] = _class_awaitable(value.__class__)
            if awaitable and ex.is_awaitable(value):
                return _later(value, complete, ex, path)
        return fields(ex, value, path)

    complete.fields = fields  # type: ignore[attr-defined]
    return complete


def _abstract(
    return_type: GraphQLInterfaceType | GraphQLUnionType, details: list[FieldDetails], field: Any, depth: int
) -> Completer:
    """An interface or union value: its runtime type by resolve_type (given the field's info, as
    graphql-core gives it), then that type's completer, compiled on first sight of the type."""
    field_def, parent = field
    nodes = [d.node for d in details]
    by_type: dict[str, Completer] = {}

    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            return None
        if ex.is_awaitable(value):
            return _later(value, complete, ex, path)
        field_path = path
        for _ in range(depth):
            field_path = field_path.prev  # type: ignore[union-attr]
        info = ex.build_resolve_info(field_def, nodes, parent, field_path)  # type: ignore[arg-type]
        resolve_type = return_type.resolve_type or ex.type_resolver
        name = resolve_type(value, info, return_type)
        if not isinstance(name, str):
            raise Fallback("resolve_type gave no type name")
        completer = by_type.get(name)
        if completer is None:
            runtime_type = ex.schema.get_type(name)
            if not isinstance(runtime_type, GraphQLObjectType) or not ex.schema.is_sub_type(return_type, runtime_type):
                raise Fallback("resolve_type gave no possible object type")
            try:
                completer = _Compiler(ex).output(runtime_type, details)[0]
            except Unsupported as reason:
                raise Fallback(str(reason)) from None
            by_type[name] = completer
        return completer(ex, value, path)

    return complete


def arguments(ex: FastExecutor, call: tuple[Any, ...]) -> dict[str, Any]:
    """The field's coerced arguments, exactly as graphql-core's execute_field computes them."""
    _resolver, field_def, _nodes, first, has_args = call
    if not has_args:
        return {}
    return get_argument_values(
        field_def, first.node, ex.variable_values, first.fragment_variable_values, ex.hide_suggestions
    )
