"""``visitation serve`` (the CDS Hooks service) and ``visitation feedback`` (override rates
per rule), registered by ``visitation.cli``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

__all__ = ["LOG_FORMAT", "add_parser", "setup_logging"]

LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
_INSTALL = "pip install 'visitation[service]'"


def add_parser(subparsers: Any) -> None:
    """Add ``serve`` and ``feedback`` to the ``visitation`` command."""
    serve = subparsers.add_parser(
        "serve",
        help="run the CDS Hooks 2.0 service (patient-view, order-select, order-sign)",
        description="Run the CDS Hooks 2.0 service with uvicorn. See docs/cds-hooks.md.",
    )
    serve.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="the TOML configuration (rule sets, language, issuers, limits)",
    )
    serve.add_argument("--host", default=None, help="override the configured host")
    serve.add_argument("--port", type=int, default=None, help="override the port (0: any free)")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    serve.set_defaults(handler=_serve)
    fb = subparsers.add_parser(
        "feedback",
        help="show the CDS Hooks feedback: override rates per rule",
        description="Summarise the service's feedback database: per rule and status, the "
        "cards issued, the feedback, how often the card was overridden and why.",
    )
    fb.add_argument("--config", metavar="FILE", default=None, help="the service's configuration")
    fb.add_argument("--format", choices=("text", "json"), default="text")
    fb.set_defaults(handler=_feedback)


def _load(args: argparse.Namespace, **overrides: Any) -> Any:
    from visitation.service._config import ConfigError, load_config

    try:
        return load_config(args.config, **overrides)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"visitation: {problem}", file=sys.stderr)
        return None


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from visitation.service._app import create_app
    except ImportError:
        print(f"visitation serve needs the service extra: {_INSTALL}", file=sys.stderr)
        return 2
    config = _load(args, host=args.host, port=args.port)
    if config is None:
        return 5
    level = args.log_level.upper()
    setup_logging(level)
    log = logging.getLogger("visitation.service")
    if not config.auth.required:
        log.warning("authentication is OFF: for a sandbox on loopback only")
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {"uvicorn": {"level": level}, "uvicorn.access": {"level": "WARNING"}},
    }
    common: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "log_config": log_config,
        "access_log": False,
        "server_header": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
        "limit_concurrency": 1000,
    }
    if config.workers > 1:  # each worker process builds its app from the same file
        import os

        if args.config:
            os.environ["VISITATION_SERVICE_CONFIG"] = str(args.config)
        if args.port is not None:
            os.environ["VISITATION_SERVICE_PORT"] = str(args.port)
        os.environ["VISITATION_SERVICE_LOG_LEVEL"] = level  # a spawned worker logs alike
        import socket

        from uvicorn.supervisors import Multiprocess

        ucfg = uvicorn.Config(
            "visitation.service._factory:app",
            factory=True,
            workers=config.workers,
            loop="visitation.service._loop:one_accept_loop",  # each worker takes its share
            **common,
        )
        sock = ucfg.bind_socket()
        # the workers' accepted sockets miss asyncio's TCP_NODELAY (their proto reads 0): a
        # 40 ms delayed-ACK stall per answer. Set it on the listening socket, whose accepted
        # sockets inherit it on Linux.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Multiprocess(ucfg, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(uvicorn.Config(create_app(config), **common))
    server.run()
    return 0


def setup_logging(level: str) -> None:
    """The service's log: one line per record with the process id (several workers write
    to the same stream); httpx and httpcore only from WARNING (their lines name URLs with
    patient ids)."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _feedback(args: argparse.Namespace) -> int:
    config = _load(args)
    if config is None:
        return 5
    try:
        from visitation.service._store import summary
    except ImportError:
        print(f"visitation feedback needs the service extra: {_INSTALL}", file=sys.stderr)
        return 2
    if not config.database.exists():
        print(f"visitation: {config.database}: no feedback database yet", file=sys.stderr)
        return 4
    result = summary(config.database)
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"feedback entries: {result['feedback']}, overridden: {result['overridden']}, "
        f"unattributed (card not in the log): {result['unattributed']}"
    )
    print(f"{'rule':45} {'status':8} {'cards':>6} {'fb':>5} {'over':>5} {'rate':>6}  reasons")
    for r in result["rules"]:
        rate = "-" if r["override_rate"] is None else f"{r['override_rate']:.0%}"
        reasons = ", ".join(f"{k} {v}" for k, v in r["override_reasons"].items())
        print(
            f"{r['rule']:45} {r['status']:8} {r['cards']:>6} {r['feedback']:>5} "
            f"{r['overridden']:>5} {rate:>6}  {reasons}"
        )
    return 0
