"""Imports inside pipeline/ only go downward through the layers of docs/architecture.md."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
# Top-level module or subpackage of pipeline -> layer (docs/architecture.md, "Layers").
LAYERS = {
    "_text": 0, "_yaml": 0, "_factories": 0, "_provenance": 0, "errors": 0, "groups": 0,
    "actions": 0,
    "data": 1, "models": 1, "augment": 1, "learned_spans": 1, "learned_start": 1, "discovery": 1,
    "symmetrize": 1, "sympe": 1,
    "testing": 1,
    "space": 2, "trial": 2, "evaluation": 2,
    "store": 3, "analysis": 3,
    "sweep": 4,
    "cli": 5, "_cli_common": 5, "_cli_catalog": 5, "_cli_detect": 5, "_cli_sweep": 5,
    "_cli_store": 5,
    "_cli_best": 5, "api": 5,
}  # fmt: skip
# Heavy or distributed libraries a layer may not import (trial.py never imports ray).
FORBIDDEN = {0: {"ray", "dask"}, 1: {"ray", "dask"}, 2: {"ray", "dask"}, 3: {"ray"}}


def _component(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _component(p) != "__init__")


def test_every_module_has_a_layer():
    assert {_component(p) for p in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_downward(path):
    layer = LAYERS[_component(path)]
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "pipeline" and len(parts) > 1:
            assert LAYERS[parts[1]] <= layer, f"{path.name} (L{layer}) imports {name}"
        assert parts[0] not in FORBIDDEN.get(layer, set()), f"{path.name} imports {name}"
