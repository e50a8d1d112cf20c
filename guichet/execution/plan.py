"""Compile a validated query operation into completers: one closure per selection and type.

A completer takes (executor, value, path) and returns the completed JSON value, or a coroutine
when something below it had to be awaited (a resolver, a Deferred attribute). It raises Fallback
where graphql-core would record an error (null in a non-null position, a value the scalar cannot
serialise, a wrong object type): the executor then answers with graphql-core's own execution.

Covered: object types, lists, non-null, scalars and enums, `__typename`, fragments and inline
fragments (flattened once by graphql-core's own collect_fields), aliases, arguments and variables
(coerced per request exactly as graphql-core coerces them). Not covered, so the whole operation
goes to graphql-core: directives anywhere in the document (@skip/@include make the selection
depend on variables), interfaces and unions, introspection fields, executor middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import CoroutineType
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    OperationDefinitionNode,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, Visitor, visit
from graphql.pyutils import Path

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

    def output(self, return_type: GraphQLOutputType, details: list[FieldDetails]) -> tuple[Completer, bool]:
        """(completer, whether anything below needs a path, i.e. calls a resolver)."""
        if isinstance(return_type, GraphQLNonNull):
            inner, needs_path = self.output(return_type.of_type, details)
            return _non_null(inner), needs_path
        if isinstance(return_type, GraphQLList):
            inner, needs_path = self.output(return_type.of_type, details)
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
            complete, needs_path = self.output(field_def.type, details)
            resolve = field_def.resolve
            definition = (field_def.extensions or {}).get("strawberry-definition")
            if getattr(resolve, "_is_default", False) and definition is not None:
                # Strawberry's basic field: its resolver is default_resolver(source, python_name).
                plans.append((key, 1, (definition.default_resolver, definition.python_name), complete, needs_path))
                any_path = any_path or needs_path
                continue
            resolver = resolve or self.ex.field_resolver
            if self.ex.middleware_manager:
                resolver = self.ex.middleware_manager.get_field_resolver(resolver)
            nodes = [d.node for d in details]
            call = (resolver, field_def, nodes, details[0], bool(field_def.args or details[0].node.arguments))
            plans.append((key, 2, call, complete, True))
            any_path = True
        fields = tuple(plans)
        parent_name = parent.name

        def complete_fields(ex: FastExecutor, source: Any, path: Path | None) -> Any:
            result: dict[str, Any] = {}
            pending: list[str] | None = None
            try:
                for key, kind, how, complete, needs_path in fields:
                    if kind == 1:
                        getter, attribute = how
                        value = complete(
                            ex, getter(source, attribute), Path(path, key, parent_name) if needs_path else None
                        )
                    elif kind == 0:
                        value = how
                    else:
                        value = ex.resolve_field(parent, source, how, complete, Path(path, key, parent_name))
                    if value.__class__ is CoroutineType:
                        if pending is None:
                            pending = []
                        pending.append(key)
                    result[key] = value
            except Exception:
                if pending is not None:
                    ex.abandoned.extend(result[k] for k in pending)
                raise
            if pending is not None:
                return _settle(result, pending)
            return result

        return complete_fields, any_path


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


def _leaf(return_type: GraphQLScalarType | GraphQLEnumType) -> Completer:
    coerce = return_type.coerce_output_value
    exact: type | None = None
    if return_type is GraphQLString or return_type is GraphQLID:
        exact = str
    elif return_type is GraphQLBoolean:
        exact = bool

    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            return None
        if value.__class__ is exact:
            return value
        if return_type is GraphQLInt and value.__class__ is int and MIN_INT <= value <= MAX_INT:
            return value
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


def _object(return_type: GraphQLObjectType, fields: Completer) -> Completer:
    is_type_of = return_type.is_type_of

    def complete(ex: FastExecutor, value: Any, path: Path | None) -> Any:
        if value is None:
            return None
        if is_type_of is not None:
            if not is_type_of(value, None):
                if ex.is_awaitable(value):
                    return _later(value, complete, ex, path)
                raise Fallback("is_type_of refused the value")
        elif ex.is_awaitable(value):
            return _later(value, complete, ex, path)
        return fields(ex, value, path)

    return complete


def arguments(ex: FastExecutor, call: tuple[Any, ...]) -> dict[str, Any]:
    """The field's coerced arguments, exactly as graphql-core's execute_field computes them."""
    _resolver, field_def, _nodes, first, has_args = call
    if not has_args:
        return {}
    return get_argument_values(
        field_def, first.node, ex.variable_values, first.fragment_variable_values, ex.hide_suggestions
    )
