"""Operation shape limits (SEC-01, SEC-02, SEC-03) in one validation rule, linear in the document.

Three numbers per operation, counted as execution would expand the document:

- depth: nested fields that have a selection set (introspection fields `__*` do not count), as
  Strawberry's QueryDepthLimiter counts it; over the limit: "'<operation>' exceeds maximum operation
  depth of N", located at the first field past the limit;
- aliases: every aliased field, each fragment counted as many times as it is spread, summed over the
  document: "N aliases found. Allowed: M";
- selections: every field once fragments are expanded: "'<operation>' selects N fields once fragments
  are expanded. Allowed: M".

Strawberry's own limiters re-walk a fragment at each spread, so `{ ...F0 }` with
`fragment Fi on Query { ...F(i+1) ...F(i+1) }` (830 bytes for 20 levels) costs 2^20 visits and
blocks the worker for seconds. Here each fragment is measured once and memoised, so the cost is
linear in the document; the expanded counts are plain integers however large they grow, and the
selection limit refuses such a bomb before execution ever expands it.

Cycles are NoFragmentCyclesRule's to report: a spread back into a fragment being measured counts
nothing here, and an unknown fragment counts nothing (KnownFragmentNamesRule reports it).

The same walk prices an operation (OPERATIONS.md "Cost"; schema/cost.py applies it) when given the
schema and the request's variables: `points` is the cost of each selection, each fragment priced
once against its type condition. Object fields cost 1 plus their selection, connections 1 plus
`first` (default 20) times their node's selection (edges and node cost nothing of their own),
scalars, enums, pageInfo, `__*` and `rateLimit` nothing, a mutation's root field 10 plus its
selection. The variables the price depends on (those given as `first`) are recorded, so a price
can be cached by document and those values only.

Performance: bench/bench_fragment_bomb.py prints the refusal time of the bomb for 20 levels and more;
bench/bench_cost.py the pricing overhead per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_composite_type,
)

DEFAULT_FIRST = 20
MUTATION_FIELD_COST = 10
FREE_FIELDS = frozenset({"pageInfo", "rateLimit"})


@dataclass(frozen=True)
class Cost:
    """What a selection set weighs once its fragments are expanded."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0
    points: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.selections + other.selections,
            self.points + other.points,
        )


NOTHING = Cost()


class _Measure:
    """Memoised costs of one document's fragments (priced too when given the schema and variables)."""

    def __init__(
        self,
        fragments: dict[str, FragmentDefinitionNode],
        schema: GraphQLSchema | None = None,
        variables: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.fragments = fragments
        self.memo: dict[str, Cost] = {}
        self.measuring: set[str] = set()
        self.schema = schema
        self.variables = variables or {}
        self.defaults = defaults or {}
        self.first_variables: set[str] = set()  # the variables the price depends on

    def selection_set(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None = None) -> Cost:
        total = NOTHING
        for selection in selection_set.selections if selection_set else ():
            total = total + self.selection(selection, parent)
        return total

    def selection(self, selection: object, parent: GraphQLNamedType | None = None) -> Cost:
        if isinstance(selection, FieldNode):
            returned = self._returned(parent, selection.name.value)
            inner = self.selection_set(selection.selection_set, returned)
            counts_depth = selection.selection_set is not None and not selection.name.value.startswith("__")
            return Cost(
                depth=1 + inner.depth if counts_depth else 0,
                aliases=inner.aliases + (1 if selection.alias else 0),
                selections=inner.selections + 1,
                points=self._points(selection, parent, returned, inner.points),
            )
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            typed = self.schema.get_type(condition.name.value) if self.schema and condition else parent
            return self.selection_set(selection.selection_set, typed)
        if isinstance(selection, FragmentSpreadNode):
            return self.fragment(selection.name.value)
        return NOTHING

    def _returned(self, parent: GraphQLNamedType | None, name: str) -> GraphQLNamedType | None:
        fields = getattr(parent, "fields", None)
        field = fields.get(name) if fields else None
        return get_named_type(field.type) if field is not None else None

    def _points(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        returned: GraphQLNamedType | None,
        inner: int,
    ) -> int:
        """The price of one field given its selection's price (OPERATIONS.md "Cost")."""
        name = node.name.value
        if returned is None or not is_composite_type(returned) or name.startswith("__") or name in FREE_FIELDS:
            return 0
        parent_name = parent.name if parent is not None else ""
        if (parent_name.endswith("Connection") and name == "edges") or (
            parent_name.endswith("Edge") and name == "node"
        ):
            return inner  # part of their connection's price
        if self.schema is not None and parent is self.schema.mutation_type:  # a root field: Mutation is only there
            return MUTATION_FIELD_COST + inner
        if returned.name.endswith("Connection"):
            return 1 + self._first(node) * inner
        return 1 + inner

    def _first(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                self.first_variables.add(value.name.value)
                given = self.variables.get(value.name.value, self.defaults.get(value.name.value))
                return max(given, 0) if isinstance(given, int) and not isinstance(given, bool) else DEFAULT_FIRST
        return DEFAULT_FIRST

    def fragment(self, name: str) -> Cost:
        known = self.memo.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return NOTHING
        self.measuring.add(name)
        typed = self.schema.get_type(definition.type_condition.name.value) if self.schema else None
        try:
            cost = self.selection_set(definition.selection_set, typed)
        finally:
            self.measuring.discard(name)
        self.memo[name] = cost
        return cost

    def too_deep(self, selection_set: SelectionSetNode | None, allowed: int) -> FieldNode | None:
        """The first field on a path deeper than `allowed`; follows one path, so linear too."""
        for selection in selection_set.selections if selection_set else ():
            if self.selection(selection).depth <= allowed:
                continue
            if isinstance(selection, FieldNode):
                if allowed == 0:
                    return selection
                return self.too_deep(selection.selection_set, allowed - 1)
            if isinstance(selection, InlineFragmentNode):
                return self.too_deep(selection.selection_set, allowed)
            if isinstance(selection, FragmentSpreadNode):
                return self.too_deep(self.fragments[selection.name.value].selection_set, allowed)
        return None


def operation_limits_rule(*, max_depth: int, max_aliases: int, max_selections: int) -> type[ValidationRule]:
    """A validation rule class enforcing the three limits (built once per schema: see schema.py)."""

    class OperationLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            measure = _Measure({d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)})
            aliases = 0
            for operation in definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                name = operation.name.value if operation.name else "anonymous"
                cost = measure.selection_set(operation.selection_set)
                aliases += cost.aliases
                if cost.depth > max_depth:
                    node = measure.too_deep(operation.selection_set, max_depth)
                    context.report_error(
                        GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node or operation)
                    )
                if cost.selections > max_selections:
                    context.report_error(
                        GraphQLError(
                            f"'{name}' selects {cost.selections} fields once fragments are expanded. "
                            f"Allowed: {max_selections}",
                            operation,
                        )
                    )
            if aliases > max_aliases:
                context.report_error(GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}"))

    return OperationLimitsRule


def operation_price(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
) -> tuple[int, frozenset[str]]:
    """(price, variables the price depends on) of one validated operation: one linear walk."""
    defaults = {
        d.variable.name.value: getattr(d.default_value, "value", None) for d in operation.variable_definitions or ()
    }
    defaults = {k: int(v) for k, v in defaults.items() if isinstance(v, str) and v.lstrip("-").isdigit()}
    root_type = schema.get_root_type(operation.operation)
    measure = _Measure(fragments, schema, variables, defaults)
    cost = measure.selection_set(operation.selection_set, root_type)
    return cost.points, frozenset(measure.first_variables)
