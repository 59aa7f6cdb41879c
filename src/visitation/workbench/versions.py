"""Checks across the versions of a family, each a located diagnostic with a code.

- ``needs-major-version`` / ``needs-minor-version``: the step from the previous version
  is smaller than the largest impact of the diff (:mod:`visitation.workbench.diff`);
- ``changes-incomplete``: this version's change entry does not name a rule that changed;
  ``changes-kind``: it names one with the wrong kind (``added`` for a rule the previous
  version has, ``reworded`` for one whose status can change, ...);
- ``effective-dates``: a newer version starts before an older one, or an older one's
  ``effective_until`` reaches into a newer one (a same-day start is fine: the higher
  version wins on that date);
- ``provisional-wording``: a ``published`` or ``retired`` file whose title or pathway
  titles still say provisional or draft;
- ``released-changed``, ``release-not-locked``, ``released-missing``, ``lock-syntax``: the
  family's ``released.lock`` (version → content hash of every published or retired
  version) against the files.

"The other versions at hand" of a file ``<dir>/<family>/<version>.yaml`` (a file named
otherwise is checked on its own) are the other
``<version>.yaml`` files beside it and, for versions not among them, the versions of the
same family in the library (the bundled files and the rule directories).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from visitation import (
    Code,
    Diagnostic,
    Library,
    RuleFileError,
    RuleSet,
    UnknownRuleSet,
    YamlDocument,
    content_hash,
    load_yaml,
)
from visitation.workbench.diff import ItemChange, RuleSetDiff, compare, rank, step

__all__ = [
    "LOCK_NAME",
    "Lock",
    "check_against",
    "check_dates",
    "check_path",
    "check_released",
    "check_wording",
    "lock_lines",
    "previous_version",
    "read_lock",
    "versions_at_hand",
]

LOCK_NAME = "released.lock"
_SEMVER = re.compile(r"\d+\.\d+\.\d+")
_LOCK_LINE = re.compile(r"(\d+\.\d+\.\d+)\s+(sha256:[0-9a-f]{64})")
_RELEASED = ("published", "retired")

PROVISIONAL_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("provisional", "draft", "preliminary", "not yet public", "not final"),
    "da": ("foreløbig", "udkast", "ikke offentliggjort", "ikke endelig"),
}
"""Words that say a text is not final; a published file's titles must not use them."""


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


# --------------------------------------------------------------------------------------
# The lock file
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lock:
    """A family's ``released.lock``: version → (content hash, line number)."""

    path: Path
    entries: Mapping[str, tuple[str, int]]


