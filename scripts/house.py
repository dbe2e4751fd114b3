"""The shape of the house (DESIGN §3), measured from the code's own imports.

    python scripts/house.py          # a report; exit 1 if a rule is broken

Counts the modules under trygg/ and bench/ (tests and migrations left out) and checks:
- no import circles, counting every import: function-local and type-only ones too;
- nothing in trygg/lib imports above lib, nothing in trygg/core imports an app (the
  registries beside them, trygg/worker.py, are floors of their own and fine to use);
- no module over 800 lines;
- no app over 20% of the lines.

tests/test_house.py runs the same checks in `make test`.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 800
MAX_APP_SHARE = 0.20
# What core and lib may import from the project: their own floors and the registries.
GROUND = {
    "trygg.lib": ("trygg.lib",),
    "trygg.core": ("trygg.lib", "trygg.core", "trygg.worker"),
}


def counted_files(root: Path = ROOT) -> Iterator[Path]:
    for top in ("trygg", "bench"):
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield path


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST, name: str, is_package: bool, modules: set[str]) -> Iterator[str]:
    """Every project module `name` imports, wherever the import stands. `from pkg import
    mod` counts as an import of `pkg.mod`, not of the package's `__init__`."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in modules else source


@dataclass
class House:
    lines: dict[str, int] = field(default_factory=dict)
    edges: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path = ROOT) -> House:
        house = cls()
        trees = {}
        for path in counted_files(root):
            name = module_name(path, root)
            text = path.read_text(encoding="utf-8")
            house.lines[name] = len(text.splitlines())
            trees[name] = (ast.parse(text, str(path)), path.name == "__init__.py")
        for name, (tree, is_package) in trees.items():
            targets = set()
            for imported in _imports(tree, name, is_package, set(trees)):
                if imported in house.lines and imported != name:
                    targets.add(imported)
            house.edges[name] = targets
        return house

    def circles(self) -> list[list[str]]:
        """Strongly connected components of more than one module (Tarjan)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        counter = 0

        def visit(node: str) -> None:
            nonlocal counter
            index[node] = low[node] = counter
            counter += 1
            stack.append(node)
            on_stack.add(node)
            for target in sorted(self.edges[node]):
                if target not in index:
                    visit(target)
                    low[node] = min(low[node], low[target])
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

        sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
        for node in sorted(self.edges):
            if node not in index:
                visit(node)
        return found

    def upward_imports(self) -> list[tuple[str, str]]:
        """Imports from trygg/lib or trygg/core to a floor above them."""
        wrong = []
        for source, targets in sorted(self.edges.items()):
            for floor, allowed in GROUND.items():
                if source == floor or source.startswith(floor + "."):
                    wrong += [
                        (source, target)
                        for target in sorted(targets)
                        if not any(target == a or target.startswith(a + ".") for a in allowed)
                    ]
        return wrong

    def long_modules(self) -> list[tuple[str, int]]:
        return sorted(
            ((name, n) for name, n in self.lines.items() if n > MAX_MODULE_LINES),
            key=lambda item: -item[1],
        )

    def app_shares(self) -> list[tuple[str, float]]:
        """Each app's (trygg/<app>/) share of all counted lines, largest first."""
        total = sum(self.lines.values())
        per_app: Counter[str] = Counter()
        for name, n in self.lines.items():
            parts = name.split(".")
            # trygg.<app>.<module> or the app's own __init__; not trygg/<module>.py.
            if parts[0] == "trygg" and len(parts) > 1 and (len(parts) > 2 or _is_package(name)):
                per_app[parts[1]] += n
        return [(app, n / total) for app, n in per_app.most_common()]


def _is_package(name: str) -> bool:
    return (ROOT / Path(*name.split(".")) / "__init__.py").exists()


def problems(house: House) -> Iterable[str]:
    for circle in house.circles():
        yield "import circle: " + " -> ".join(circle)
    for source, target in house.upward_imports():
        yield f"{source} imports {target}, a floor above it"
    for name, n in house.long_modules():
        yield f"{name} has {n} lines (at most {MAX_MODULE_LINES})"
    for app, share in house.app_shares():
        if share > MAX_APP_SHARE:
            yield f"trygg/{app}/ holds {share:.1%} of the lines (at most {MAX_APP_SHARE:.0%})"


def main() -> int:
    house = House.read()
    total = sum(house.lines.values())
    print(f"{len(house.lines)} modules, {total} lines under trygg/ and bench/")
    for app, share in house.app_shares():
        print(f"  trygg/{app + '/':<16}{share:6.1%}")
    found = list(problems(house))
    for problem in found:
        print("✗", problem)
    if not found:
        print("The house holds: no circles, nothing importing upwards, no module or app too big.")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
