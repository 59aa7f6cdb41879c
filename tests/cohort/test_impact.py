"""The impact of a rule change on a cohort, checked against the pure evaluator per patient."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pyarrow as pa
import pytest

import visitation
import visitation.cohort
from visitation import Patient, evaluate
from visitation.cohort import ImpactReport, impact, synthetic
from visitation.cohort._sql import AGE_BANDS
from visitation.facts import age_on

ON = date(2026, 12, 1)
VERDICT = {"eligible": 0, "not_eligible": 1, "indeterminate": 2}
PAIRS = [
    ("dk-national@2.0.0", "dk-national@3.0.0"),  # one family: rules matched by id
    ("dk-midtjylland@1.0.0", "dk-national@3.0.0"),  # a region against the national draft
]


@pytest.fixture(scope="module")
def cohort() -> pa.Table:
    return synthetic(400, seed=7, on=ON)


def _band(p: Patient) -> str:
    age = p.age if p.age is not None else (age_on(p.birth_date, ON) if p.birth_date else None)
    if age is None:
        return "(not recorded)"
    return next((label for up, label in AGE_BANDS if up is None or age < up))


def _expected(table: pa.Table, a: str, b: str) -> dict[str, Any]:
    """Every count of the report, computed from one evaluation per patient and rule set."""
    same = visitation.load_ruleset(a).family == visitation.load_ruleset(b).family
    rows = table.to_pylist()
    matrices: dict[str, Counter[tuple[str, str]]] = {}
    breakdown: Counter[tuple[str, str, str, str, str]] = Counter()
    movers: Counter[tuple[str, str, str, str | None, str | None]] = Counter()
    net: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        region = row.pop("region")
        row.pop("patient_id")
        patient = Patient.model_validate(row)
        ra, rb = evaluate(patient, a, on=ON), evaluate(patient, b, on=ON)
        groups = {
            "diagnosis_group": patient.diagnosis_group.value
            if patient.diagnosis_group
            else "(not recorded)",
            "age_band": _band(patient),
            "region": region,
        }
        for pa_ in ra.pathways:
            pb = next((p for p in rb.pathways if p.id == pa_.id), None)
            if pb is None:
                continue
            cell = (pa_.verdict, pb.verdict)
            matrices.setdefault(pa_.id, Counter())[cell] += 1
            for by, value in groups.items():
                breakdown[(by, value, pa_.id, *cell)] += 1
            net[(region, pa_.id, "a")] += pa_.verdict == "eligible"
            net[(region, pa_.id, "b")] += pb.verdict == "eligible"
            if pa_.verdict == pb.verdict:
                continue
            sa = {r: ra.rule(r).status for r in pa_.rules}
            sb = {r: rb.rule(r).status for r in pb.rules}
            for r in pa_.rules:
                if same and r in sb:
                    if sa[r] != sb[r]:
                        movers[(pa_.id, r, "both", sa[r], sb[r])] += 1
                elif sa[r] != "met":
                    movers[(pa_.id, r, "a", sa[r], None)] += 1
            for r in pb.rules:
                if not (same and r in sa) and sb[r] != "met":
                    movers[(pa_.id, r, "b", None, sb[r])] += 1
    return {"matrices": matrices, "breakdown": breakdown, "movers": movers, "net": net}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_the_report_equals_per_patient_evaluation(cohort: pa.Table, a: str, b: str) -> None:
    """Matrix, breakdown, movers by rule and net referrals equal the pure evaluator's."""
    report = impact(cohort, a, b, on=ON)
    want = _expected(cohort, a, b)
    assert report.patients == cohort.num_rows
    assert set(report.pathways) == set(want["matrices"])
    for p in report.pathways:
        m = report.matrix(p)
        assert {(x, y): n for x, row in m.items() for y, n in row.items() if n} == dict(
            want["matrices"][p]
        )
        assert report.moved(p) == sum(n for (x, y), n in want["matrices"][p].items() if x != y)
    got = {
        (r["by"], r["group"], r["pathway"], r["before"], r["after"]): r["patients"]
        for r in report.breakdown
        if r["patients"]
    }
    assert got == dict(want["breakdown"])
    moved = {
        (r["pathway"], r["rule"], r["side"], r["status_a"], r["status_b"]): r["patients"]
        for r in report.movers_by_rule
    }
    assert moved == dict(want["movers"])
    assert moved, "the rule change moves somebody in this cohort"
    for r in report.net_referrals_by_region:
        ea, eb = (
            want["net"][(r["region"], r["pathway"], "a")],
            want["net"][(r["region"], r["pathway"], "b")],
        )
        assert (r["eligible_a"], r["eligible_b"], r["net"]) == (ea, eb, eb - ea)
        assert r["gained"] - r["lost"] == r["net"]


def test_the_same_rule_set_moves_nobody(cohort: pa.Table) -> None:
    """A against itself: everyone on the diagonal, no movers, net zero everywhere."""
    report = impact(cohort, "dk-national@3.0.0", "dk-national@3.0.0", on=ON)
    for p in report.pathways:
        assert report.moved(p) == 0
    assert report.movers_by_rule == []
    assert all(r["net"] == 0 for r in report.net_referrals_by_region)


