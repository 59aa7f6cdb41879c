"""The bundled rule sets and the choice of a version by name or date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import visitation
from visitation import NoRuleSetInForce, RuleSet, UnknownRuleSet
from visitation.load import parse_ruleset
from visitation.registry import _in_force, bundled_rules_dir
from visitation.ruleset import Leaf

MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text(encoding="utf-8")


def variant(version: str, status: str, start: str, until: str | None = None) -> RuleSet:
    text = (
        MINIMAL.replace("version: 1.0.0", f"version: {version}")
        .replace("  - version: 1.0.0", f"  - version: {version}")
        .replace("status: provisional", f"status: {status}")
        .replace('effective_from: "2020-01-01"',
                 f'effective_from: "{start}"' + (f'\neffective_until: "{until}"' if until else ""))
    )  # fmt: skip
    rs, diagnostics = parse_ruleset(text, path="x.yaml")
    assert rs is not None, diagnostics
    return rs


def test_published_wins_over_provisional_in_force_on_the_same_day() -> None:
    """When a published and a provisional version are both in force, the published one is used."""
    old = variant("1.0.0", "published", "2000-07-01")
    new = variant("2.0.0", "provisional", "2026-07-01")
    assert _in_force("demo", [old, new], date(2026, 11, 23)).version == "1.0.0"
    assert _in_force("demo", [old, new], date(2026, 6, 30)).version == "1.0.0"


def test_latest_effective_from_wins_among_equals() -> None:
    """Among published versions in force, the one that took effect last is used."""
    a = variant("1.0.0", "published", "2000-07-01", "2026-06-30")
    b = variant("2.0.0", "published", "2026-07-01")
    assert _in_force("demo", [a, b], date(2026, 6, 30)).version == "1.0.0"
    assert _in_force("demo", [a, b], date(2026, 7, 1)).version == "2.0.0"


def test_retired_and_out_of_date_versions_are_not_chosen_by_date() -> None:
    """No version in force gives an error that lists the versions and how to pin one."""
    retired = variant("1.0.0", "retired", "2000-01-01")
    expired = variant("2.0.0", "published", "2011-01-01", "2014-12-31")
    with pytest.raises(NoRuleSetInForce) as info:
        _in_force("demo", [retired, expired], date(2026, 11, 23))
    assert "2.0.0 (published, 2011-01-01–2014-12-31)" in str(info.value)
    assert "demo@X.Y.Z" in str(info.value)


def test_bundled_rule_sets_are_listed_and_load_cleanly() -> None:
    """Every bundled file loads with no errors and no warnings, at rules/<family>/<version>.yaml."""
    infos = visitation.list_rulesets()
    assert {i.family for i in infos} >= {"dk-national", "dk-midtjylland", "dk-hovedstaden"}
    for info in infos:
        assert info.path == bundled_rules_dir() / info.family / f"{info.version}.yaml"
        assert visitation.check_file(info.path) == [], info.key


def test_family_name_picks_the_version_in_force() -> None:
    """'dk-national' evaluates with the published national criteria today."""
    a = visitation.evaluate({}, "dk-national", on="2026-11-23")
    assert (a.family, a.status) == ("dk-national", "published")


def test_pinned_version_evaluates_outside_its_dates_and_says_so() -> None:
    """A pinned version is used whatever the date; the Assessment says it was not in force."""
    a = visitation.evaluate({}, "dk-midtjylland@1.0.0", on="2026-11-23")
    assert a.in_force is False


def test_unknown_family_and_version() -> None:
    """Unknown names give a suggestion and the list of what exists."""
    with pytest.raises(UnknownRuleSet, match="did you mean 'dk-national'"):
        visitation.load_ruleset("dk-nationl@1.0.0")
    with pytest.raises(UnknownRuleSet, match="versions: "):
        visitation.load_ruleset("dk-national@9.9.9")


def test_rule_file_by_path(tmp_path: Path) -> None:
    """A path to a rule file works wherever a rule set name does."""
    f = tmp_path / "demo.yaml"
    f.write_text(MINIMAL, encoding="utf-8")
    assert visitation.evaluate({"age": 17}, f, on="2026-11-23").verdicts == {
        "hospice": "not_eligible"
    }
    assert visitation.evaluate({"age": 17}, str(f), on="2026-11-23").family == "demo"


def test_rule_set_made_in_python_is_checked_before_use() -> None:
    """A RuleSet built in code (not read from a file) gets the same checks before it is
    compiled, so an unknown fact is an error rather than a rule that is always unknown."""
    rs = variant("1.0.0", "published", "2020-01-01")
    bad = rs.model_copy(
        update={
            "rules": [
                rs.rules[0].model_copy(
                    update={"when": Leaf.model_validate({"fact": "agee", "at_least": 18})}
                )
            ]
        }
    )
    with pytest.raises(visitation.RuleFileError, match="unknown-fact: unknown fact 'agee'"):
        visitation.evaluate({}, bad, on="2026-11-23")
