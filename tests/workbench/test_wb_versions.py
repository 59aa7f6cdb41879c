"""The checks across the versions of a family: each one located, with its code, on a draft
made as an author would (a copy of a bundled file, edited); and the bundled families pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from wb_helpers import entry, line_of, make_draft

import visitation
import visitation.cli
from visitation import Code, Diagnostic
from visitation.registry import bundled_rules_dir
from visitation.workbench import LOCK_NAME, check_versions, lock_lines, read_lock

NATIONAL = "dk-national/2.0.0.yaml"
EORTC = "when: {fact: eortc_date, within_days: 30}"
LATEST = "dk-national/3.0.0.yaml"
SCREENING = "- {fact: eortc_date, within_days: 30}"
LATER = [('effective_from: "2026-12-01"', 'effective_from: "2027-01-01"')]
CONSENT_TITLE = 'en: "The patient wishes the referral (consent)"}'


def _codes(found: list[Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


def _only(found: list[Diagnostic], code: Code) -> Diagnostic:
    hits = [d for d in found if d.code == code]
    assert len(hits) == 1, "\n".join(map(str, found))
    return hits[0]


@pytest.mark.parametrize("info", visitation.list_rulesets(), ids=lambda i: i.key)
def test_every_bundled_version_passes_the_checks_across_versions(
    info: visitation.RuleSetInfo,
) -> None:
    """Each bundled file, among its family's other versions, has no cross-version problem."""
    assert check_versions(info.path) == []


def test_every_family_locks_its_released_versions() -> None:
    """Each bundled family has a released.lock holding exactly its released versions."""
    for family in visitation.default_library().families():
        lock, problems = read_lock(bundled_rules_dir() / family / LOCK_NAME)
        assert lock is not None and not problems, family
        versions = [i for i in visitation.list_rulesets() if i.family == family]
        want = lock_lines([visitation.load_ruleset(i.key) for i in versions])
        got = [f"{v} {h}" for v, (h, _) in sorted(lock.entries.items())]
        assert got == want, family


def test_a_verdict_change_without_a_major_step_is_an_error_at_the_condition(
    tmp_path: Path,
) -> None:
    """The EORTC limit moved from 30 to 14 days in a MINOR version: needs-major-version,
    located at the changed condition, naming the next free MAJOR version."""
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.1.0",
        [(EORTC, EORTC.replace("30", "14"))],
        entry("2.1.0", "basic.needs-assessment:changed"),
    )
    d = _only(check_versions(path), Code.NEEDS_MAJOR_VERSION)
    assert (d.path, d.line, d.col) == (str(path), line_of(path, "within_days: 14"), 5)
    assert "rule 'basic.needs-assessment' changed its condition" in d.message
    assert "2.1.0 is only a MINOR step from 2.0.0" in d.message
    assert d.hint is not None and "4.0.0" in d.hint  # 3.0.0 is taken


def test_an_added_rule_without_a_major_step_is_an_error_at_the_rule(tmp_path: Path) -> None:
    """A rule added (a copy of hospice.adult) in a MINOR version: needs-major-version at the
    rule's id; the pathway's new member is not reported a second time."""
    source = (bundled_rules_dir() / NATIONAL).read_text(encoding="utf-8")
    start = source.index("  - id: hospice.adult\n")
    block = source[start : source.index("  - id:", start + 5)]
    copy = block.replace("hospice.adult", "hospice.adult-again")
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.1.0",
        [(block, block + copy)],
        entry("2.1.0", "hospice.adult-again:added"),
    )
    found = check_versions(path)
    d = _only(found, Code.NEEDS_MAJOR_VERSION)
    assert d.line == line_of(path, "id: hospice.adult-again")
    assert "rule 'hospice.adult-again' was added" in d.message


def test_a_major_step_accepts_the_same_changes(tmp_path: Path) -> None:
    """An EORTC change as 4.0.0 (after 3.0.0), with its change entry, passes."""
    path = make_draft(
        tmp_path,
        LATEST,
        "4.0.0",
        [(SCREENING, SCREENING.replace("30", "14")), *LATER],
        entry("4.0.0", "basic.screening-current:changed"),
    )
    assert check_versions(path) == []


def test_wording_without_a_minor_step_is_an_error(tmp_path: Path) -> None:
    """A rule's English title reworded in a PATCH version: needs-minor-version at the rule."""
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.0.1",
        [(CONSENT_TITLE, 'en: "The patient consents to the referral"}')],
        entry("2.0.1", "basic.consent:reworded"),
    )
    d = _only(check_versions(path), Code.NEEDS_MINOR_VERSION)
    assert d.line == line_of(path, "id: basic.consent")
    assert "changed its title (en)" in d.message and "PATCH step" in d.message
    assert d.hint is not None and "2.1.0" in d.hint


