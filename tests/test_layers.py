"""The rooms of pipeline/ and the doors between them (docs/architecture.md, "Layers"):

- imports only go downward through the layers, and Ray and Dask stay out of the lower ones;
- no import cycle anywhere (imports inside functions count, ``if TYPE_CHECKING:`` ones do not);
- nothing outside ``pipeline/<pkg>/`` imports ``pipeline.<pkg>._<name>`` (a private module) or a
  private name of another package: it imports what ``pipeline.<pkg>`` exports.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
# Layer -> the folders and modules directly in pipeline/ that stand on it.
LAYERS = {
    0: ["errors", "_util", "kinds", "groups", "actions"],
    1: ["data", "models", "methods", "discovery", "testing"],
    2: ["space", "trial"],
    3: ["store", "analysis"],
    4: ["sweep"],
    5: ["cli", "api"],
}
LAYER = {component: layer for layer, components in LAYERS.items() for component in components}
# Heavy or distributed libraries a layer may not import (a trial never imports ray).
FORBIDDEN = {0: {"ray", "dask"}, 1: {"ray", "dask"}, 2: {"ray", "dask"}, 3: {"ray"}}
# The package root is the facade: it names the API and loads it on first use (inside functions),
# so its imports point up by design and are no dependency of any layer.
FACADE = "pipeline"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _component(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(node: ast.AST, typing_too: bool) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, in functions too; ``typing_too``: also those
    under ``if TYPE_CHECKING:`` (their ``else:`` branch always counts)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append(child)
        elif _type_checking(child) and not typing_too:
            for branch in child.orelse:
                found += _import_nodes(ast.Module(body=[branch], type_ignores=[]), typing_too)
        else:
            found += _import_nodes(child, typing_too)
    return found


@cache
def _imports(module: str, typing_too: bool = True) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(module imported, names taken from it) for each import in ``module``: ``from pkg import
    sub`` is an import of the module ``pkg.sub`` where it is one; relative imports resolved."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in _import_nodes(ast.parse(path.read_text()), typing_too):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.append((sub, ()) if sub in MODULES else (base, (alias.name,)))
    return tuple(found)


def _edges(typing_too: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of pipeline it imports (the facade's lazy imports left out)."""
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = {name for name, _ in _imports(module, typing_too) if name in MODULES}
        graph[module] = set() if module == FACADE else targets - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _private_owner(module: str) -> str | None:
    """The package a private module belongs to (``pipeline.store`` for
    ``pipeline.store._writer``), None for a public one."""
    parts = module.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_module_has_a_layer():
    components = {_component(m) for m in MODULES} - {""}
    assert components <= set(LAYER), components - set(LAYER)


def test_few_modules_lie_loose_in_the_package():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= 8, loose


@pytest.mark.parametrize("module", sorted(set(MODULES) - {FACADE}))
def test_imports_go_downward(module):
    layer = LAYER[_component(module)]
    for name, _ in _imports(module):
        parts = name.split(".")
        if parts[0] == "pipeline" and len(parts) > 1:
            assert LAYER[parts[1]] <= layer, f"{module} (L{layer}) imports {name}"
        assert parts[0] not in FORBIDDEN.get(layer, set()), f"{module} imports {name}"


def test_no_import_cycles():
    assert _cycles(_edges()) == []


def test_the_cycle_test_sees_imports_inside_functions_and_skips_type_checking():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import typed\n"
        "def f():\n    import inside\n"
    )
    names = [a.name for n in _import_nodes(tree, typing_too=False) for a in n.names]
    assert names == ["TYPE_CHECKING", "inside"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_module_of_another_package_is_imported(module):
    for name, taken in _imports(module):
        if name not in MODULES:
            continue
        owner = _private_owner(name)
        assert owner is None or _inside(module, owner), f"{module} imports {name}"
        package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
        if not _inside(module, package):  # a private name of another package
            private = [n for n in taken if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{module} imports {private} from {name}"
