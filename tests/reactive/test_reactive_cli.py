"""``visitation watch``: transitions as JSON Lines or text, bad lines reported, exit codes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from visitation.cli import main

GOOD = [
    {
        "patient": "p1",
        "time": "2026-03-01T09:00:00",
        "set": {"prognosis": "weeks", "referral_received_on": "2026-03-01"},
        "clear": ["needs_hospital_admission"],
    },
    {"patient": "p1", "time": "2026-03-02T09:00:00", "set": {"incurable": False}},
    {"time": "2026-03-12T00:00:00"},
]


def write(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
        encoding="utf-8",
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["watch", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_transitions_come_out_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each emitted line has patient, time, event and (for a transition) pathway; exit 0."""
    events = write(tmp_path / "events.jsonl", GOOD)
    code, lines, err = run(capsys, str(events), "--rules", "dk-national@2.0.0")
    assert code == 0
    rows = [json.loads(x) for x in lines]
    assert [(r["patient"], r["event"], r.get("pathway")) for r in rows] == [
        ("p1", "became_indeterminate", "specialized"),
        ("p1", "became_indeterminate", "hospice"),
        ("p1", "became_not_eligible", "specialized"),
        ("p1", "reception_overdue", None),
    ]
    assert rows[2]["blocking"] == ["specialized.incurable"]
    assert rows[2]["line"] == 2
    assert rows[3]["time"] == "2026-03-12T00:00:00"
    assert err.strip() == "visitation: 3 events read, 0 rejected"


def test_bad_lines_are_reported_and_the_watcher_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown fact, wrong type, time backwards, unknown patient clear: each named by line."""
    lines = [
        GOOD[0],
        {"patient": "p1", "time": "2026-03-01T10:00:00", "set": {"prognosys": "days"}},
        {"patient": "p1", "time": "2026-03-01T10:00:00", "set": {"age": "old"}},
        {"patient": "p1", "time": "2026-02-28T10:00:00", "set": {"age": 70}},
        "",
        {"patient": "p9", "time": "2026-03-01T10:00:00", "clear": ["age"]},
        "{oops",
        GOOD[1],
    ]
    events = write(tmp_path / "events.jsonl", lines)
    code, out, err = run(capsys, str(events), "--rules", "dk-national@2.0.0")
    assert code == 4
    problems = err.splitlines()
    assert problems[0].startswith(f"{events}:2: error: set.prognosys: unknown fact 'prognosys'")
    assert problems[1].startswith(f"{events}:3: error: set.age: ")
    assert problems[2].startswith(f"{events}:4: error: time: time goes backwards")
    assert problems[3].startswith(f"{events}:6: error: clear: patient 'p9' has no open episode")
    assert problems[4].startswith(f"{events}:7: error: not JSON")
    assert problems[5] == "visitation: 7 events read, 5 rejected"
    assert json.loads(out[-1])["event"] == "became_not_eligible"  # line 8 still processed
    assert json.loads(out[-1])["line"] == 8


def test_text_output_reads_as_sentences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format text prints one headline per emission and its explanations indented."""
    events = write(tmp_path / "events.jsonl", GOOD)
    code, lines, _ = run(capsys, str(events), "--rules", "dk-national@2.0.0", "--format", "text")
    assert code == 0
    assert lines[0].startswith(
        "2026-03-01T09:00:00  p1  became_indeterminate  specialized  missing: "
    )
    assert any(x.startswith("    specialized.incurable (not_met): ") for x in lines)
    assert lines[-1] == (
        "2026-03-12T00:00:00  p1  reception_overdue  day 11 since receipt on 2026-03-01 "
        "(first contact due by 2026-03-11)"
    )


def test_both_engines_print_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--engine durable and --engine pure give the same output."""
    events = write(tmp_path / "events.jsonl", GOOD)
    _, durable, _ = run(capsys, str(events), "--engine", "durable", "--rules", "dk-national@2.0.0")
    _, pure, _ = run(capsys, str(events), "--engine", "pure", "--rules", "dk-national@2.0.0")
    assert durable == pure
    assert len(pure) == 4


def test_standard_input_and_due_soon_day(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-' reads standard input; --due-soon-day 5 warns on day 5."""
    text = json.dumps(GOOD[0]) + "\n" + json.dumps({"time": "2026-03-06T00:00:00"}) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, lines, _ = run(capsys, "-", "--rules", "dk-national@2.0.0", "--due-soon-day", "5")
    assert code == 0
    last = json.loads(lines[-1])
    assert (last["event"], last["day"]) == ("reception_due_soon", 5)


def test_unreadable_events_and_unknown_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing EVENTS file exits 4; an unknown rule set exits 5."""
    code, _, err = run(capsys, str(tmp_path / "nope.jsonl"))
    assert code == 4
    assert "cannot read" in err
    events = write(tmp_path / "events.jsonl", GOOD)
    code, _, err = run(capsys, str(events), "--rules", "dk-nowhere@1.0.0")
    assert code == 5
    assert "dk-nowhere" in err


def test_engine_durable_without_durable_rules_is_a_usage_error(tmp_path: Path) -> None:
    """Where durable-rules is absent, --engine durable exits 2 with the install hint and
    the default engine falls back to the pure watcher with a warning."""
    events = write(tmp_path / "events.jsonl", GOOD)
    code = (
        "import sys; sys.modules['durable'] = None; sys.modules['durable_rules_engine'] = None\n"
        "from visitation.cli import main\n"
        f"a = main(['watch', {str(events)!r}, '--engine', 'durable'])\n"
        f"b = main(['watch', {str(events)!r}, '--rules', 'dk-national@2.0.0'])\n"
        "print(a, b, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.splitlines()[-1] == "2 0"
    assert "pip install 'visitation[reactive]'" in done.stderr
    assert "using the pure-Python watcher" in done.stderr
    assert len(done.stdout.splitlines()) == 4


def test_follow_prints_lines_as_they_are_appended(tmp_path: Path) -> None:
    """--follow waits at the end of the file and handles lines appended later."""
    events = write(tmp_path / "events.jsonl", GOOD[:1])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "visitation",
            "watch",
            str(events),
            "--follow",
            "--rules",
            "dk-national@2.0.0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert {r["event"] for r in first} == {"became_indeterminate"}
        with events.open("a", encoding="utf-8") as f:
            f.write(json.dumps(GOOD[1])[:20])  # half a line: not read yet
            f.flush()
            time.sleep(0.5)
            f.write(json.dumps(GOOD[1])[20:] + "\n")
        later = json.loads(proc.stdout.readline())
        assert (later["event"], later["line"]) == ("became_not_eligible", 2)
    finally:
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert err.strip().endswith("visitation: 2 events read, 0 rejected")