def test_pathways_are_matched_by_id_and_the_rest_named(cohort: pa.Table) -> None:
    """Only the pathways both rule sets have are compared; the others are listed."""
    report = impact(cohort, "dk-national@1.0.0", "dk-national@3.0.0", on=ON)
    assert report.pathways == ("hospice",)
    assert report.unmatched == {"a": [], "b": ["specialized"]}
    with pytest.raises(KeyError, match="compared: hospice"):
        report.matrix("specialized")


def test_renderings_and_display(cohort: pa.Table) -> None:
    """Text, Markdown, JSON, HTML and the Jupyter bundle all carry the same counts."""
    report = impact(cohort, "dk-national@2.0.0", "dk-national@3.0.0", on=ON, by=("region",))
    assert report.by == ("region",)
    narrow = impact(cohort, "dk-national@2.0.0", "dk-national@3.0.0", on=ON, by=("age_band",))
    assert {r["by"] for r in narrow.breakdown} == {"age_band"}
    assert narrow.net_referrals_by_region == report.net_referrals_by_region  # always by region
    assert len({r["region"] for r in report.net_referrals_by_region}) == 5
    data = json.loads(report.to_json())
    assert data["matrices"]["hospice"] == report.matrix("hospice")
    assert data["rules_matched_by_id"] is True
    text = report.render("text")
    assert f"{report.moved('specialized')} patients move" in text
    assert "| A \\ B |" in report.render("markdown")
    page = report._repr_html_()
    assert page.startswith("<div") and "<table" in page and "net referrals by region" in page
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/json"}
    with pytest.raises(ValueError, match="unknown format"):
        report.render("pdf")  # type: ignore[arg-type]


def test_html_escapes_what_comes_from_the_data() -> None:
    """A region name with markup is shown as text, never as HTML."""
    table = synthetic(50, seed=2, on=ON)
    hostile = pa.array(["<script>alert(1)</script>"] * table.num_rows)
    table = table.set_column(table.column_names.index("region"), "region", hostile)
    report = impact(table, "dk-national@2.0.0", "dk-national@3.0.0", on=ON)
    assert "<script>" not in report._repr_html_()
    assert "&lt;script&gt;" in report._repr_html_()
    result = visitation.cohort.evaluate_cohort(table, "dk-national@3.0.0", on=ON)
    assert "<script>" not in result._repr_html_()
    assert "&lt;script&gt;" in result.summary()._repr_html_()


def test_cohort_results_display_richly(cohort: pa.Table) -> None:
    """A cohort result shows its summary and first rows; its summary shows its tables."""
    result = visitation.cohort.evaluate_cohort(cohort, "dk-national@3.0.0", on=ON)
    page = result._repr_html_()
    assert "400 patients" in page and "first 5 of 400 rows" in page
    assert "verdict:hospice" in page
    bundle = result.summary()._repr_mimebundle_()
    assert bundle["application/json"]["patients"] == 400
    assert "400 patients" in bundle["text/plain"]


def test_bad_arguments_are_refused(cohort: pa.Table) -> None:
    """An unknown breakdown column or rule sets without a common pathway are refused."""
    with pytest.raises(ValueError, match="cannot break down by 'referrer'"):
        impact(cohort, "dk-national@2.0.0", "dk-national@3.0.0", on=ON, by=("referrer",))


def test_the_package_names_the_function(cohort: pa.Table) -> None:
    """``visitation.cohort.impact`` is the function (its module is private, ``_impact``)."""
    assert isinstance(
        visitation.cohort.impact(
            cohort.slice(0, 20), "dk-national@3.0.0", "dk-national@3.0.0", on=ON
        ),
        ImpactReport,
    )


def test_the_command_prints_the_report(
    cohort: pa.Table, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``visitation impact A B COHORT`` prints the report; bad input gets the usual codes."""
    import pyarrow.parquet as pq

    from visitation.cli import main

    path = tmp_path / "cohort.parquet"
    pq.write_table(cohort, path)
    a, b = PAIRS[1]
    assert main(["impact", a, b, str(path), "--on", ON.isoformat(), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matrices"] == impact(cohort, a, b, on=ON).to_dict()["matrices"]
    assert main(["impact", a, b, str(path), "--on", ON.isoformat(), "--by", "region"]) == 0
    assert "net referrals by region" in capsys.readouterr().out
    assert main(["impact", a, b, str(tmp_path / "absent.parquet"), "--on", "2026-12-01"]) == 4
    assert "no such file" in capsys.readouterr().err
    assert main(["impact", a, "no-such-family", str(path), "--on", "2026-12-01"]) == 5


def test_postgres_gives_the_same_report(postgres: Any) -> None:
    """On PostgreSQL (rows in the engine's order, aligned by id) the report is the same."""
    table = synthetic(150, seed=9, on=ON)
    a, b = PAIRS[1]
    here, there = impact(table, a, b, on=ON), impact(table, a, b, on=ON, engine=postgres)
    assert there.to_dict() == here.to_dict()


def test_a_cohort_without_regions_gets_one_net_row_per_pathway(cohort: pa.Table) -> None:
    """Without a region column the net change is for the whole cohort, row ``(all)``."""
    report = impact(cohort.drop_columns(["region"]), *PAIRS[0], on=ON)
    assert report.by == ("diagnosis_group", "age_band")
    assert [r["region"] for r in report.net_referrals_by_region] == ["(all)", "(all)"]
    for r in report.net_referrals_by_region:
        m = report.matrix(r["pathway"])
        assert r["eligible_a"] == sum(m["eligible"].values())
        assert r["eligible_b"] == sum(row["eligible"] for row in m.values())
