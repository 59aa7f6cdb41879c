"""The Library: the one owner of rule files, checked and compiled forms, and explainers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import visitation
from visitation import Library
from visitation.evaluate import EARLIEST, LATEST, as_date
from visitation.registry import bundled_rules_dir

ON = date(2026, 11, 23)


def test_libraries_do_not_share_caches() -> None:
    """Two libraries compile independently; one library compiles a rule set once."""
    a, b = Library(), Library()
    pa, pb = a.resolve("dk-national@2.0.0", ON), b.resolve("dk-national@2.0.0", ON)
    assert pa is not pb and pa.content_hash == pb.content_hash
    assert a.resolve("dk-national@2.0.0", ON) is pa


def test_caches_are_bounded() -> None:
    """A library keeps at most max_programs compiled rule sets (an author editing in a loop)."""
    lib = Library(max_programs=2)
    base = lib.load("dk-national@2.0.0")
    programs = [lib.compile(base.model_copy(update={"publisher": f"edit {i}"})) for i in range(5)]
    assert len({p.content_hash for p in programs}) == 5
    assert len(lib._programs) <= 2


def test_the_same_ruleset_object_is_a_lookup() -> None:
    """Passing the same RuleSet object again returns the same compiled rule set."""
    lib = Library()
    rs = lib.load("dk-national@1.0.0")
    copy = rs.model_copy(update={"publisher": rs.publisher})
    assert lib.compile(rs) is lib.compile(rs) is lib.compile(copy)


def test_a_rule_directory_of_ones_own(tmp_path: Path) -> None:
    """A region keeps its own files beside the bundled ones without forking."""
    shutil.copytree(bundled_rules_dir() / "dk-hovedstaden", tmp_path / "dk-mine")
    text = (tmp_path / "dk-mine" / "1.0.0.yaml").read_text(encoding="utf-8")
    (tmp_path / "dk-mine" / "1.0.0.yaml").write_text(
        text.replace("family: dk-hovedstaden", "family: dk-mine"), encoding="utf-8"
    )
    lib = Library([tmp_path])
    assert "dk-mine" in lib.families() and "dk-national" in lib.families()
    a = visitation.evaluate({}, "dk-mine@1.0.0", on=ON, library=lib)
    assert a.family == "dk-mine"
    only = Library([tmp_path], bundled=False)
    assert only.families() == ["dk-mine"]
    with pytest.raises(visitation.UnknownRuleSet, match="no rule set family 'dk-national'"):
        only.load("dk-national@1.0.0")


def test_a_family_in_two_directories_is_an_error(tmp_path: Path) -> None:
    """A family found in two rule directories is refused, naming both."""
    shutil.copytree(bundled_rules_dir() / "dk-national", tmp_path / "dk-national")
    with pytest.raises(visitation.UnknownRuleSet, match="two rule directories"):
        Library([tmp_path])


@pytest.mark.parametrize("on", ["0001-01-01", "1899-12-31", "2200-01-01", date(9999, 1, 1)])
def test_evaluation_dates_outside_the_range_are_refused(on: str | date) -> None:
    """An evaluation date outside the library's range is a clear error, not an overflow."""
    with pytest.raises(ValueError, match="outside the dates the library evaluates on"):
        visitation.evaluate({"eortc_date": "2026-01-01"}, "dk-national@2.0.0", on=on)


@pytest.mark.parametrize("on", [EARLIEST, LATEST])
def test_every_bundled_rule_set_evaluates_at_both_ends_of_the_range(on: date) -> None:
    """Every bundled rule set evaluates on the first and the last date the library accepts,
    with date facts at the far start of the calendar (a date after the evaluation date is
    refused as a contradiction)."""
    far = {"eortc_date": date.min, "advice_date": date.min, "terminal_declaration_date": date.min}
    for info in visitation.list_rulesets():
        a = visitation.evaluate(far, info.key, on=as_date(on))
        assert a.evaluated_on == on
