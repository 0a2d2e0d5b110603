"""The lazy stand-ins for Powertools' ``event_handler`` and ``data_classes`` packages: the same objects under the same
names as the real packages, submodules as usual, AttributeError for what the package does not have, and a function
that answers through them in a fresh interpreter (as Lambda's init runs it). In this test process the real packages
are already imported (the fixtures import them first), so the stand-ins are probed in fresh interpreters."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from charging_sessions import lazy_packages
from local_toolkit import harness
from tests.unit.test_cold_imports import _lambda_environment, fresh_interpreter

EVENT_HANDLER = "aws_lambda_powertools.event_handler"
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"


def _run(code: str, environment: dict[str, str] | None = None) -> Any:
    """Runs ``code`` in a fresh interpreter with Lambda's environment (and ``environment``); its last line printed,
    as JSON."""
    return fresh_interpreter(code, _lambda_environment() | (environment or {}))


_WHERE = """
def where(module):
    return {name: f"{getattr(module, name).__module__}.{getattr(module, name).__qualname__}"
            if hasattr(getattr(module, name), "__qualname__") else repr(getattr(module, name))
            for name in sorted(module.__all__)}
"""


@pytest.mark.parametrize("package", [EVENT_HANDLER, DATA_CLASSES])
def test_every_exported_name_is_the_object_the_real_package_gives(package: str) -> None:
    real = _run(f"{_WHERE}\nimport {package} as real\nprint(json.dumps(where(real)))")
    lazy = _run(
        f"{_WHERE}\nfrom charging_sessions import lazy_packages\nassert lazy_packages.defer({package!r})\n"
        f"import {package} as lazy\n"
        "names = sorted(lazy_packages.exported_names(lazy.__name__, lazy.__spec__.loader.get_source(lazy.__name__)))\n"
        "before = {name: getattr(lazy, name) for name in names}  # each from its submodule, the real __init__ unrun\n"
        "unrun = '__all__' not in vars(lazy)\n"
        "same = all(getattr(lazy, name) is value for name, value in before.items())\n"
        "found = where(lazy)  # __all__: the real __init__ runs now, and must bind the very same objects\n"
        "same_after = all(vars(lazy)[name] is value for name, value in before.items())\n"
        "print(json.dumps([unrun, same, same_after, len(names), found]))"
    )
    unrun, same, same_after, resolved, found = lazy
    assert unrun and same and same_after
    assert resolved >= len(real) and found == real


def test_the_function_imports_neither_other_resolvers_nor_other_event_classes() -> None:
    loaded = _run(
        "import list_sessions.app\n"
        f"print(json.dumps(['__getattr__' in vars(sys.modules[{EVENT_HANDLER!r}]), "
        f"'__getattr__' in vars(sys.modules[{DATA_CLASSES!r}]), sorted(sys.modules)]))"
    )
    deferred_handler, deferred_classes, modules = loaded
    assert deferred_handler and deferred_classes
    assert "asyncio" not in modules
    assert f"{EVENT_HANDLER}.api_gateway" in modules and f"{DATA_CLASSES}.api_gateway_proxy_event" in modules
    unused = [f"{EVENT_HANDLER}.appsync", f"{EVENT_HANDLER}.bedrock_agent", f"{DATA_CLASSES}.sqs_event"]
    assert not [name for name in unused if name in modules]


def test_the_function_answers_through_the_stand_ins() -> None:
    """A first page, in a fresh interpreter that imported the function before anything of Powertools."""
    answer = _run(
        "from moto import mock_aws  # first: clients built after it are the ones moto intercepts\n"
        "import list_sessions.app as app\n"
        "from local_toolkit import gateway, harness\n"
        "from local_toolkit.demo_data import generate_sessions\n"
        "from charging_sessions.routes import LIST_SESSIONS_PATH\n"
        "with mock_aws():\n"
        "    harness.prepare_table(generate_sessions(namespaces=['tenant-a'], per_namespace=4),"
        " table_name=app.settings.table_name)\n"
        "    event = gateway.http_api_event(path=LIST_SESSIONS_PATH, raw_query='take=3',"
        " headers={'host': 'probe'}, claims={'namespaceId': 'tenant-a'})\n"
        "    response = app.lambda_handler(event, gateway.LambdaContext())\n"
        f"    stand_in = '__getattr__' in vars(sys.modules[{EVENT_HANDLER!r}])\n"
        "body = json.loads(response['body'])\n"
        "print(json.dumps([stand_in, response['statusCode'], body['success'], len(body['chargingSessions']),"
        " body['count']]))",
        harness.function_environment("sessions-probe") | {"POWERTOOLS_TRACE_DISABLED": "false"},
    )
    assert answer == [True, 200, True, 3, 4]


def test_submodules_import_through_a_stand_in_and_unknown_names_fail_as_before() -> None:
    probed = _run(
        "from charging_sessions import lazy_packages\n"
        f"lazy_packages.defer({EVENT_HANDLER!r})\n"
        f"from aws_lambda_powertools.event_handler import content_types\n"
        f"import aws_lambda_powertools.event_handler as package\n"
        "errors = []\n"
        "for name in ('no_such_name', '__wrapped__'):\n"
        "    try:\n"
        "        getattr(package, name)\n"
        "    except AttributeError:\n"
        "        errors.append(name)\n"
        f"print(json.dumps([content_types is sys.modules[{EVENT_HANDLER!r} + '.content_types'], errors,"
        " 'asyncio' in sys.modules]))"
    )
    # An unknown name runs the real __init__ before failing (it might have defined the name): asyncio then loads.
    assert probed == [True, ["no_such_name", "__wrapped__"], True]


def test_a_package_already_imported_is_left_as_it_is() -> None:
    import aws_lambda_powertools.event_handler as real

    assert lazy_packages.defer(EVENT_HANDLER) is False
    assert sys.modules[EVENT_HANDLER] is real and "__getattr__" not in vars(real)


def test_exported_names_reads_relative_and_absolute_imports() -> None:
    source = (
        "from .alb_event import ALBEvent\n"
        "from .api import A as B, C\n"
        "from pkg.sub import D\n"
        "from . import content_types\n"
        "from ..elsewhere import E\n"
        "import os\n"
        "if True:\n    from .hidden import F\n"
    )
    assert lazy_packages.exported_names("pkg", source) == {
        "ALBEvent": "pkg.alb_event",
        "B": "pkg.api",
        "C": "pkg.api",
        "D": "pkg.sub",
    }
