"""The plot helpers count what the per-patient results say, and draw valid Vega-Lite."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from visitation import FACTS, CompiledRuleSet, Patient, evaluate_core, facts_of, resolve
from visitation.cohort import CohortResult, evaluate_cohort, plots, synthetic

ROOT = Path(__file__).resolve().parents[2]
ON = "2026-11-23"
OLD, NEW = "dk-national@1.0.0", "dk-national@2.0.0"


@cache
def cohort() -> pa.Table:
    return synthetic(300, seed=7)


@cache
def result(key: str) -> CohortResult:
    return evaluate_cohort(cohort(), key, on=ON)


def _kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


@pytest.mark.parametrize(
    ("key", "pathway"), [(NEW, "specialized"), (NEW, "hospice"), (OLD, "hospice")]
)
def test_funnel_steps_are_the_running_three_valued_and(key: str, pathway: str) -> None:
    """Each funnel step counts the patients by the Kleene AND of the pathway's rules so far
    (computed here row by row), and the last step is the pathway's verdict count."""
    r = result(key)
    program = resolve(key, r.on)
    rule_ids = [program.rules[i].rule.id for i in dict(program.pathways)[pathway]]
    rows = plots.funnel_rows(r, pathway)
    assert [row["rule"] for row in rows[::3]] == ["(all patients)", *rule_ids]
    assert all(
        sum(row["patients"] for row in rows[k : k + 3]) == len(r) for k in range(0, len(rows), 3)
    )
    table = r.table.to_pylist()
    running: list[bool | None] = [True] * len(table)
    for step, rule_id in enumerate(rule_ids, start=1):
        running = [_kleene_and(acc, row[rule_id]) for acc, row in zip(running, table, strict=True)]
        want = {
            "met so far": running.count(True),
            "still open": running.count(None),
            "out": running.count(False),
        }
        got = {row["state"]: row["patients"] for row in rows if row["step"] == step}
        assert got == want, rule_id
    verdicts = next(p for p in r.summary().pathways if p["pathway"] == pathway)
    assert (got["met so far"], got["still open"], got["out"]) == (
        verdicts["eligible"], verdicts["indeterminate"], verdicts["not_eligible"])  # fmt: skip


def test_transitions_match_patients_by_id_not_by_row() -> None:
    """The transition counts pair each patient's verdicts by id (the second result's rows
    reversed), agree with the reference evaluator and sum to each group's size."""
    before = result(OLD)
    reversed_cohort = cohort().take(pa.array(range(cohort().num_rows - 1, -1, -1)))
    after = evaluate_cohort(reversed_cohort, NEW, on=ON)
    rows = plots.transition_rows(before, after, "hospice", by="diagnosis_group")
    old_program, new_program = resolve(OLD, before.on), resolve(NEW, before.on)

    def verdict(program: CompiledRuleSet, facts: Mapping[str, Any]) -> str:
        core = evaluate_core(program, facts, before.on)
        v = dict(zip([p for p, _ in program.pathways], core.verdicts, strict=True))["hospice"]
        return "indeterminate" if v is None else "eligible" if v else "not_eligible"

    want: Counter[tuple[str, str, str]] = Counter()
    for row in cohort().to_pylist():
        patient = Patient.model_validate(
            {k: v for k, v in row.items() if k in FACTS and v is not None}
        )
        facts = facts_of(patient)
        group = row["diagnosis_group"] or "(not recorded)"
        want[(group, verdict(old_program, facts), verdict(new_program, facts))] += 1
    got = {(r["group"], r["before"], r["after"]): r["patients"] for r in rows}
    assert {k: v for k, v in got.items() if v} == dict(want)
    assert len(rows) == 9 * len({r["group"] for r in rows})  # zeros listed too
    assert sum(got.values()) == len(before)


def test_shares_sum_to_one_per_group_and_rule_set() -> None:
    """Per rule set and group, the verdict shares add up to 1 and the counts to the group."""
    rows = plots.share_rows([result(OLD), result(NEW)], "hospice", by="age_band")
    sizes = Counter(v or "(not recorded)" for v in result(NEW).table.column("age_band").to_pylist())
    for key in (OLD, NEW):
        for group, size in sizes.items():
            mine = [r for r in rows if r["ruleset"] == key and r["group"] == group]
            assert [r["verdict"] for r in mine] == list(plots.VERDICTS)
            assert sum(r["patients"] for r in mine) == size
            assert sum(r["share"] for r in mine) == pytest.approx(1.0)


