"""The summary: counts per pathway, rule and group equal the reference's counts."""

from __future__ import annotations

from collections import Counter
from datetime import date

from visitation import evaluate_core, facts_of, resolve
from visitation.cohort import evaluate_cohort, synthetic
from visitation.cohort._patients import from_patients

ON = date(2026, 11, 23)


def test_counts_equal_the_reference_evaluator() -> None:
    """Verdict and status counts (and the diagnosis-group split) equal a loop over evaluate_core."""
    from visitation import Patient

    table = synthetic(400, seed=2, on=ON)
    rows = table.drop_columns(["patient_id", "region"]).to_pylist()
    patients = [Patient.model_validate(r) for r in rows]
    compiled = resolve("dk-national@2.0.0", ON)
    summary = evaluate_cohort(from_patients(patients), compiled, on=ON).summary()
    cores = [evaluate_core(compiled, facts_of(p), ON) for p in patients]
    word = {True: "eligible", False: "not_eligible", None: "indeterminate"}
    for j, (pid, _) in enumerate(compiled.pathways):
        expected = Counter(word[c.verdicts[j]] for c in cores)
        row = next(r for r in summary.pathways if r["pathway"] == pid)
        assert {k: row[k] for k in expected} == dict(expected)
    status = {True: "met", False: "not_met", None: "unknown"}
    for i, cr in enumerate(compiled.rules):
        expected = Counter(status[c.statuses[i]] for c in cores)
        row = next(r for r in summary.rules if r["rule"] == cr.rule.id)
        assert {k: row[k] for k in expected} == dict(expected)
    by_group = summary.groups["diagnosis_group"]
    cancer = [r for r in by_group if r["diagnosis_group"] == "cancer" and r["pathway"] == "hospice"]
    want = Counter(word[c.verdicts[1]] for p, c in zip(patients, cores, strict=True)
                   if p.diagnosis_group is not None and p.diagnosis_group.value == "cancer")  # fmt: skip
    assert {k: cancer[0][k] for k in want} == dict(want)


def test_render_prints_one_table_per_view() -> None:
    """render() has the pathway, rule, age band, diagnosis group and region tables."""
    text = (
        evaluate_cohort(synthetic(300, seed=1, on=ON), "dk-national@1.0.0", on=ON)
        .summary()
        .render()
    )
    for header in ("pathway ", "rule ", "age_band ", "diagnosis_group ", "region "):
        assert any(line.startswith(header) for line in text.splitlines()), header
