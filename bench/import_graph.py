"""Print the import graph between Guichet's layers, its cycles and its back-up arrows.

Layers, top to bottom: schema -> resolvers -> policies -> domain. An arrow from a lower layer
to a higher one (resolvers -> schema, domain -> policies...) is a back-up arrow. Every import
counts, including function-level and TYPE_CHECKING ones.

    .venv/bin/python bench/import_graph.py [PACKAGE_DIR]   # default: this checkout's guichet/
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

PACKAGE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "guichet"
LAYERS = ("schema", "resolvers", "policies", "domain")
RANK = {name: i for i, name in enumerate(LAYERS)}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "guichet" and parts[1] in RANK:
        return parts[1]
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside `if TYPE_CHECKING:` blocks."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return found


def imports(path: Path, *, runtime_only: bool = False) -> list[str]:
    found: list[str] = []
    base = module_name(path).split(".")
    tree = ast.parse(path.read_text())
    skipped = _type_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join(prefix + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(module)
            found.extend(f"{module}.{alias.name}" for alias in node.names)
    return found


def graph(*, runtime_only: bool) -> dict[str, set[str]]:
    modules: dict[str, set[str]] = {}
    files = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    for name, path in files.items():
        targets = set()
        for target in imports(path, runtime_only=runtime_only):
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        modules[name] = targets
    return modules


def main() -> int:
    modules = graph(runtime_only=False)
    print("Every import counts (module level, function level and TYPE_CHECKING).")
    layer_edges: Counter[tuple[str, str]] = Counter()
    back_up: list[tuple[str, str]] = []
    for source, targets in modules.items():
        for target in targets:
            a, b = layer_of(source), layer_of(target)
            if a and b and a != b:
                layer_edges[(a, b)] += 1
                if RANK[b] < RANK[a]:
                    back_up.append((source, target))
    print("layer graph (module-level arrows):")
    for (a, b), count in sorted(layer_edges.items()):
        mark = "  BACK-UP" if RANK[b] < RANK[a] else ""
        print(f"  {a:9} -> {b:9} {count:3}{mark}")
    layer_cycles = [(a, b) for (a, b) in layer_edges if a < b and (b, a) in layer_edges]
    print(f"layer circles (pairs importing each other): {len(layer_cycles)} {sorted(layer_cycles)}")
    print(f"back-up arrows (layer pairs): {sum(1 for (a, b) in layer_edges if RANK[b] < RANK[a])}")
    print(f"back-up arrows (module -> module): {len(back_up)}")
    for source, target in sorted(back_up):
        print(f"    {source} -> {target}")
    # Strongly connected components of the module graph (Tarjan).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []
    counter = [0]
    runtime_pass = [False]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in modules.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    print(f"module import cycles (strongly connected groups of 2+ modules): {len(sccs)}")
    for comp in sccs:
        print(f"    {len(comp)} modules: {', '.join(comp)}")
    if not runtime_pass[0]:
        runtime_pass[0] = True
        modules = graph(runtime_only=True)
        index.clear()
        low.clear()
        sccs.clear()
        for v in sorted(modules):
            if v not in index:
                visit(v)
        print(f"runtime import cycles (TYPE_CHECKING imports left out): {len(sccs)}")
        for comp in sccs:
            print(f"    {len(comp)} modules: {', '.join(comp)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
