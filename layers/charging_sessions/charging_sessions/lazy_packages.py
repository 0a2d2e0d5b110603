"""Packages whose ``__init__`` imports far more than this function uses, made lazy at init.

Powertools' ``aws_lambda_powertools.event_handler`` imports every resolver it has when the package is imported:
AppSync's (which imports ``asyncio``), AppSync Events, Bedrock agents, VPC Lattice, function URLs. Its
``utilities.data_classes`` imports some forty event classes (SQS, S3, Kinesis, ...). This function uses one HTTP API
resolver and one event class, yet every cold start paid for all of them: about 15% of the function's init here
(``docs/performance.md``, "Cold start").

:func:`defer` puts a stand-in for such a package into ``sys.modules`` before anything imports it. The stand-in has
the package's own spec and ``__path__``, so its submodules import as they always do. Each name the package's
``__init__`` imports from a submodule is imported from that submodule on first use, so
``from aws_lambda_powertools.event_handler import Response`` gives the very object it always gave. A name the
stand-in does not know is looked up as a submodule, and failing that the real ``__init__`` runs (once) and
answers; ``__all__`` (a star import) also runs it. Nothing is copied from Powertools: which name lives where is
read from the installed package's own ``__init__``, so an upgrade that moves a name is followed.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Mapping
from typing import Any

DEFERRED = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")
"""The packages ``app.py`` defers before its first import."""


def exported_names(package: str, source: str) -> dict[str, str]:
    """Which module each name comes from, for every ``from ... import name`` at the top level of a package's
    ``__init__`` (``source``); relative imports resolved against ``package``."""
    where: dict[str, str] = {}
    for statement in ast.parse(source).body:
        if not isinstance(statement, ast.ImportFrom) or statement.level > 1:
            continue
        if statement.level == 1:
            module = f"{package}.{statement.module}" if statement.module else package
        else:
            module = statement.module or ""
        if module == package:
            continue  # ``from . import x``: x is a submodule, found as one
        for alias in statement.names:
            if alias.name != "*":
                where[alias.asname or alias.name] = module
    return where


class _Loading:
    """The real ``__init__`` of a deferred package, run at most once, when a name is asked that only it defines."""

    def __init__(self, module: types.ModuleType, spec: importlib.machinery.ModuleSpec) -> None:
        self._module = module
        self._spec = spec
        self._lock = threading.Lock()
        self._done = False

    def run(self) -> None:
        with self._lock:
            if not self._done and self._spec.loader is not None:
                self._done = True
                self._spec.loader.exec_module(self._module)


def _stand_in(package: str, spec: importlib.machinery.ModuleSpec, exports: Mapping[str, str]) -> types.ModuleType:
    module = importlib.util.module_from_spec(spec)
    real_init = _Loading(module, spec)

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook (PEP 562)
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        source = exports.get(name)
        if source is not None:
            value = getattr(importlib.import_module(source), name)
        elif name != "__all__" and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")
        else:
            real_init.run()
            if name not in module.__dict__:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            return module.__dict__[name]
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def defer(package: str) -> bool:
    """Put a lazy stand-in for ``package`` into ``sys.modules``; returns whether it did. Nothing happens when the
    package is already imported (the real one stays), or when its ``__init__`` cannot be read."""
    if package in sys.modules:
        return False
    spec = importlib.util.find_spec(package)  # imports the parents, not the package
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    try:
        source = spec.loader.get_source(package)  # type: ignore[attr-defined]
    except (ImportError, OSError):
        return False
    if not source:
        return False
    module = _stand_in(package, spec, exported_names(package, source))
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    setattr(sys.modules[parent], child, module)  # as the import system binds a submodule on its parent
    return True


def defer_all() -> None:
    """Defer every package in :data:`DEFERRED` (``app.py``, before its first import)."""
    for package in DEFERRED:
        defer(package)
