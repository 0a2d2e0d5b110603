"""The layer's build (layers/charging_sessions/Makefile, what ``sam build`` runs for SharedLayer) ships bytecode that
the interpreter uses as it is: an init on a read-only layer compiles nothing from source.

Built here for this machine's platform and Python, with pip from the package index (about ten seconds)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bytecode import ROOT, build_layer
from bench.cold_start import child_environment

pytestmark = pytest.mark.e2e

_FLAGS_UNCHECKED_HASH = 0b01  # PEP 552: hash-based, check_source off


@pytest.fixture(scope="module")
def layer_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_layer(sys.executable, tmp_path_factory.mktemp("layer"))


def test_every_module_has_unchecked_hash_bytecode_for_this_python(layer_site: Path) -> None:
    sources = [path for path in layer_site.rglob("*.py") if "bin" not in path.relative_to(layer_site).parts]
    assert len(sources) > 500  # Powertools, pydantic, botocore and the package, not an empty folder
    missing, checked = [], []
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        if not compiled.exists():
            missing.append(source)
            continue
        header = compiled.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, compiled
        if int.from_bytes(header[4:8], "little") != _FLAGS_UNCHECKED_HASH:
            checked.append(compiled)
    assert missing == []
    assert checked == []
    assert (layer_site / "charging_sessions" / "models.py").exists()


def test_init_from_the_built_layer_compiles_nothing_from_source(layer_site: Path) -> None:
    """As on Lambda, where /opt is read-only: no bytecode written, so whatever is compiled is compiled again at every
    cold start. The function's own two modules come from functions/, outside the layer."""
    code = (
        "import importlib._bootstrap_external as be, json, sys\n"
        "compiled = []\n"
        "original = be.SourceLoader.source_to_code\n"
        "def watch(self, data, path, *, _optimize=-1):\n"
        "    compiled.append(path)\n"
        "    return original(self, data, path, _optimize=_optimize)\n"
        "be.SourceLoader.source_to_code = watch\n"
        "import list_sessions.app\n"
        "print(json.dumps({'compiled': compiled, 'models': sys.modules['charging_sessions.models'].__file__}))\n"
    )
    environment = child_environment("http://127.0.0.1:9")
    environment.update(PYTHONPATH=f"{ROOT / 'functions'}{os.pathsep}{layer_site}", PYTHONDONTWRITEBYTECODE="1")
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-s", "-c", code], env=environment, capture_output=True, text=True, check=True, cwd=ROOT
    )
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    assert found["models"].startswith(str(layer_site))  # the layer's package, not the editable install
    compiled_in_layer = [path for path in found["compiled"] if path.startswith(str(layer_site))]
    assert compiled_in_layer == []