def test_bad_arguments_name_what_there_is() -> None:
    """An unknown pathway or grouping column, or two different cohorts, is a ValueError
    that names what there is."""
    with pytest.raises(ValueError, match=r"no pathway 'specialized'; its pathways: hospice"):
        plots.funnel_rows(result(OLD), "specialized")
    with pytest.raises(
        ValueError, match=r"no pathway 'specialised'; its pathways: specialized, hospice"
    ):
        plots.share_rows(result(NEW), "specialised")
    with pytest.raises(
        ValueError,
        match=r"no column 'diagnosis'; group by one of: age_band, diagnosis_group, region",
    ):
        plots.transition_rows(result(OLD), result(NEW), "hospice", by="diagnosis")
    fewer = evaluate_cohort(cohort().slice(0, 10), NEW, on=ON)
    with pytest.raises(ValueError, match="do not hold the same patients"):
        plots.transition_rows(result(OLD), fewer, "hospice")


def test_charts_render_to_static_svg_without_a_browser() -> None:
    """Each chart is valid Vega-Lite (altair validates it) and vl-convert renders it to an
    SVG holding its title and axis labels."""
    import vl_convert

    charts = {
        "funnel of pathway 'hospice'": plots.funnel(result(NEW), "hospice"),
        "dk-national@1.0.0 → dk-national@2.0.0": plots.transitions(
            result(OLD), result(NEW), "hospice", by="diagnosis_group"
        ),
        "verdicts per diagnosis_group": plots.fairness([result(OLD), result(NEW)], "hospice"),
    }
    for title, chart in charts.items():
        svg = vl_convert.vegalite_to_svg(chart.to_dict())
        assert svg.startswith("<svg"), title
        assert title.replace("'", "&apos;") in svg or title in svg, title
    assert "hospice.curative-ended" in vl_convert.vegalite_to_svg(
        charts["funnel of pathway 'hospice'"].to_dict()
    )


def test_charts_without_altair_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without altair the chart functions raise ImportError with the extra's install hint;
    the counting functions still work."""
    monkeypatch.setitem(sys.modules, "altair", None)
    with pytest.raises(
        ImportError, match=r"pip install 'visitation\[notebook\]' \(missing: altair\)"
    ):
        plots.funnel(result(NEW), "hospice")
    assert plots.funnel_rows(result(NEW), "hospice")[0]["patients"] == len(result(NEW))


def test_impact_rows_agree_with_the_per_patient_transitions() -> None:
    """The transition rows drawn from visitation.cohort.impact's report equal those counted
    from the two per-patient results, overall and per diagnosis group, and an impact chart
    renders."""
    import vl_convert

    from visitation.cohort import impact

    report = impact(cohort(), OLD, NEW, on=ON)
    for by in (None, "diagnosis_group", "region"):
        assert plots.impact_rows(report, "hospice", by=by) == plots.transition_rows(
            result(OLD), result(NEW), "hospice", by=by
        ), by
    with pytest.raises(
        ValueError, match=r"not broken down by 'sex'; by one of: diagnosis_group, age_band, region"
    ):
        plots.impact_rows(report, "hospice", by="sex")
    with pytest.raises(KeyError, match="compared: hospice"):
        plots.impact_rows(report, "specialized")
    svg = vl_convert.vegalite_to_svg(plots.impact_transitions(report, "hospice").to_dict())
    assert "dk-national@1.0.0 → dk-national@2.0.0" in svg


def test_funnel_of_a_draft_on_disk_needs_its_rules(tmp_path: Path) -> None:
    """A result evaluated with a draft file whose key is also a bundled rule set's (but
    whose content differs) is refused unless the draft is passed as rules=, and then the
    funnel follows the draft."""
    (tmp_path / "dk-national").mkdir()
    draft = tmp_path / "dk-national" / "2.0.0.yaml"
    text = (ROOT / "rules" / "dk-national" / "2.0.0.yaml").read_text(encoding="utf-8")
    draft.write_text(text.replace("within_days: 30", "within_days: 14", 1), encoding="utf-8")
    r = evaluate_cohort(cohort(), str(draft), on=ON)
    assert r.ruleset_key == NEW and r.content_hash != result(NEW).content_hash
    with pytest.raises(
        ValueError,
        match=r"evaluated with dk-national@2\.0\.0 .* pass the rules it was evaluated with as rules=",
    ):
        plots.funnel_rows(r, "hospice")
    rows = plots.funnel_rows(r, "hospice", rules=str(draft))
    verdicts = next(p for p in r.summary().pathways if p["pathway"] == "hospice")
    assert rows[-3]["patients"] == verdicts["eligible"]
    needs = {
        row["state"]: row["patients"] for row in rows if row["rule"] == "basic.needs-assessment"
    }
    bundled = {
        row["state"]: row["patients"]
        for row in plots.funnel_rows(result(NEW), "hospice")
        if row["rule"] == "basic.needs-assessment"
    }
    assert needs["met so far"] < bundled["met so far"]  # 14 days admits fewer than 30
