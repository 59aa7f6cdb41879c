"""`visitation cohort`, `visitation cohort synth` and `visitation sql` on the command line."""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from visitation.cli import main

ON = "2026-11-23"


def test_synth_then_cohort_writes_results_and_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A synthetic cohort evaluates end to end: Parquet out with metadata, summary tables printed."""
    cohort, results = tmp_path / "cohort.parquet", tmp_path / "results.parquet"
    assert main(["cohort", "synth", "500", "--out", str(cohort), "--seed", "4", "--on", ON]) == 0
    assert "wrote 500 synthetic patients" in capsys.readouterr().out
    code = main(["cohort", str(cohort), "--rules", "dk-national@2.0.0", "--on", ON,
                 "--out", str(results)])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0
    assert "pathway      eligible  not_eligible  indeterminate" in out.out
    assert "region" in out.out and "diagnosis_group" in out.out and "age_band" in out.out
    assert out.err == ""  # no progress when standard error is not a terminal
    table = pq.read_table(results)
    assert table.num_rows == 500
    meta = table.schema.metadata
    assert meta[b"visitation.ruleset"] == b"dk-national@2.0.0"
    assert meta[b"visitation.content_hash"].startswith(b"sha256:")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_summary_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints the summary as one JSON document whose counts add up."""
    cohort = tmp_path / "c.parquet"
    main(["cohort", "synth", "200", "--out", str(cohort), "--on", ON])
    capsys.readouterr()
    assert main(["cohort", str(cohort), "--rules", "dk-national@1.0.0", "--on", ON,
                 "--out", str(tmp_path / "r.parquet"), "--format", "json"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["patients"] == 200
    for p in summary["pathways"]:
        assert p["eligible"] + p["not_eligible"] + p["indeterminate"] == 200


def test_bad_input_exits_4_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad column is reported (exit 4) and no output file, not even a partial one, appears."""
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,incurabel\n1,true\n")
    out = tmp_path / "results.parquet"
    assert main(["cohort", str(bad), "--on", ON, "--out", str(out)]) == 4
    err = capsys.readouterr().err
    assert "column 'incurabel' is not a fact (did you mean 'incurable'?)" in err
    assert list(tmp_path.iterdir()) == [bad]


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown engine, synth without N and a missing output folder are usage errors."""
    cohort = tmp_path / "c.parquet"
    main(["cohort", "synth", "10", "--out", str(cohort), "--on", ON])
    assert main(["cohort", str(cohort), "--on", ON, "--out", str(tmp_path / "r.parquet"),
                 "--engine", "oracle"]) == 2  # fmt: skip
    assert "unknown --engine 'oracle'" in capsys.readouterr().err
    assert main(["cohort", "synth", "--out", str(cohort)]) == 2
    assert main(["cohort", str(cohort), "--on", ON, "--out", "/nonexistent/r.parquet"]) == 2
    assert main(["sql", "--dialect", "oracle"]) == 2


def test_unknown_rule_set_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown rule set is a rule set error, as for visitation evaluate."""
    cohort = tmp_path / "c.parquet"
    main(["cohort", "synth", "10", "--out", str(cohort), "--on", ON])
    assert main(["cohort", str(cohort), "--rules", "dk-nationl", "--on", ON,
                 "--out", str(tmp_path / "r.parquet")]) == 5  # fmt: skip


def test_cohort_on_postgres_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres_server: object
) -> None:
    """--engine postgres:CONNINFO evaluates on the server and prints the same summary as DuckDB."""
    cohort = tmp_path / "c.parquet"
    main(["cohort", "synth", "150", "--out", str(cohort), "--on", ON, "--seed", "9"])
    capsys.readouterr()
    args = ["cohort", str(cohort), "--rules", "dk-national@2.0.0", "--on", ON, "--format", "json"]
    assert main([*args, "--out", str(tmp_path / "d.parquet")]) == 0
    duck = json.loads(capsys.readouterr().out)
    server = postgres_server
    conninfo = f"host={server.root} port={server.port} user={server.user} dbname=postgres"  # type: ignore[attr-defined]
    assert (
        main([*args, "--out", str(tmp_path / "p.parquet"), "--engine", f"postgres:{conninfo}"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == duck


def test_without_the_extra_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    """With duckdb absent, `visitation cohort` exits 2 with the install hint, and importing
    visitation.cohort raises ImportError with the same hint."""
    hide = "import sys; sys.modules['duckdb'] = None; "
    run = [sys.executable, "-c", hide + "from visitation.cli import main; "
           "raise SystemExit(main(['cohort', 'x.parquet', '--out', 'y.parquet']))"]  # fmt: skip
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "pip install 'visitation[cohort]'" in done.stderr
    imp = [sys.executable, "-c", hide + "import visitation.cohort"]
    done = subprocess.run(imp, capture_output=True, text=True, check=False)
    assert "ImportError" in done.stderr and "pip install 'visitation[cohort]'" in done.stderr


def test_a_terminal_sees_a_progress_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With standard error on a terminal (a pseudo-terminal here), the run draws a progress
    bar of patients evaluated, reaching 100%, and clears it at the end."""
    cohort = tmp_path / "cohort.parquet"
    assert main(["cohort", "synth", "3000", "--out", str(cohort), "--on", ON]) == 0
    capsys.readouterr()
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 columns
    drawn = b""
    try:
        with os.fdopen(slave, "w", buffering=1, closefd=True) as tty:
            monkeypatch.setattr(sys, "stderr", tty)
            code = main(["cohort", str(cohort), "--rules", "dk-national@2.0.0", "--on", ON,
                         "--out", str(tmp_path / "r.parquet")])  # fmt: skip
            monkeypatch.undo()
            tty.flush()
            # read while the terminal is open (Linux drops what is unread once it closes),
            # until it has been quiet for a second
            while select.select([master], [], [], 1.0)[0]:
                drawn += os.read(master, 65536)
    finally:
        os.close(master)
    assert code == 0
    text = drawn.decode("utf-8", "replace")
    assert "visitation cohort" in text
    assert "100%" in text
    assert "patients" in text
    assert "evaluated" in text
