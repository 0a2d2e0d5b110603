"""``charging-sessions``: run, invoke and feed the API on this machine; maintain counters in AWS.

Every command finds DynamoDB the way the AWS SDKs do (``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_DEFAULT_REGION``,
``AWS_PROFILE``, the credential chain), except ``serve`` and ``invoke`` without ``--table``, which run on an
embedded emulation and can reach nothing else."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
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


def _sessions_to_load(args: argparse.Namespace) -> Iterable[dict[str, Any]]:
    return _read_sessions(args.data) if args.data else ([] if args.no_demo else _demo_sessions())


_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+")


def _cors_policy(origins: Sequence[str] | None) -> gateway.CorsPolicy | None:
    """The CORS policy of ``--cors-origin``: the template's ``CorsConfiguration`` lists for these origins, as the
    deployment's ``CorsAllowedOrigins`` would set them; ``None`` without origins (the template's default)."""
    if not origins:
        return None
    for origin in origins:
        if origin not in ("*", gateway.LOOPBACK_ORIGINS) and not _ORIGIN.fullmatch(origin):
            raise SystemExit(
                f"--cors-origin {origin!r}: an origin is scheme://host[:port] without a path (no trailing slash; "
                "browsers send it so), or *"
            )
    from .template_table import cors_configuration

    configuration = cors_configuration()
    if not configuration:
        raise SystemExit("--cors-origin: template.yaml's HttpApi has no CorsConfiguration to answer CORS with")
    try:
        return gateway.CorsPolicy.from_template(configuration, origins)
    except ValueError as error:
        raise SystemExit(f"--cors-origin: {error}") from error


def serve(args: argparse.Namespace) -> int:
    if not server.is_loopback(args.host) and not args.allow_remote:
        raise SystemExit(
            f"refusing to listen on {args.host!r}: the local server accepts unsigned tokens for any namespace, "
            "so anyone who reaches it reads every tenant. Use a loopback address, or pass --allow-remote."
        )
    cors = _cors_policy(None if args.no_cors else args.cors_origin or [gateway.LOOPBACK_ORIGINS])
    emulation = None
    if args.table:
        where = f"table {args.table} at {harness.use_existing_table(args.table)} (used as it is)"
    else:
        emulation, endpoint = harness.start_emulation()
        harness.use_emulation(endpoint)
        loaded = harness.prepare_table(_sessions_to_load(args))
        where = f"DynamoDB emulation (moto) at {endpoint}, table {harness.LOCAL_TABLE}: {loaded} sessions loaded"
    function = harness.load_handler()
    http_server = server.make_server(function, args.host, args.port, loopback_only=not args.allow_remote, cors=cors)
    base = server.base_url(args.host, http_server.server_port)
    token = gateway.make_token(args.namespace)
    print(f"!!! {gateway.WARNING} !!!", file=sys.stderr)
    print(where)
    print(f"API:     {base}{LIST_SESSIONS_PATH}")
    print(f"OpenAPI: {base}/openapi.json   Swagger UI: {base}/docs")
    print(f"CORS:    {'origins ' + ' '.join(cors.allow_origins) if cors else 'off (--no-cors)'}")
    print("Try:")
    print(f"  curl -s -H 'Authorization: Bearer {token}' '{base}{LIST_SESSIONS_PATH}?take=2'")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        http_server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        http_server.server_close()
        if emulation is not None:
            emulation.stop()
    return 0


def invoke(args: argparse.Namespace) -> int:
    """Like ``sam local invoke -e EVENT``, without Docker: only the function's response on stdout (one line of
    JSON), everything else (the function's logs and metrics, loading) on stderr."""
    event = json.loads(sys.stdin.read() if args.event == "-" else Path(args.event).read_text(encoding="utf-8"))
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        if args.table:
            harness.use_existing_table(args.table)
        else:
            from moto import mock_aws

            stack.enter_context(mock_aws())
            harness.use_emulation(None)
            harness.prepare_table(_sessions_to_load(args))
        function = harness.load_handler()
        context = gateway.LambdaContext(remaining_millis=gateway.LOCAL_REMAINING_MILLIS)
        response = function.lambda_handler(event, context)
    print(json.dumps(response), flush=True)
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


def _table(args: argparse.Namespace) -> str:
    """The table the writers' commands use: ``--table``, default ``TABLE_NAME``."""
    table: str | None = args.table or os.environ.get("TABLE_NAME")
    if not table:
        raise SystemExit("which table? pass --table NAME or set TABLE_NAME")
    return table


def _writer(args: argparse.Namespace) -> Any:
    """A writer for the table, wherever the SDK's settings find it."""
    from charging_sessions.storage.writer import SessionWriter

    table = _table(args)
    return SessionWriter(harness.loading_client(table), table)


def import_sessions(args: argparse.Namespace) -> int:
    """Put sessions from a file into the table, one transaction each, keeping counters exact."""
    writer = _writer(args)
    sessions = _read_sessions(args.file)
    report = harness.report_progress(f"importing {len(sessions):,}")
    outcomes: dict[str, int] = {}
    for done, session in enumerate(sessions, start=1):
        outcome = writer.put(session)
        outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
        report(done)
    print(json.dumps(outcomes))
    return 0


def recount(args: argparse.Namespace) -> int:
    """Rebuild the exact counters of one or more namespaces from their sessions."""
    from charging_sessions.storage.counter_check import CounterChecker

    table = _table(args)
    checker = CounterChecker(harness.loading_client(table), table)
    for namespace in args.namespace:
        report = checker.recount(namespace)
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


WRITER_TABLE_HELP = "the table (default: TABLE_NAME); found with the SDK's settings"


def _table_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the function's table comes from: the embedded emulation (demo data, ``--data`` or empty), or
    ``--table``, an existing table used as it is."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="FILE", help="JSON array of sessions to load instead of the demo data")
    source.add_argument("--no-demo", action="store_true", help="start the emulation with an empty table")
    source.add_argument(
        "--table",
        metavar="NAME",
        help="use this existing table instead of the emulation (AWS, or AWS_ENDPOINT_URL_DYNAMODB: DynamoDB Local, "
        "LocalStack); nothing is created or loaded",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="charging-sessions", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the API locally (embedded DynamoDB emulation, or --table)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback unless --allow-remote)")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--allow-remote", action="store_true", help="listen on a non-loopback address anyway")
    p.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        action="append",
        help="answer CORS for this browser origin (repeatable; * for any; loopback for any page served from this "
        "machine) with template.yaml's CorsConfiguration, as API Gateway does when CorsAllowedOrigins is set; "
        "default: loopback, so a browser app in development can call the API",
    )
    p.add_argument("--no-cors", action="store_true", help="answer no CORS, as the template's default deployment")
    _table_arguments(p)
    p.add_argument("--namespace", default="tenant-alpha", help="namespace of the token in the printed curl line")
    p.set_defaults(run=serve)

    p = commands.add_parser("token", help="print a local (unsigned) bearer token for a namespace")
    p.add_argument("namespace")
    p.add_argument("--claim", default="namespaceId")
    p.set_defaults(run=token)

    p = commands.add_parser("invoke", help="run the handler on an API Gateway event file, as sam local invoke would")
    p.add_argument("event", metavar="EVENT_FILE", help="the API Gateway event (JSON); - reads it from stdin")
    _table_arguments(p)
    p.set_defaults(run=invoke)

    p = commands.add_parser("demo-data", help="print the reproducible demo sessions as JSON")
    p.add_argument("--per-namespace", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--indent", type=int, default=None)
    p.set_defaults(run=demo_data)

    p = commands.add_parser("import", help="put sessions from a JSON file into a table, keeping counters exact")
    p.add_argument("file")
    p.add_argument("--table", help=WRITER_TABLE_HELP)
    p.set_defaults(run=import_sessions)

    p = commands.add_parser("openapi", help="print the OpenAPI document generated from the code")
    p.add_argument("--output", metavar="FILE", help="write it to FILE (docs/openapi.json is the committed copy)")
    p.set_defaults(run=openapi)

    p = commands.add_parser("recount", help="rebuild the exact counters of namespaces in a table")
    p.add_argument("namespace", nargs="+")
    p.add_argument("--table", help=WRITER_TABLE_HELP)
    p.set_defaults(run=recount)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