def test_a_note_alone_is_a_patch(tmp_path: Path) -> None:
    """A change of the file's dates_note only needs a PATCH version, and no change entry
    naming a rule."""
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.0.1",
        [("dates_note: >-\n  Inferred.", "dates_note: >-\n  Inferred!")],
    )
    assert check_versions(path) == []


def test_a_change_list_that_omits_a_changed_rule_is_an_error(tmp_path: Path) -> None:
    """A reworded rule that the change entry does not name: changes-incomplete at the rule,
    with the entry to add."""
    path = make_draft(tmp_path, NATIONAL, "2.1.0", [(CONSENT_TITLE, 'en: "The patient consents"}')])
    d = _only(check_versions(path), Code.CHANGES_INCOMPLETE)
    assert d.line == line_of(path, "id: basic.consent")
    assert d.hint == "add {id: basic.consent, change: changed, note: …} to the rules of that entry"


def test_a_removed_rule_must_be_named(tmp_path: Path) -> None:
    """A rule removed (basic.gp-informed) without an entry: changes-incomplete at the
    change entry, as 'removed'."""
    source = (bundled_rules_dir() / NATIONAL).read_text(encoding="utf-8")
    start = source.index("  - id: basic.gp-informed\n")
    block = source[start : source.index("  - id:", start + 5)]
    path = make_draft(tmp_path, NATIONAL, "2.1.0", [(block, "")], entry("2.1.0"))
    found = [d for d in check_versions(path) if d.code == Code.CHANGES_INCOMPLETE]
    assert len(found) == 1 and "'basic.gp-informed' was removed" in found[0].message
    assert found[0].line == line_of(path, "  - version: 2.1.0")


def test_a_change_kind_that_hides_a_verdict_change_is_an_error(tmp_path: Path) -> None:
    """'reworded' for a changed condition: changes-kind at the entry's change."""
    path = make_draft(
        tmp_path,
        LATEST,
        "4.0.0",
        [(SCREENING, SCREENING.replace("30", "14")), *LATER],
        entry("4.0.0", "basic.screening-current:reworded"),
    )
    d = _only(check_versions(path), Code.CHANGES_KIND)
    assert d.line == line_of(path, "change: reworded")
    assert d.col == line_of_col(path, "change: reworded")
    assert "only reworded" in d.message and d.hint == "write changed"


def line_of_col(path: Path, text: str) -> int:
    """The column where ``text`` starts on its line."""
    line = path.read_text(encoding="utf-8").splitlines()[line_of(path, text) - 1]
    return line.index(text) + 1


def test_added_for_a_rule_the_previous_version_has_is_an_error(tmp_path: Path) -> None:
    """'added' for a rule 2.0.0 already has: changes-kind."""
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.1.0",
        [(CONSENT_TITLE, 'en: "The patient consents"}')],
        entry("2.1.0", "basic.consent:added"),
    )
    d = _only(check_versions(path), Code.CHANGES_KIND)
    assert "2.0.0 has it already" in d.message


def test_dates_that_run_backwards_are_an_error(tmp_path: Path) -> None:
    """4.0.0 starting before 3.0.0: effective-dates at effective_from."""
    path = make_draft(
        tmp_path,
        LATEST,
        "4.0.0",
        [('effective_from: "2026-12-01"', 'effective_from: "2026-08-01"')],
    )
    found = [
        d
        for d in check_versions(path)
        if d.code == Code.EFFECTIVE_DATES and "the older 3.0.0 starts later" in d.message
    ]
    assert len(found) == 1, "\n".join(map(str, found))
    assert found[0].line == line_of(path, "effective_from:")
    assert found[0].message.endswith("the dates run backwards")


def test_a_same_day_start_is_not_an_overlap(tmp_path: Path) -> None:
    """A MINOR version starting on the same day as 3.0.0 (the higher wins): no problem."""
    path = make_draft(
        tmp_path,
        "dk-national/3.0.0.yaml",
        "3.1.0",
        [("dates_note: >-\n  Inferred.", "dates_note: >-\n  Inferred!")],
    )
    assert [d for d in check_versions(path) if d.code == Code.EFFECTIVE_DATES] == []


