"""What `sam build` ships to Lambda (the functions' CodeUri and the layer's ContentUri) is runtime code only:
none of it imports the local toolkit or what only the toolkit needs, and no layer module loads the function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from local_toolkit.template_table import load_template
from tests.conftest import ROOT

TOOLKIT_ONLY = {"local_toolkit", "http", "argparse", "yaml", "moto", "socketserver", "subprocess"}
DYNAMIC_IMPORTS = {"lazy_packages.py"}
"""The one shipped module that imports by name: the submodules of the Powertools packages it defers, never the
function (tests/unit/test_lazy_packages.py)."""


def shipped_folders() -> list[Path]:
    resources = load_template()["Resources"].values()
    uris = [r["Properties"].get("CodeUri") or r["Properties"].get("ContentUri") for r in resources]
    return [ROOT / uri for uri in uris if isinstance(uri, str)]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def shipped_modules() -> list[Path]:
    return sorted(path for folder in shipped_folders() for path in folder.rglob("*.py"))


def test_the_shipped_folders_are_the_functions_and_the_layer() -> None:
    assert {path.relative_to(ROOT).as_posix().rstrip("/") for path in shipped_folders()} == {
        "functions/list_sessions",
        "functions/check_counters",
        "layers/charging_sessions",
    }
    assert not any("local_toolkit" in path.parts for path in shipped_modules())


@pytest.mark.parametrize("module", shipped_modules(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_shipped_modules_import_nothing_of_the_toolkit(module: Path) -> None:
    roots = {name.split(".")[0] for name in imported_modules(module)}
    assert not roots & TOOLKIT_ONLY, sorted(roots & TOOLKIT_ONLY)
    if module.name not in DYNAMIC_IMPORTS:
        assert "importlib" not in roots
    if "layers" in module.relative_to(ROOT).parts:
        assert "list_sessions" not in roots  # the layer never loads the function
        assert module.name in DYNAMIC_IMPORTS or "import_module" not in module.read_text(encoding="utf-8")
