"""``visitation watch EVENTS.jsonl``: print transitions and watchdog warnings as they happen."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from visitation.reactive._emitted import Emitted
from visitation.reactive._engine import INSTALL_HINT, available
from visitation.reactive._errors import EventError, ReactiveEngineError
from visitation.reactive._events import parse_line
from visitation.reactive._watcher import Watcher

__all__ = ["EXIT_CODES", "add_parser", "cmd_watch"]

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
EXIT_REJECTED: Final = 4
EXIT_RULES: Final = 5
EXIT_ENGINE: Final = 6

EXIT_CODES: Final[dict[int, str]] = {
    EXIT_OK: "every event was accepted",
    EXIT_USAGE: "usage error (bad option; --engine durable without durable-rules installed)",
    EXIT_REJECTED: "some events were rejected (each reported with its line), or EVENTS unreadable",
    EXIT_RULES: "invalid rule file, unknown rule set, or none in force on the first event's date",
    EXIT_ENGINE: "the stream engine failed (an exception in a durable-rules action), or a bug",
}

POLL_SECONDS: Final = 0.2
"""How often ``--follow`` looks for new lines at the end of the file."""

EPILOG: Final = f"""\
examples:
  visitation watch events.jsonl --rules dk-national@2.0.0
  visitation watch events.jsonl --format text --due-soon-day 7
  tail -f /var/spool/referrals.jsonl | visitation watch - --rules dk-national@2.0.0
  visitation watch events.jsonl --follow          # keep reading as lines are appended

One event per line (JSON):
  {{"patient": "p1", "time": "2026-03-01T09:00:00",
   "set": {{"prognosis": "weeks"}}, "clear": ["needs_hospital_admission"]}}
optional "end": true closes the patient's episode; a line with only "time" moves the
stream's clock. Output: one JSON object per transition or warning, with patient, time,
event (became_eligible, became_indeterminate, became_not_eligible, reception_due_soon,
reception_overdue) and pathway where it applies. A bad line is reported on standard
error as EVENTS:LINE: field: message, and the watcher goes on; the count of rejected
lines is printed at the end. docs/reactive.md has the details.

exit codes:
{chr(10).join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())}
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``watch`` on the ``visitation`` command's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "watch",
        help="watch a stream of patient events: transitions and the reception watchdog",
        description=(
            "Read patient events (JSON Lines; '-' reads standard input) and print each "
            "verdict transition and reception-watchdog warning as it happens."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("events", metavar="EVENTS", help="events, one JSON object per line, or '-'")
    p.add_argument(
        "--rules",
        metavar="FAMILY[@VERSION]|PATH",
        default="dk-national",
        help=(
            "rule set (default: dk-national, the version in force on the first event's "
            "date; pin FAMILY@VERSION for a replay)"
        ),
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help="after the end of the file, wait for more lines (standard input waits anyway)",
    )
    p.add_argument(
        "--format", choices=("jsonl", "text"), default="jsonl", help="output (default: jsonl)"
    )
    p.add_argument(
        "--engine",
        choices=("auto", "durable", "pure"),
        default="auto",
        help="durable-rules, the pure-Python watcher, or durable-rules when installed (default)",
    )
    p.add_argument(
        "--due-soon-day",
        metavar="N",
        type=int,
        default=8,
        help="warn on day N after receipt without a first contact (default: 8; 0 disables)",
    )
    p.add_argument(
        "--lang", choices=("da", "en"), default=None, help="language of the explanations"
    )
    p.set_defaults(handler=cmd_watch)
    return p


def _rules_spec(text: str) -> str | Path:
    if text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text:
        return Path(text)
    return text


def _watcher(args: argparse.Namespace) -> Watcher:
    due_soon = args.due_soon_day if args.due_soon_day > 0 else None
    kwargs: dict[str, Any] = {"due_soon_day": due_soon, "lang": args.lang}
    engine = args.engine
    if engine == "auto":
        engine = "durable" if available() else "pure"
        if engine == "pure":
            sys.stderr.write(
                "visitation: warning: durable-rules is not installed; using the pure-Python "
                "watcher (same output)\n"
            )
    if engine == "durable":
        from visitation.reactive._durable import DurableWatcher

        return DurableWatcher(_rules_spec(args.rules), **kwargs)
    from visitation.reactive._pure import PureWatcher

    return PureWatcher(_rules_spec(args.rules), **kwargs)


def _lines(stream: IO[str], follow: bool) -> Iterator[str]:
    """Complete lines; with ``follow``, wait at the end for more (until interrupted)."""
    partial = ""
    while True:
        chunk = stream.readline()
        if chunk:
            partial += chunk
            if partial.endswith("\n"):
                yield partial
                partial = ""
            continue
        if not follow:
            if partial:
                yield partial
            return
        time.sleep(POLL_SECONDS)


def _write(out: Emitted, fmt: str) -> None:
    if fmt == "jsonl":
        sys.stdout.write(json.dumps(out.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(out.to_text() + "\n")


def cmd_watch(args: argparse.Namespace) -> int:
    """``visitation watch``."""
    try:
        watcher = _watcher(args)
    except ImportError:
        sys.stderr.write(f"visitation: error: {INSTALL_HINT}\n")
        return EXIT_USAGE
    except ValueError as exc:
        sys.stderr.write(f"visitation: error: {exc}\n")
        return EXIT_USAGE
    name = "<stdin>" if args.events == "-" else args.events
    try:
        stream: IO[str] = (
            sys.stdin if args.events == "-" else open(args.events, encoding="utf-8")  # noqa: SIM115
        )
    except OSError as exc:
        sys.stderr.write(f"visitation: error: cannot read {name}: {exc.strerror or exc}\n")
        return EXIT_REJECTED
    read = rejected = 0
    code = EXIT_OK
    try:
        with watcher:
            follow = args.follow and stream is not sys.stdin  # a pipe already waits
            for number, text in enumerate(_lines(stream, follow), 1):
                if not text.strip():
                    continue
                read += 1
                try:
                    emitted = watcher.feed(parse_line(text, number))
                except EventError as exc:
                    rejected += 1
                    what = f"{exc.field}: " if exc.field else ""
                    sys.stderr.write(f"{name}:{number}: error: {what}{exc.message}\n")
                    sys.stderr.flush()
                    continue
                for out in emitted:
                    _write(out, args.format)
                sys.stdout.flush()
    except ReactiveEngineError as exc:
        sys.stderr.write(f"visitation: error: {exc}\n")
        code = EXIT_ENGINE
    except ValueError as exc:  # a --lang the rule set (chosen on the first event) lacks
        sys.stderr.write(f"visitation: error: {exc}\n")
        code = EXIT_USAGE
    except KeyboardInterrupt:  # --follow ends with Ctrl-C: report what was read
        pass
    finally:
        if stream is not sys.stdin:
            stream.close()
    sys.stderr.write(
        f"visitation: {read} {'event' if read == 1 else 'events'} read, {rejected} rejected\n"
    )
    if code:
        return code
    return EXIT_REJECTED if rejected else EXIT_OK