def read_lock(path: Path) -> tuple[Lock | None, list[Diagnostic]]:
    """The lock file at ``path`` (None when there is none), and its syntax errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic(Code.LOCK_SYNTAX, f"cannot read the lock file: {exc}", str(path))]
    entries: dict[str, tuple[str, int]] = {}
    problems: list[Diagnostic] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LOCK_LINE.fullmatch(line)
        if m is None:
            problems.append(
                Diagnostic(
                    Code.LOCK_SYNTAX,
                    f"cannot read {line[:60]!r}",
                    str(path),
                    n,
                    1,
                    hint="each line is '<version> sha256:<64 hex digits>'",
                )
            )
        elif m[1] in entries:
            problems.append(
                Diagnostic(
                    Code.LOCK_SYNTAX,
                    f"version {m[1]} is locked twice (first on line {entries[m[1]][1]})",
                    str(path),
                    n,
                    1,
                )
            )
        else:
            entries[m[1]] = (m[2], n)
    return Lock(path, entries), problems


def lock_lines(rulesets: Sequence[RuleSet]) -> list[str]:
    """The lock lines of the released (published or retired) versions, oldest first."""
    released = sorted(
        (rs for rs in rulesets if rs.status in _RELEASED), key=lambda r: _version_key(r.version)
    )
    return [f"{rs.version} {content_hash(rs)}" for rs in released]


def check_released(rs: RuleSet, doc: YamlDocument, lock: Lock | None) -> list[Diagnostic]:
    """A released file against its line in the lock (nothing when there is no lock)."""
    if lock is None:
        return []
    out: list[Diagnostic] = []
    digest = content_hash(rs)
    locked = lock.entries.get(rs.version)
    if locked is not None and locked[0] != digest:
        out.append(
            doc.diagnostic(
                Code.RELEASED_CHANGED,
                f"{rs.key} was released with {locked[0][:19]}… ({lock.path.name} line "
                f"{locked[1]}), but this file's content is {digest[:19]}…",
                ("version",),
                hint="a released file never changes: undo the edit, and put the change in a "
                "new version",
            )
        )
    elif locked is None and rs.status in _RELEASED:
        out.append(
            doc.diagnostic(
                Code.RELEASE_NOT_LOCKED,
                f"{rs.key} is {rs.status} but {lock.path.name} has no line for it",
                ("status",),
                hint=f"add the line '{rs.version} {digest}' (visitation lock {lock.path.parent})",
            )
        )
    return out


def _missing_locked(lock: Lock, present: set[str]) -> list[Diagnostic]:
    return [
        Diagnostic(
            Code.RELEASED_MISSING,
            f"version {version} was released, but its file is gone",
            str(lock.path),
            line,
            1,
            hint="a released version stays: put its file back (retire it with a new version)",
        )
        for version, (_, line) in lock.entries.items()
        if version not in present
    ]


# --------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------


def check_wording(rs: RuleSet, doc: YamlDocument) -> list[Diagnostic]:
    """``provisional-wording``: a released file whose title, pathway titles or publisher
    say it is not final."""
    if rs.status not in _RELEASED:
        return []
    out: list[Diagnostic] = []
    places: list[tuple[tuple[str | int, ...], Mapping[str, str]]] = [(("title",), rs.title)]
    places += [(("pathways", pid, "title"), p.title) for pid, p in rs.pathways.items()]
    publisher = rs.publisher  # a plain string (older files) or a text per language
    if isinstance(publisher, str):
        places.append((("publisher",), {rs.languages[0]: publisher}))
    else:
        places.append((("publisher",), publisher))
    for loc, texts in places:
        for lang, text in texts.items():
            words = [*PROVISIONAL_WORDS.get(lang, ()), *PROVISIONAL_WORDS["en"]]
            found = next((w for w in words if w in text.casefold()), None)
            if found:
                plain = loc == ("publisher",) and isinstance(rs.publisher, str)
                where = "" if plain else f" ({lang})"
                out.append(
                    doc.diagnostic(
                        Code.PROVISIONAL_WORDING,
                        f"the file is {rs.status}, but its {'.'.join(map(str, loc))}{where} "
                        f"says {found!r}",
                        loc if plain else (*loc, lang),
                        hint="reword it for the final guideline, or keep the status provisional",
                    )
                )
    return out


def check_dates(rs: RuleSet, doc: YamlDocument, others: Mapping[str, RuleSet]) -> list[Diagnostic]:
    """``effective-dates``: versions that start backwards or overlap, against ``rs``."""
    out: list[Diagnostic] = []
    mine = _version_key(rs.version)
    for version, other in sorted(others.items(), key=lambda kv: _version_key(kv[0])):
        if version == rs.version:
            continue
        older, newer = (other, rs) if _version_key(version) < mine else (rs, other)
        if newer.effective_from < older.effective_from:
            where = ("effective_from",)
            out.append(
                doc.diagnostic(
                    Code.EFFECTIVE_DATES,
                    f"{newer.version} starts on {newer.effective_from} but the older "
                    f"{older.version} starts later, on {older.effective_from}: the dates run "
                    "backwards",
                    where,
                    hint="a newer version starts on or after the older one (the same day is "
                    "fine: the higher version wins)",
                )
            )
        elif (
            older.effective_until is not None
            and older.effective_until >= newer.effective_from
            and newer.effective_from != older.effective_from  # superseded from its first day
        ):
            where = ("effective_until",) if older is rs else ("effective_from",)
            out.append(
                doc.diagnostic(
                    Code.EFFECTIVE_DATES,
                    f"{older.version} is in force until {older.effective_until}, on or after "
                    f"{newer.version} starts ({newer.effective_from}): the versions overlap",
                    where,
                    hint=f"end {older.version} the day before, or leave its effective_until "
                    "out (the later start wins)",
                )
            )
    return out


# --------------------------------------------------------------------------------------
# Against the previous version
# --------------------------------------------------------------------------------------


def _rule_loc(rs: RuleSet, rule_id: str) -> tuple[str | int, ...]:
    for section in ("rules", "indicators"):
        for i, r in enumerate(getattr(rs, section)):
            if r.id == rule_id:
                return (section, i)
    return ("version",)


def _item_loc(rs: RuleSet, item: ItemChange) -> tuple[str | int, ...]:
    if item.kind in ("rule", "indicator") and item.change != "removed":
        loc = _rule_loc(rs, item.id)
        condition = any(f.field == "condition" for f in item.fields)
        return (*loc, "when") if condition else loc
    if item.kind == "pathway" and item.change != "removed":
        return ("pathways", item.id)
    if item.kind == "definition" and item.change != "removed":
        return ("definitions", item.id)
    if item.kind == "source" and item.change != "removed":
        for i, s in enumerate(rs.sources):
            if s.id == item.id:
                return ("sources", i)
    if item.kind == "file" and item.fields:
        return (item.fields[0].field.split(".")[0],)
    return ("version",)


def _subject(item: ItemChange) -> str:
    if item.kind == "file":
        return "the file"
    return f"{item.kind} '{item.id}'"


def _change(item: ItemChange) -> str:
    """What happened to an item, as a phrase: ``was added``, ``its condition changed``."""
    if item.change == "renamed":
        return f"was renamed from '{item.renamed_from}'"
    if item.change in ("added", "removed"):
        return f"was {item.change}"
    relevant = [f for f in item.fields if f.impact == item.impact] or list(item.fields)
    parts = list(dict.fromkeys(f.field + (f" ({f.lang})" if f.lang else "") for f in relevant))
    shown = ", ".join(parts[:4]) + (", …" if len(parts) > 4 else "")
    via = f" (through definition {', '.join(item.via)})" if item.via else ""
    return f"changed its {shown}{via}" if shown else "changed"


def _explained(item: ItemChange, d: RuleSetDiff) -> bool:
    """Whether a pathway's change of rules is all due to rules that are themselves major
    items (added, removed, renamed, kind changed): reported there, not twice."""
    if item.kind != "pathway" or item.change != "changed":
        return False
    major = [f for f in item.fields if f.impact == "major"]
    if not major or any(not f.field.startswith("rules.") for f in major):
        return False
    causes: set[str] = set()
    for i in d.items:
        if i.kind == "rule" and i.impact == "major":
            causes |= {i.id, i.renamed_from or i.id}
    return all(set(f.before or []) ^ set(f.after or []) <= causes for f in major)


def _next(version: str, level: str, taken: set[str]) -> str:
    """The next free version of ``level`` after ``version``."""
    major, minor, _ = (int(p) for p in version.split("."))
    while True:
        if level == "major":
            major, minor = major + 1, 0
        else:
            minor += 1
        candidate = f"{major}.{minor}.0"
        if candidate not in taken:
            return candidate


def check_against(
    previous: RuleSet,
    rs: RuleSet,
    doc: YamlDocument,
    *,
    taken: set[str] | None = None,
    diff: RuleSetDiff | None = None,
) -> list[Diagnostic]:
    """The step from ``previous`` to ``rs`` against the impact of its diff, and this
    version's change entry against the rules that changed."""
    if previous.family != rs.family:
        return []
    taken = taken or {previous.version, rs.version}
    d = diff or compare(previous, rs)
    moved = step(previous.version, rs.version)
    if moved in ("none", "backwards"):
        return []
    out: list[Diagnostic] = []
    for item in d.items:
        if rank(item.impact) <= rank(moved) or _explained(item, d):
            continue
        code = Code.NEEDS_MAJOR_VERSION if item.impact == "major" else Code.NEEDS_MINOR_VERSION
        kind = "can move a status" if item.impact == "major" else "changes what a reader sees"
        out.append(
            doc.diagnostic(
                code,
                f"{_subject(item)} {_change(item)}, which {kind}; but {rs.version} is only "
                f"a {moved.upper()} step from {previous.version}",
                _item_loc(rs, item),
                hint=f"a change that {kind} needs a new {item.impact.upper()} version, e.g. "
                f"{_next(previous.version, item.impact, taken)}",
            )
        )
    out += _check_change_entry(previous, rs, doc, d)
    return out


