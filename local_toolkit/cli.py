"""``charging-sessions``: run, invoke and feed the API on this machine; maintain counters in AWS."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from charging_sessions.routes import LIST_SESSIONS_PATH

from . import gateway, harness, server


def _read_sessions(path: str) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a JSON array of sessions")
    return data


def _demo_sessions() -> Iterator[dict[str, Any]]:
    from .demo_data import generate_sessions

    return generate_sessions()


def serve(args: argparse.Namespace) -> int:
    emulation, endpoint = harness.start_emulation()
    harness.apply_environment(harness.local_environment(endpoint))
    sessions: Any = _read_sessions(args.data) if args.data else ([] if args.no_demo else _demo_sessions())
    loaded = harness.prepare_table(sessions, endpoint_url=endpoint)
    function = harness.load_handler()
    http_server = server.make_server(function, args.host, args.port)
    base = f"http://{args.host}:{http_server.server_port}"
    token = gateway.make_token(args.namespace)
    print(f"!!! {gateway.WARNING} !!!", file=sys.stderr)
    print(f"DynamoDB emulation (moto) at {endpoint}, table {harness.LOCAL_TABLE}: {loaded} sessions loaded")
    print(f"API:     {base}{LIST_SESSIONS_PATH}")
    print(f"OpenAPI: {base}/openapi.json   Swagger UI: {base}/docs")
    print("Try:")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}{LIST_SESSIONS_PATH}?take=2'")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        http_server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        http_server.server_close()
        emulation.stop()
    return 0


def invoke(args: argparse.Namespace) -> int:
    """Like ``sam local invoke -e EVENT``, without Docker: the handler runs on the embedded emulation."""
    from moto import mock_aws

    event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    with mock_aws():
        harness.apply_environment(harness.local_environment(None))
        sessions: Any = _read_sessions(args.data) if args.data else ([] if args.no_demo else _demo_sessions())
        harness.prepare_table(sessions, endpoint_url=None)
        function = harness.load_handler()
        context = gateway.LambdaContext(remaining_millis=gateway.LOCAL_REMAINING_MILLIS)
        response = function.lambda_handler(event, context)
    print(json.dumps(response, indent=2))
    return 0 if int(response.get("statusCode", 500)) < 500 else 1


def token(args: argparse.Namespace) -> int:
    print(f"# {gateway.WARNING}", file=sys.stderr)
    print(gateway.make_token(args.namespace, claim=args.claim))
    return 0


def demo_data(args: argparse.Namespace) -> int:
    from .demo_data import generate_sessions

    json.dump(list(generate_sessions(per_namespace=args.per_namespace, seed=args.seed)), sys.stdout, indent=args.indent)
    sys.stdout.write("\n")
    return 0


def _repository() -> Any:
    from charging_sessions.aws_clients import dynamodb_client
    from charging_sessions.settings import get_settings
    from charging_sessions.writer import SessionWriter

    settings = get_settings()
    return SessionWriter(dynamodb_client(settings), settings.table_name)


def import_sessions(args: argparse.Namespace) -> int:
    """Write sessions from a file to TABLE_NAME (at DYNAMODB_ENDPOINT_URL, or AWS), keeping counters exact."""
    repository = _repository()
    outcomes: dict[str, int] = {}
    for session in _read_sessions(args.file):
        outcome = repository.put(session)
        outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
    print(json.dumps(outcomes))
    return 0


def recount(args: argparse.Namespace) -> int:
    """Rebuild the exact counters of one or more namespaces from their sessions."""
    repository = _repository()
    for namespace in args.namespace:
        report = repository.recount(namespace)
        summary = {"namespace": namespace, "total": report.total, "counters": len(report.counts)}
        print(json.dumps({**summary, "skipped": report.skipped}))
    return 0


def openapi(args: argparse.Namespace) -> int:
    """Print (or write to FILE) the API's OpenAPI document, generated from the code."""
    from .openapi_document import generate

    text = generate()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="charging-sessions", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the API locally on an embedded DynamoDB emulation")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--data", metavar="FILE", help="JSON array of sessions to load instead of the demo data")
    p.add_argument("--no-demo", action="store_true", help="start with an empty table")
    p.add_argument("--namespace", default="tenant-alpha", help="namespace of the token in the printed curl line")
    p.set_defaults(run=serve)

    p = commands.add_parser("token", help="print a local (unsigned) bearer token for a namespace")
    p.add_argument("namespace")
    p.add_argument("--claim", default="namespaceId")
    p.set_defaults(run=token)

    p = commands.add_parser("invoke", help="run the handler on an API Gateway event file, as sam local invoke would")
    p.add_argument("event", metavar="EVENT_FILE")
    p.add_argument("--data", metavar="FILE", help="JSON array of sessions to load instead of the demo data")
    p.add_argument("--no-demo", action="store_true", help="start with an empty table")
    p.set_defaults(run=invoke)

    p = commands.add_parser("demo-data", help="print the reproducible demo sessions as JSON")
    p.add_argument("--per-namespace", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--indent", type=int, default=None)
    p.set_defaults(run=demo_data)

    p = commands.add_parser("import", help="put sessions from a JSON file into TABLE_NAME, keeping counters exact")
    p.add_argument("file")
    p.set_defaults(run=import_sessions)

    p = commands.add_parser("openapi", help="print the OpenAPI document generated from the code")
    p.add_argument("--output", metavar="FILE", help="write it to FILE (docs/openapi.json is the committed copy)")
    p.set_defaults(run=openapi)

    p = commands.add_parser("recount", help="rebuild the exact counters of namespaces in TABLE_NAME")
    p.add_argument("namespace", nargs="+")
    p.set_defaults(run=recount)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
