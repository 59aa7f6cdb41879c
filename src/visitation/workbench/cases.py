"""Case files, and the runner behind ``visitation test`` and the project's own tests.

A case file states, as data, what a rule set must say about patients::

    ruleset: dk-national@2.0.0          # family@version the cases were written for
    cases:
      - name: nothing recorded          # shown in reports
        on: 2026-11-23                  # evaluation date
        patient: {}                     # facts, as in a patient file
        rules: {basic.consent: unknown} # rule or indicator id → met | not_met | unknown
        pathways: {hospice: indeterminate}   # → eligible | not_eligible | indeterminate
        missing: {hospice: [age, ...]}  # optional: the exact facts to record, in order
        referral: {hospice: ready}      # optional: → ready | not_ready | unknown
        todo: {hospice: []}             # optional: the exact to-do list (ids, in order)

:func:`load_case_file` reads one (strict YAML, every problem located, like a rule file);
:func:`run_case` evaluates one case against a rule set and returns a located
``case-failed`` diagnostic for every expectation that does not hold, pointing at the
expectation's own line; :class:`Coverage` counts, per rule, indicator and pathway, the
statuses the passing expectations show, and lists what no case shows (``case-coverage``).
``CASE_FILE_SCHEMA`` is the JSON Schema of the format, for editors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visitation import (
    Code,
    Diagnostic,
    Library,
    PatientFileError,
    RuleFileError,
    RuleSet,
    YamlDocument,
    diagnostics_from_validation,
    evaluate,
    load_yaml,
    read_source,
    resolve,
    suggest,
)

__all__ = [
    "CASE_FILE_SCHEMA",
    "STATUSES",
    "Case",
    "CaseFile",
    "CaseResult",
    "Coverage",
    "LoadedCases",
    "load_case_file",
    "run_case",
]

Status = Literal["met", "not_met", "unknown"]
Verdict = Literal["eligible", "not_eligible", "indeterminate"]
Readiness = Literal["ready", "not_ready", "unknown"]

STATUSES: Mapping[str, tuple[str, ...]] = {
    "rule": ("met", "not_met", "unknown"),
    "pathway": ("eligible", "not_eligible", "indeterminate"),
    "referral": ("ready", "not_ready", "unknown"),
}
"""What coverage asks each rule, pathway and (with documentation rules) referral to show."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(_Model):
    """One patient on one date, and what the rule set must say about them."""

    name: str = Field(min_length=1, description="Shown in reports and test ids.")
    on: date = Field(description="The evaluation date (ISO).")
    patient: dict[str, Any] = Field(
        default_factory=dict, description="Patient facts, as in a patient file."
    )
    rules: dict[str, Status] = Field(
        default_factory=dict, description="Rule or indicator id → its status."
    )
    pathways: dict[str, Verdict] = Field(
        default_factory=dict, description="Pathway id → its verdict."
    )
    missing: dict[str, list[str]] = Field(
        default_factory=dict, description="Pathway id → the exact facts to record, in order."
    )
    referral: dict[str, Readiness] = Field(
        default_factory=dict, description="Pathway id → the readiness of the referral."
    )
    todo: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Pathway id → the exact to-do list (documentation rule ids, in order). "
        "A pathway stated ready has an empty one unless stated.",
    )


class CaseFile(_Model):
    """A case file: the rule set it was written for, and its cases."""

    ruleset: str = Field(
        pattern=r"^[a-z0-9]+(?:[.\-_][a-z0-9]+)*@\d+\.\d+\.\d+$",
        description="family@version the cases were written for (e.g. dk-national@2.0.0).",
    )
    cases: list[Case] = Field(min_length=1)


CASE_FILE_SCHEMA: dict[str, Any] = CaseFile.model_json_schema()
"""The JSON Schema of case files (``visitation test --schema``)."""