def _check_change_entry(
    previous: RuleSet, rs: RuleSet, doc: YamlDocument, d: RuleSetDiff
) -> list[Diagnostic]:
    index = next((i for i, c in enumerate(rs.changes) if c.version == rs.version), None)
    if index is None:
        return []  # changes-version (the file's own check) says so
    entry = rs.changes[index]
    named = {e.id: (j, e.change) for j, e in enumerate(entry.rules)}
    before = {r.id for r in (*previous.rules, *previous.indicators)}
    items = {i.id: i for i in d.items if i.kind in ("rule", "indicator")}
    renamed_from = {i.renamed_from: i for i in items.values() if i.renamed_from}
    out: list[Diagnostic] = []
    for rid in d.changed_rule_ids:
        if rid in named:
            continue
        item = items.get(rid) or renamed_from[rid]
        gone = rid not in {r.id for r in (*rs.rules, *rs.indicators)}
        kind = "removed" if gone else ("added" if rid not in before else "changed")
        out.append(
            doc.diagnostic(
                Code.CHANGES_INCOMPLETE,
                f"{_subject(item)} {_change(item)} since {previous.version}, but the change "
                f"entry of {rs.version} does not name '{rid}'",
                ("changes", index) if gone else _rule_loc(rs, rid),
                hint=f"add {{id: {rid}, change: {kind}, note: …}} to the rules of that entry",
            )
        )
    for rid, (j, change) in named.items():
        loc = ("changes", index, "rules", j, "change")
        found = items.get(rid)
        problem = None
        if change == "added" and rid in before:
            problem = f"says rule '{rid}' was added, but {previous.version} has it already"
            fix = "write changed (or reworded, when only its texts changed)"
        elif change in ("changed", "reworded") and rid not in before:
            problem = f"says rule '{rid}' was {change}, but {previous.version} has no such rule"
            fix = "write added"
        elif change == "removed" and rid not in before:
            problem = f"says rule '{rid}' was removed, but {previous.version} has no such rule"
            fix = "leave the entry out, or name the rule's id in the previous version"
        elif change == "reworded" and found is not None and found.impact == "major":
            problem = (
                f"says rule '{rid}' was only reworded, but it {_change(found)}, which can "
                "move a status"
            )
            fix = "write changed"
        if problem:
            out.append(doc.diagnostic(Code.CHANGES_KIND, problem, loc, hint=fix))
    return out


