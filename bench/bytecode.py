"""What shipping bytecode in the layer saves at init: the layer as ``BuildMethod python3.12`` ships it (sources only)
against the layer as ``layers/charging_sessions/Makefile`` builds it (unchecked-hash ``.pyc``), side by side.

Both layers are built here by the layer's own Makefile, for this machine's platform and Python (so the wheels
import); the sources-only one is the same tree with its bytecode removed. Each child is a fresh interpreter with
``PYTHONDONTWRITEBYTECODE=1`` (Lambda's ``/opt`` is read-only: nothing compiled at one cold start survives to the
next) and ``-s`` (no user site), importing the function from ``functions/`` with the layer first on its path, as
Lambda's init does. The bare baseline imports boto3 and builds a DynamoDB client, with boto3 installed and compiled
as the Lambda runtime ships it. Runs alternate (drift hits each variant alike); medians and paired ratios print.

``make bench-bytecode``; needs the package index (pip) and takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.cold_start import child_environment

ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = ROOT / "layers" / "charging_sessions"
FUNCTION_CODE = "import list_sessions.app"
BARE_CODE = "import boto3\nboto3.client('dynamodb')"


def local_platform() -> str:
    """The manylinux tag of this machine, so the wheels the Makefile fetches import here."""
    return f"manylinux2014_{os.uname().machine}"


def build_layer(python: str, into: Path) -> Path:
    """The layer's own build target, run as sam build runs it; returns its python/ folder."""
    subprocess.run(  # noqa: S603 - our own Makefile
        [  # noqa: S607 - make from PATH, as sam build runs it
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER_SOURCE),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={into}",
            f"PYTHON={python}",
            f"PLATFORM={local_platform()}",
            f"RUNTIME_VERSION={version_of(python)}",
        ],
        check=True,
    )
    return into / "python"


def version_of(python: str) -> str:
    completed = subprocess.run(  # noqa: S603 - the interpreter named on the command line
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def strip_bytecode(site: Path, into: Path) -> Path:
    shutil.copytree(site, into, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def install_boto3(python: str, into: Path) -> Path:
    """boto3 as the Lambda runtime has it: installed and compiled."""
    subprocess.run(  # noqa: S603 - pip of the interpreter named on the command line
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(into), "boto3"],
        check=True,
    )
    return into


def timed_child(python: str, code: str, path: list[Path], environment: dict[str, str]) -> float:
    """Milliseconds from spawn to the end of ``code`` in a fresh interpreter."""
    env = dict(environment, PYTHONPATH=os.pathsep.join(str(entry) for entry in path), PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    subprocess.run([python, "-s", "-c", code], env=env, check=True, cwd=ROOT)  # noqa: S603 - our own code
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter the layer is built for and run by")
    parser.add_argument("--repetitions", type=int, default=15)
    arguments = parser.parse_args()
    environment = child_environment("http://127.0.0.1:9")  # init makes no call: the endpoint is never reached
    environment.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as scratch:
        work = Path(scratch)
        compiled = build_layer(arguments.python, work / "compiled")
        sources_only = strip_bytecode(compiled, work / "sources-only")
        boto3_site = install_boto3(arguments.python, work / "boto3")
        functions = ROOT / "functions"
        variants = {
            "bare (boto3 + client)": (BARE_CODE, [boto3_site]),
            "layer without bytecode": (FUNCTION_CODE, [functions, sources_only]),
            "layer with bytecode": (FUNCTION_CODE, [functions, compiled]),
        }
        for code, path in variants.values():  # page cache; not counted
            timed_child(arguments.python, code, path, environment)
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(arguments.repetitions):
            for name, (code, path) in variants.items():
                runs[name].append(timed_child(arguments.python, code, path, environment))
    bare = runs["bare (boto3 + client)"]
    print(f"init of a fresh interpreter, {arguments.repetitions} alternating runs, {version_of(arguments.python)}")
    for name, samples in runs.items():
        ratio = statistics.median(ms / floor for ms, floor in zip(samples, bare, strict=True))
        print(f"  {name:24s} median {statistics.median(samples):7.1f} ms   x bare (paired median) {ratio:5.2f}")
    saved = statistics.median(
        a - b for a, b in zip(runs["layer without bytecode"], runs["layer with bytecode"], strict=True)
    )
    print(f"  bytecode saves {saved:.1f} ms of each cold start (paired median)")


if __name__ == "__main__":
    main()