@dataclass(frozen=True, slots=True)
class LoadedCases:
    """A case file read from disk, with the position of every value."""

    path: str
    cases: CaseFile
    doc: YamlDocument

    def line(self, index: int) -> int:
        mark = self.doc.locate(("cases", index))
        return mark.line if mark is not None else 0


def load_case_file(path: str | Path) -> LoadedCases:
    """Read and validate a case file; :class:`RuleFileError` lists every problem, located."""
    data = read_source(path)
    if isinstance(data, Diagnostic):
        raise RuleFileError([data])
    doc = load_yaml(data, path=str(path))
    errors = [d for d in doc.diagnostics if d.severity == "error"]
    if errors:
        raise RuleFileError(errors)
    if doc.data is None:
        raise RuleFileError([doc.diagnostic(Code.EMPTY_FILE, "the file holds no cases")])
    try:
        model = CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        raise RuleFileError(diagnostics_from_validation(exc, doc)) from None
    return LoadedCases(str(path), model, doc)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case run: its failures (located diagnostics) and the expectations that held,
    as (kind, id, status) for coverage."""

    path: str
    index: int
    name: str
    line: int
    ruleset: str
    failures: tuple[Diagnostic, ...]
    shown: tuple[tuple[str, str, str], ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "line": self.line,
            "name": self.name,
            "ruleset": self.ruleset,
            "passed": self.passed,
            "failures": [d.to_json() for d in self.failures],
        }


def run_case(
    loaded: LoadedCases, index: int, ruleset: RuleSet, *, library: Library | None = None
) -> CaseResult:
    """Evaluate case ``index`` of a case file against ``ruleset``."""
    case = loaded.cases.cases[index]
    doc = loaded.doc
    failures: list[Diagnostic] = []
    shown: list[tuple[str, str, str]] = []

    def fail(message: str, *loc: str | int, hint: str | None = None) -> None:
        failures.append(
            doc.diagnostic(Code.CASE_FAILED, message, ("cases", index, *loc), hint=hint)
        )

    result = CaseResult(loaded.path, index, case.name, loaded.line(index), ruleset.key, ())
    try:
        a = evaluate(case.patient, ruleset, on=case.on, library=library)
    except PatientFileError as exc:
        for d in exc.diagnostics:
            fail(f"invalid patient facts: {d.code}: {d.text}", "patient")
        return _with(result, failures, shown)
    ids = [r.id for r in (*a.rules, *a.indicators)]
    for rule_id, expected in case.rules.items():
        if rule_id not in ids:
            fail(
                f"{ruleset.key} has no rule '{rule_id}'",
                "rules",
                rule_id,
                hint=suggest(rule_id, ids),
            )
            continue
        got = a.rule(rule_id)
        if got.status != expected:
            text = got.explanation.get("en") or next(iter(got.explanation.values()), "")
            fail(f"{rule_id} is {got.status}, expected {expected}: {text}", "rules", rule_id)
        else:
            shown.append(("rule", rule_id, expected))
    pathways = {p.id: p for p in a.pathways}
    known = list(pathways)

    def pathway(pid: str, part: str) -> Any:
        if pid not in pathways:
            fail(f"{ruleset.key} has no pathway '{pid}'", part, pid, hint=suggest(pid, known))
            return None
        return pathways[pid]

    for pid, verdict in case.pathways.items():
        p = pathway(pid, "pathways")
        if p is None:
            continue
        if p.verdict != verdict:
            why = f"; blocking: {', '.join(p.blocking)}" if p.blocking else ""
            why += f"; missing: {', '.join(p.missing)}" if p.missing else ""
            fail(f"pathway {pid} is {p.verdict}, expected {verdict}{why}", "pathways", pid)
        else:
            shown.append(("pathway", pid, verdict))
    for pid, facts in case.missing.items():
        p = pathway(pid, "missing")
        if p is not None and list(p.missing) != facts:
            fail(f"pathway {pid} misses {list(p.missing)}, expected {facts}", "missing", pid)
    for pid, readiness in case.referral.items():
        p = pathway(pid, "referral")
        if p is None:
            continue
        if p.referral != readiness:
            fail(f"the {pid} referral is {p.referral}, expected {readiness}", "referral", pid)
        else:
            shown.append(("referral", pid, readiness))
    for pid, p in pathways.items():
        want = case.todo.get(pid, [] if case.referral.get(pid) == "ready" else None)
        if want is not None and list(p.todo) != want:
            where = ("todo", pid) if pid in case.todo else ("referral", pid)
            fail(f"the {pid} to-do list is {list(p.todo)}, expected {want}", *where)
    for pid in case.todo:
        if pid not in pathways:
            pathway(pid, "todo")
    return _with(result, failures, shown)


def _with(
    result: CaseResult, failures: list[Diagnostic], shown: list[tuple[str, str, str]]
) -> CaseResult:
    return CaseResult(
        result.path, result.index, result.name, result.line, result.ruleset,
        tuple(failures), tuple(shown),
    )  # fmt: skip


@dataclass(slots=True)
class Coverage:
    """Per rule set: how often each rule, indicator, pathway and referral was shown in
    each status by an expectation that held."""

    ruleset: RuleSet
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, ruleset: RuleSet, results: Iterable[CaseResult]) -> Coverage:
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in results:
            for kind, item, status in r.shown:
                counts[(kind, item)][status] += 1
        return cls(ruleset, {k: dict(v) for k, v in counts.items()})

    def rows(self) -> list[tuple[str, str, dict[str, int]]]:
        """(kind, id, status → count) for every rule, indicator, pathway and (where a
        pathway has documentation rules) referral, in file order."""
        rs = self.ruleset
        out = [("rule", r.id, self.counts.get(("rule", r.id), {})) for r in rs.rules]
        out += [("indicator", r.id, self.counts.get(("rule", r.id), {})) for r in rs.indicators]
        out += [("pathway", p, self.counts.get(("pathway", p), {})) for p in rs.pathways]
        program = resolve(rs, rs.effective_from)
        for (pid, _), documents in zip(program.pathways, program.documentation, strict=True):
            if documents:
                out.append(("referral", pid, self.counts.get(("referral", pid), {})))
        return out

    def gaps(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(kind, id, statuses never shown) for each row that lacks some."""
        out = []
        for kind, item, seen in self.rows():
            wanted = STATUSES["rule" if kind == "indicator" else kind]
            lacking = tuple(s for s in wanted if not seen.get(s))
            if lacking:
                out.append((kind, item, lacking))
        return out

    def gap_messages(self) -> list[str]:
        """One line per gap: ``dk-national@2.0.0 rule basic.consent: never shown unknown``."""
        return [
            f"{self.ruleset.key} {kind} {item}: no case shows it {', '.join(lacking)}"
            for kind, item, lacking in self.gaps()
        ]

    def diagnostics(self, doc: YamlDocument | None = None) -> list[Diagnostic]:
        """One ``case-coverage`` warning per gap, located at the rule or pathway in the
        rule file when ``doc`` (the rule file read) is given."""
        where = doc or YamlDocument(data=None, path=f"<{self.ruleset.key}>")
        rs = self.ruleset
        out: list[Diagnostic] = []
        for kind, item, lacking in self.gaps():
            if kind in ("rule", "indicator"):
                section = "rules" if kind == "rule" else "indicators"
                index = next(i for i, r in enumerate(getattr(rs, section)) if r.id == item)
                loc: tuple[str | int, ...] = (section, index, "id")
            else:
                loc = ("pathways", item)
            out.append(
                where.diagnostic(
                    Code.CASE_COVERAGE,
                    f"no case shows {kind} '{item}' {', '.join(lacking)}",
                    loc,
                    warning=True,
                )
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset.key,
            "rows": [{"kind": k, "id": i, "shown": dict(s)} for k, i, s in self.rows()],
            "gaps": [{"kind": k, "id": i, "lacking": list(g)} for k, i, g in self.gaps()],
        }