# --------------------------------------------------------------------------------------
# A file among its family
# --------------------------------------------------------------------------------------


def _load(library: Library, path: Path) -> RuleSet | None:
    try:
        return library.load(path)
    except (RuleFileError, UnknownRuleSet, OSError):
        return None


def versions_at_hand(path: Path, family: str, library: Library | None = None) -> dict[str, RuleSet]:
    """The versions of ``family`` beside ``path`` and (where those lack them) in the
    library, by version; files that do not load are left out (their own check says why)."""
    lib = library or Library()
    out: dict[str, RuleSet] = {}
    for f in sorted(path.parent.glob("*.yaml")):
        if f.resolve() == path.resolve() or not _SEMVER.fullmatch(f.stem):
            continue
        rs = _load(lib, f)
        if rs is not None and rs.family == family:
            out.setdefault(rs.version, rs)
    if family in lib.families():
        for info in lib.list_rulesets():
            if info.family == family and info.version not in out:
                rs = _load(lib, info.path)
                if rs is not None and info.path.resolve() != path.resolve():
                    out[info.version] = rs
    return out


def previous_version(rs: RuleSet, others: Mapping[str, RuleSet]) -> RuleSet | None:
    """The version ``rs`` is measured against: the highest version below it that its own
    change list names (its lineage: 2.0.0 follows 1.0.0 even when a 1.1.0 was made for
    the 1.x line later), else the highest version below it at hand."""
    mine = _version_key(rs.version)
    earlier = [v for v in others if _version_key(v) < mine]
    lineage = {c.version for c in rs.changes} & set(earlier)
    chosen = lineage or set(earlier)
    return others[max(chosen, key=_version_key)] if chosen else None


def check_path(path: str | Path, library: Library | None = None) -> list[Diagnostic]:
    """Every cross-version check of one rule file (which must load without errors), when
    it is laid out as ``<family>/<version>.yaml``; a file named otherwise has no family at
    hand and gets none."""
    p = Path(path)
    if not _SEMVER.fullmatch(p.stem):
        return []  # not laid out as <family>/<version>.yaml (and not loaded a second time)
    lib = library or Library()
    data = p.read_bytes()
    doc = load_yaml(data, path=str(path))
    rs = lib.load(p)
    if p.parent.name != rs.family:
        return []  # not laid out as <family>/<version>.yaml: no family at hand
    others = versions_at_hand(p, rs.family, lib)
    others.pop(rs.version, None)
    lock, out = read_lock(p.parent / LOCK_NAME)
    out += check_released(rs, doc, lock)
    if lock is not None:
        present = {rs.version} | {
            f.stem for f in p.parent.glob("*.yaml") if _SEMVER.fullmatch(f.stem)
        }
        out += [d for d in _missing_locked(lock, present) if _first_in_dir(p)]
    out += check_wording(rs, doc)
    out += check_dates(rs, doc, others)
    previous = previous_version(rs, others)
    if previous is not None:
        out += check_against(previous, rs, doc, taken={*others, rs.version})
    return sorted(out, key=lambda d: (d.path, d.line or 0, d.col or 0))


def _first_in_dir(path: Path) -> bool:
    """Whether ``path`` is the first version file of its directory (so that a lock line
    whose file is gone is reported once per family, not once per file)."""
    files = sorted(
        (f for f in path.parent.glob("*.yaml") if _SEMVER.fullmatch(f.stem)),
        key=lambda f: _version_key(f.stem),
    )
    return bool(files) and files[0].resolve() == path.resolve()
