"""docs/limits.md is true: each named constant has the stated value, each named test
exists, and each limit the table claims is enforced gives what the table says."""

from __future__ import annotations

import ast
import importlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import visitation
from visitation.load import check_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "limits.md"
MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
LEAF = "{fact: age, at_least: 18}"


def table() -> list[dict[str, str]]:
    """The rows of the limits table, by column name."""
    lines = [ln for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


ROWS = table()


def stated_value(cell: str) -> int | date:
    """The first date or number in a Value cell (commas are thousands separators)."""
    found = re.search(r"\d{4}-\d{2}-\d{2}", cell)
    if found:
        return date.fromisoformat(found.group())
    number = re.search(r"\d[\d,]*", cell)
    assert number, cell
    return int(number.group().replace(",", ""))


def constants(cell: str) -> list[str]:
    """The ``visitation.module.NAME`` constants a cell names (upper-case names)."""
    return re.findall(r"`(visitation(?:\.\w+)+\.[A-Z][A-Z_]+)`", cell)


def resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_the_table_has_the_limits_issue_8_names() -> None:
    """File size, depth, literals, definitions, within_days, dates, diagnostics and the
    search bounds each have a row."""
    limits = " ".join(r["Limit"] for r in ROWS).lower()
    for word in ("file size", "depth", "list", "size_at_least", "definitions", "within_days",
                 "date range", "diagnostics", "never-met search", "patient"):  # fmt: skip
        assert word in limits, word


@pytest.mark.parametrize(
    "row", [r for r in ROWS if constants(r["Enforced in"])], ids=lambda r: r["Limit"]
)
def test_each_named_constant_has_the_stated_value(row: dict[str, str]) -> None:
    """The constant in 'Enforced in' exists and equals the number or date in 'Value'."""
    (name,) = constants(row["Enforced in"])
    assert resolve(name) == stated_value(row["Value"]), name


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["Limit"])
def test_each_named_test_exists(row: dict[str, str]) -> None:
    """Every ``tests/...py::test_name`` in 'Shown by' is a test function in that file."""
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", row["Shown by"])
    assert named, row["Shown by"]
    for path, test in named:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert test in functions, f"{path}::{test}"


def test_the_fuzzer_limits_are_the_stated_ones() -> None:
    """The fuzzer's per-call limits are 2 s and 512 MiB, as the last row says."""
    source = ast.parse((ROOT / "tests" / "fuzz" / "pool.py").read_text(encoding="utf-8"))
    values = {
        node.target.id: ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    time_limit, memory_mib = values["TIME_LIMIT"], values["MEMORY_MIB"]
    (row,) = [r for r in ROWS if "fuzzer" in r["Limit"]]
    assert "2 s" in row["Value"] and time_limit == 2.0
    assert "512 MiB" in row["Value"] and memory_mib == 512


def test_the_library_cache_bound_is_the_stated_one() -> None:
    """``Library(max_programs=...)`` defaults to the number in the table."""
    import inspect

    (row,) = [r for r in ROWS if "Library" in r["Enforced in"]]
    default = inspect.signature(visitation.Library).parameters["max_programs"].default
    assert default == stated_value(row["Value"])


# --------------------------------------------------------------------------------------
# Each limit, enforced as the table says
# --------------------------------------------------------------------------------------


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text, path="r.yaml") if d.severity == "error"]


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """A rule file and a patient file one byte over MAX_BYTES are refused as too large."""
    from visitation._yaml import MAX_BYTES

    text = MINIMAL + "#" * (MAX_BYTES - len(MINIMAL.encode()) + 1)
    assert codes(text) == ["file-too-large"]
    patient = tmp_path / "p.yaml"
    patient.write_text("age: 70\n#" + "x" * MAX_BYTES, encoding="utf-8")
    with pytest.raises(visitation.PatientFileError) as info:
        visitation.load_patient(patient)
    assert [d.code for d in info.value.diagnostics] == ["file-too-large"]


def test_a_file_with_too_many_values_is_refused(tmp_path: Path) -> None:
    """A patient file (JSON or YAML) or rule file of more than MAX_VALUES values is refused
    with the line and column of the first value past the limit; MAX_VALUES values pass."""
    from visitation._yaml import MAX_VALUES, load_yaml

    at_limit = "[" + ", ".join(["1"] * (MAX_VALUES - 1)) + "]"
    assert load_yaml(at_limit).diagnostics == []
    over = load_yaml("[" + ", ".join(["1"] * MAX_VALUES) + "]", path="x.yaml").diagnostics
    assert [d.code for d in over] == ["yaml-too-many-values"]
    start = over[0].span.start if over[0].span is not None else None
    assert start is not None
    assert (start.line, start.col) == (1, 2 + 3 * (MAX_VALUES - 1))
    patient = tmp_path / "p.json"
    patient.write_text('{"age": 70,\n "referral_contents": [' + '"gp", ' * 60_000 + '"gp"]}')
    with pytest.raises(visitation.PatientFileError) as info:
        visitation.load_patient(patient)
    (d,) = info.value.diagnostics
    assert d.code == "yaml-too-many-values"
    assert d.span is not None
    assert d.span.start is not None
    assert d.span.start.line == 2
    assert "yaml-too-many-values" in codes(MINIMAL + "\nx: [" + "1, " * MAX_VALUES + "1]\n")


