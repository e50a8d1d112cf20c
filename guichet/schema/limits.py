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

Performance: bench/bench_fragment_bomb.py prints the refusal time of the bomb for 20 levels and more.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


@dataclass(frozen=True)
class Cost:
    """What a selection set weighs once its fragments are expanded."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(max(self.depth, other.depth), self.aliases + other.aliases, self.selections + other.selections)


NOTHING = Cost()


class _Measure:
    """Memoised costs of one document's fragments."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Cost] = {}
        self.measuring: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> Cost:
        total = NOTHING
        for selection in selection_set.selections if selection_set else ():
            total = total + self.selection(selection)
        return total

    def selection(self, selection: object) -> Cost:
        if isinstance(selection, FieldNode):
            inner = self.selection_set(selection.selection_set)
            counts_depth = selection.selection_set is not None and not selection.name.value.startswith("__")
            return Cost(
                depth=1 + inner.depth if counts_depth else 0,
                aliases=inner.aliases + (1 if selection.alias else 0),
                selections=inner.selections + 1,
            )
        if isinstance(selection, InlineFragmentNode):
            return self.selection_set(selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            return self.fragment(selection.name.value)
        return NOTHING

    def fragment(self, name: str) -> Cost:
        known = self.memo.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return NOTHING
        self.measuring.add(name)
        try:
            cost = self.selection_set(definition.selection_set)
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