def test_an_older_version_that_runs_into_a_newer_one_is_an_overlap(tmp_path: Path) -> None:
    """2.1.0 in force until after 3.0.0 starts: effective-dates at its effective_until."""
    path = make_draft(
        tmp_path,
        NATIONAL,
        "2.0.1",
        [
            (
                'effective_from: "2026-07-01"',
                'effective_from: "2026-07-01"\neffective_until: "2026-12-31"',
            )
        ],
    )
    found = [d for d in check_versions(path) if d.code == Code.EFFECTIVE_DATES]
    assert found and all(d.line == line_of(path, "effective_until:") for d in found)
    assert any(
        "on or after 3.0.0 starts (2026-12-01): the versions overlap" in d.message for d in found
    )


def test_published_with_provisional_wording_is_an_error(tmp_path: Path) -> None:
    """status: published under a title that still says provisional: provisional-wording,
    once per language, at the title (and at the publisher, which says so too)."""
    path = make_draft(tmp_path, NATIONAL, "2.1.0", [("status: provisional", "status: published")])
    found = [d for d in check_versions(path) if d.code == Code.PROVISIONAL_WORDING]
    assert [d.line for d in found] == [
        line_of(path, "publisher:"),
        line_of(path, '  da: "National'),
        line_of(path, '  en: "National'),
    ]
    assert "its publisher" in found[0].message
    assert "'foreløbig'" in found[1].message and "'provisional'" in found[2].message


def _released_copy(tmp_path: Path) -> Path:
    """A family directory holding the released 1.0.0 and its lock line only."""
    folder = tmp_path / "dk-national"
    folder.mkdir()
    shutil.copy(bundled_rules_dir() / "dk-national" / "1.0.0.yaml", folder / "1.0.0.yaml")
    lock = (bundled_rules_dir() / "dk-national" / LOCK_NAME).read_text(encoding="utf-8")
    kept = [
        line for line in lock.splitlines() if not line[:1].isdigit() or line.startswith("1.0.0 ")
    ]
    (folder / LOCK_NAME).write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


def test_an_edit_to_a_released_file_is_an_error(tmp_path: Path) -> None:
    """1.0.0 edited in place (a rule's title): released-changed at the version, with both
    hashes; a comment alone changes nothing."""
    folder = _released_copy(tmp_path)
    path = folder / "1.0.0.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text("# a comment\n" + text, encoding="utf-8")
    assert check_versions(path) == []
    path.write_text(text.replace("Forventet kort levetid", "Kort levetid", 1), encoding="utf-8")
    d = _only(check_versions(path), Code.RELEASED_CHANGED)
    assert d.line == line_of(path, "version: 1.0.0")
    assert "dk-national@1.0.0 was released with sha256:" in d.message


def test_a_release_missing_from_the_lock_is_an_error(tmp_path: Path) -> None:
    """A published version with no line in the lock: release-not-locked at its status,
    with the line to add; `visitation lock` adds it."""
    folder = _released_copy(tmp_path)
    (folder / LOCK_NAME).write_text("# empty\n", encoding="utf-8")
    path = folder / "1.0.0.yaml"
    d = _only(check_versions(path), Code.RELEASE_NOT_LOCKED)
    assert d.line == line_of(path, "status: published")
    assert d.hint is not None and d.hint.startswith("add the line '1.0.0 sha256:")
    assert visitation.cli.main(["lock", str(folder)]) == 0
    assert check_versions(path) == []


def test_a_lock_line_whose_file_is_gone_and_a_bad_line_are_errors(tmp_path: Path) -> None:
    """released-missing and lock-syntax point into the lock file."""
    folder = _released_copy(tmp_path)
    lock = folder / LOCK_NAME
    lock.write_text(lock.read_text() + "0.9.0 sha256:" + "0" * 64 + "\nnonsense\n")
    found = check_versions(folder / "1.0.0.yaml")
    assert sorted(_codes(found)) == ["lock-syntax", "released-missing"]
    assert all(d.path == str(lock) for d in found)
    assert [d.line for d in found] == [line_of(lock, "0.9.0"), line_of(lock, "nonsense")]


def test_the_previous_version_is_the_one_the_change_list_names() -> None:
    """2.0.0 is measured against 1.0.0, which its change list follows, not against 1.1.0,
    made later for the 1.x line; a version whose list names none at hand takes the highest
    below it."""
    from visitation.workbench.versions import previous_version

    national = {
        i.version: visitation.load_ruleset(i.key)
        for i in visitation.list_rulesets()
        if i.family == "dk-national"
    }
    two = national.pop("2.0.0")
    previous = previous_version(two, national)
    assert previous is not None and previous.version == "1.0.0"
    bare = two.model_copy(update={"changes": [two.changes[0]]})
    previous = previous_version(bare, national)
    assert previous is not None and previous.version == max(
        (v for v in national if v < "2.0.0"), key=lambda v: tuple(map(int, v.split(".")))
    )