def test_a_rule_set_with_too_many_conditions_is_refused() -> None:
    """MAX_CONDITION_NODES condition nodes pass; one more is refused, located at the node
    past the limit, before anything is compiled (4,000 leaves took 2.4 s and 320 MiB to
    compile: the long fuzz run's over-memory finding)."""
    from visitation.check import MAX_CONDITION_NODES
    from visitation.conditions import walk
    from visitation.load import parse_ruleset

    minimal, _ = parse_ruleset(MINIMAL, path="m.yaml")
    assert minimal is not None
    conditions = [*minimal.definitions.values(), *(r.when for r in minimal.rules),
                  *(r.when for r in minimal.indicators)]  # fmt: skip
    others = sum(1 for c in conditions for _ in walk(c)) - 1  # all but the leaf replaced

    def text(leaves: int) -> str:
        parts = ", ".join(f"{{fact: age, at_least: {i % 100}}}" for i in range(leaves))
        return MINIMAL.replace(LEAF, f"{{all: [{parts}]}}")

    at_limit = MAX_CONDITION_NODES - others - 1  # the leaves, and their `all`
    assert "too-many-conditions" not in codes(text(at_limit))
    over = [d for d in check_text(text(at_limit + 1), path="r.yaml")
            if d.code == "too-many-conditions"]  # fmt: skip
    assert len(over) == 1
    assert over[0].span is not None
    assert over[0].span.start is not None


def test_nesting_over_the_depth_limit_is_refused(tmp_path: Path) -> None:
    """A condition nested past MAX_DEPTH, and a patient value nested as deep, are refused."""
    from visitation._yaml import MAX_DEPTH

    deep = "{not: " * MAX_DEPTH + LEAF + "}" * MAX_DEPTH
    assert "yaml-too-deep" in codes(MINIMAL.replace(LEAF, deep))
    patient = tmp_path / "p.yaml"
    patient.write_text("measures_tried: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n")
    with pytest.raises(visitation.PatientFileError) as info:
        visitation.load_patient(patient)
    assert "yaml-too-deep" in [d.code for d in info.value.diagnostics]


def test_a_list_over_the_limit_is_refused() -> None:
    """An ``in`` list of MAX_LIST items is accepted, one more is an invalid value."""
    from visitation.operators import MAX_LIST

    def leaf(n: int) -> str:
        return MINIMAL.replace(
            LEAF, "{fact: diagnosis_group, in: [" + ", ".join(["cancer"] * n) + "]}"
        )

    assert "invalid-value" not in codes(leaf(MAX_LIST))
    assert codes(leaf(MAX_LIST + 1)) == ["invalid-value"]


def test_a_size_over_the_limit_is_refused() -> None:
    """``size_at_least`` above MAX_SIZE is an invalid value (not a search for fillers)."""
    from visitation.operators import MAX_SIZE

    text = MINIMAL.replace(LEAF, f"{{fact: problem_domains, size_at_least: {MAX_SIZE + 1}}}")
    assert codes(text) == ["invalid-value"]


def test_a_day_range_over_the_limit_is_refused() -> None:
    """``within_days`` of MAX_DAYS is accepted, one more is an invalid value."""
    from visitation.operators import MAX_DAYS

    def leaf(days: int) -> str:
        return MINIMAL.replace(LEAF, f"{{fact: eortc_date, within_days: {days}}}")

    assert codes(leaf(MAX_DAYS)) == []
    assert codes(leaf(MAX_DAYS + 1)) == ["invalid-value"]


def test_diagnostics_of_a_rule_file_are_capped() -> None:
    """A rule file with 400 unknown keys reports MAX_DIAGNOSTICS problems, the first ones."""
    from visitation.load import MAX_DIAGNOSTICS

    extra = "".join(f"x{i}: 1\n" for i in range(400))
    diagnostics = check_text(MINIMAL.replace("rules:", extra + "rules:"), path="r.yaml")
    assert len(diagnostics) == MAX_DIAGNOSTICS
    lines = [d.line or 0 for d in diagnostics]
    assert lines == sorted(lines)


def test_diagnostics_of_a_patient_file_are_capped(tmp_path: Path) -> None:
    """A patient file with 500 unknown keys reports at most MAX_DIAGNOSTICS problems."""
    from visitation.load import MAX_DIAGNOSTICS

    patient = tmp_path / "p.yaml"
    patient.write_text("age: 70\n" + "".join(f"k{i}: 1\n" for i in range(500)), encoding="utf-8")
    with pytest.raises(visitation.PatientFileError) as info:
        visitation.load_patient(patient)
    assert 0 < len(info.value.diagnostics) <= MAX_DIAGNOSTICS


def test_a_patient_age_over_the_limit_is_refused(tmp_path: Path) -> None:
    """``age: 130`` is accepted and ``age: 131`` is an invalid value."""
    patient = tmp_path / "p.yaml"
    patient.write_text("age: 130\n", encoding="utf-8")
    assert visitation.load_patient(patient).age == 130
    patient.write_text("age: 131\n", encoding="utf-8")
    with pytest.raises(visitation.PatientFileError) as info:
        visitation.load_patient(patient)
    assert [d.code for d in info.value.diagnostics] == ["invalid-value"]
