"""Diagnostics as values, and the exceptions that carry them.

A :class:`Diagnostic` holds its :class:`Code`, message, :class:`Span`, severity, advice
(``hint``, e.g. a did-you-mean) and ``related`` locations (e.g. where a duplicate was first
defined) apart. It renders on one line as ``path:line:col: code: message`` (the hint joined
with ``; ``) so editors and CI logs can jump to it; :meth:`Diagnostic.render` adds the
offending source line with a caret under it, as rustc and Cedar do.

Every code the library emits is a member of :class:`Code`; ``docs/error-codes.md`` is
generated from it (``docs/_gen_error_codes.py``).
"""

from __future__ import annotations

import difflib
import enum
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = [
    "Code",
    "CodeDoc",
    "Diagnostic",
    "NoRuleSetInForce",
    "PatientFileError",
    "Position",
    "Related",
    "RuleFileError",
    "Span",
    "UnknownRuleSet",
    "VisitationError",
    "did_you_mean",
    "suggest",
]

Severity = Literal["error", "warning"]
Section = Literal["file", "schema", "patient", "check", "versions", "cases", "fhir"]


class Code(enum.StrEnum):
    """The stable code of a diagnostic. A code never changes meaning; new ones may be added.

    A member is a ``str`` (``Code.UNKNOWN_FACT == "unknown-fact"``); :attr:`doc` says what
    it means and what to do (the table of ``docs/error-codes.md``).
    """

    # reading the file
    UNREADABLE_FILE = "unreadable-file"
    FILE_TOO_LARGE = "file-too-large"
    YAML_ENCODING = "yaml-encoding"
    YAML_SYNTAX = "yaml-syntax"
    JSON_SYNTAX = "json-syntax"
    YAML_MULTIPLE_DOCUMENTS = "yaml-multiple-documents"
    YAML_KEY = "yaml-key"
    YAML_DUPLICATE_KEY = "yaml-duplicate-key"
    YAML_ALIAS = "yaml-alias"
    YAML_MERGE_KEY = "yaml-merge-key"
    YAML_TAG = "yaml-tag"
    YAML_AMBIGUOUS_BOOL = "yaml-ambiguous-bool"
    YAML_AMBIGUOUS_NUMBER = "yaml-ambiguous-number"
    NUMBER_OUT_OF_RANGE = "number-out-of-range"
    YAML_TOO_DEEP = "yaml-too-deep"
    YAML_TOO_MANY_VALUES = "yaml-too-many-values"
    TOO_MANY_CONDITIONS = "too-many-conditions"
    EMPTY_FILE = "empty-file"
    PATIENT_NOT_MAPPING = "patient-not-mapping"
    # schema
    UNKNOWN_KEY = "unknown-key"
    MISSING_KEY = "missing-key"
    INVALID_VALUE = "invalid-value"
    INVALID_CONDITION = "invalid-condition"
    # patient facts
    CONTRADICTORY_FACTS = "contradictory-facts"
    # checks beyond the schema
    UNKNOWN_FACT = "unknown-fact"
    OPERATOR_TYPE = "operator-type"
    VALUE_TYPE = "value-type"
    UNKNOWN_VALUE = "unknown-value"
    DUPLICATE_RULE_ID = "duplicate-rule-id"
    DUPLICATE_SOURCE_ID = "duplicate-source-id"
    UNKNOWN_SOURCE = "unknown-source"
    UNDEFINED_DEFINITION = "undefined-definition"
    DEFINITION_CYCLE = "definition-cycle"
    UNUSED_DEFINITION = "unused-definition"
    MISSING_LANGUAGE = "missing-language"
    UNDECLARED_LANGUAGE = "undeclared-language"
    UNTRANSLATED_TEXT = "untranslated-text"
    UNKNOWN_PLACEHOLDER = "unknown-placeholder"
    UNKNOWN_GROUP = "unknown-group"
    UNUSED_GROUP = "unused-group"
    NEVER_MET = "never-met"
    SEARCH_BOUNDED = "search-bounded"
    RECORDED_IN_RULE = "recorded-in-rule"
    CHANGES_VERSION = "changes-version"
    UNKNOWN_RULE_ID = "unknown-rule-id"
    FILE_NAME = "file-name"
    # across the versions of a family (visitation.workbench)
    NEEDS_MAJOR_VERSION = "needs-major-version"
    NEEDS_MINOR_VERSION = "needs-minor-version"
    CHANGES_INCOMPLETE = "changes-incomplete"
    CHANGES_KIND = "changes-kind"
    EFFECTIVE_DATES = "effective-dates"
    PROVISIONAL_WORDING = "provisional-wording"
    RELEASED_CHANGED = "released-changed"
    RELEASE_NOT_LOCKED = "release-not-locked"
    RELEASED_MISSING = "released-missing"
    LOCK_SYNTAX = "lock-syntax"
    # case files (visitation test)
    CASE_FAILED = "case-failed"
    CASE_COVERAGE = "case-coverage"
    # FHIR input and the FHIR mapping file (visitation.fhir)
    NOT_A_BUNDLE = "not-a-bundle"
    BUNDLE_TOO_LARGE = "bundle-too-large"
    JSON_ENCODING = "json-encoding"
    FHIR_MALFORMED = "fhir-malformed"
    FHIR_VERSION = "fhir-version"
    FHIR_INVALID = "fhir-invalid"
    SEVERAL_PATIENTS = "several-patients"
    INVALID_FACT = "invalid-fact"
    INVALID_CODE = "invalid-code"
    UNKNOWN_SYSTEM = "unknown-system"
    INVALID_RANGE = "invalid-range"
    DUPLICATE_ID = "duplicate-id"
    FACT_KIND = "fact-kind"

    @property
    def doc(self) -> CodeDoc:
        """What the code means, where it arises, its severity and what to do."""
        return _DOCS[self]


class CodeDoc(NamedTuple):
    """The documentation of one :class:`Code`."""

    section: Section
    meaning: str
    advice: str = ""
    severity: Severity = "error"


_DOCS: dict[Code, CodeDoc] = {
    Code.UNREADABLE_FILE: CodeDoc(
        "file", "the file could not be opened", "check the path and permissions"
    ),
    Code.FILE_TOO_LARGE: CodeDoc(
        "file",
        "the file is over 1,000,000 bytes (rule files, patient files and standard input alike)",
        "a rule file that large is a mistake; split it",
    ),
    Code.YAML_ENCODING: CodeDoc("file", "the bytes are not UTF-8", "save the file as UTF-8"),
    Code.YAML_SYNTAX: CodeDoc(
        "file",
        "the YAML does not parse (or holds a character YAML does not allow)",
        "fix the text at the position given",
    ),
    Code.JSON_SYNTAX: CodeDoc(
        "file",
        "a `.json` patient file is not strict JSON (e.g. a trailing comma)",
        "fix the text at the position given",
    ),
    Code.YAML_MULTIPLE_DOCUMENTS: CodeDoc(
        "file", "a second `---` document", "one rule set (or patient) per file"
    ),
    Code.YAML_KEY: CodeDoc(
        "file",
        "a mapping key that is not plain text, e.g. a list or a mapping used as a key "
        "(`[a, b]: x`)",
        "write the key as plain text",
    ),
    Code.YAML_DUPLICATE_KEY: CodeDoc(
        "file",
        "the same key twice in one mapping (pyyaml would silently keep the last)",
        "remove or rename one; the diagnostic points at the first one too",
    ),
    Code.YAML_ALIAS: CodeDoc(
        "file",
        "an alias (`*x`) of an anchored value: refused, so alias bombs cannot expand. The "
        "position is that of the anchored value (`&x`); an anchor nobody refers to is "
        "harmless and accepted",
        "write the value out, or use `definitions` + `use` for shared conditions",
    ),
    Code.YAML_MERGE_KEY: CodeDoc("file", "a `<<` merge key", "write the keys out"),
    Code.YAML_TAG: CodeDoc(
        "file",
        "an explicit tag other than `!!str` (e.g. `!!python/object`)",
        "remove it: no objects are ever constructed",
    ),
    Code.YAML_AMBIGUOUS_BOOL: CodeDoc(
        "file",
        "`yes`, `no`, `on`, `off`, `y`, `n`: booleans in YAML 1.1, strings in 1.2",
        "write `true`/`false`, or quote the word",
    ),
    Code.YAML_AMBIGUOUS_NUMBER: CodeDoc(
        "file",
        "`010`, `0x1F`, `0o17`, `1_000`, `1:20`, `.inf`, `.nan`",
        "write a plain decimal number, or quote it",
    ),
    Code.NUMBER_OUT_OF_RANGE: CodeDoc(
        "file",
        "a number no fact or rule can hold: an integer of more than 4,300 digits (Python's "
        "limit for reading one), or a number that is not finite (`1.0e400`, or `inf`/`nan` "
        "read as a number)",
        "write a finite decimal number of sensible size",
    ),
    Code.YAML_TOO_DEEP: CodeDoc(
        "file", "nesting over 64 levels", "flatten the condition with `definitions`"
    ),
    Code.YAML_TOO_MANY_VALUES: CodeDoc(
        "file",
        "more than 20,000 values (keys, list items and scalars) in one file; located at the "
        "first value past the limit",
        "a rule file holds a few thousand values, a patient file a few hundred",
    ),
    Code.TOO_MANY_CONDITIONS: CodeDoc(
        "check",
        "more than 2,000 condition nodes (leaves and all/any/not parts) in one rule set, "
        "located at the first one past the limit",
        "share repeated conditions under `definitions`",
    ),
    Code.EMPTY_FILE: CodeDoc("file", "the file holds nothing"),
    Code.PATIENT_NOT_MAPPING: CodeDoc("file", "a patient file that is not a `fact: value` mapping"),
    Code.UNKNOWN_KEY: CodeDoc(
        "schema",
        "a key the format does not have (a misspelt operator, field or fact); with a did-you-mean",
    ),
    Code.MISSING_KEY: CodeDoc("schema", "a required key is absent (e.g. a rule without `source`)"),
    Code.INVALID_VALUE: CodeDoc(
        "schema",
        "a value of the wrong type or outside its range; also `provenance: inferred` "
        "without `rationale`, a leaf with no or two operators, `effective_until` before "
        "`effective_from`, a patient with both `age` and `birth_date`. Patient facts from "
        "a file or a mapping are strict: a yes/no fact takes only `true`/`false` (not "
        '`"no"`, `0`, `"off"`), a number only a whole number (not `"70"`, `" 18 "`, '
        "`true`, `70.5`), a date only an ISO date `YYYY-MM-DD` (not `0`, not a date and "
        "time). An age derived from `birth_date` outside 0-130 on the evaluation date is "
        "refused when evaluating",
    ),
    Code.INVALID_CONDITION: CodeDoc(
        "schema",
        "a condition that is none of `all`, `any`, `not`, `at_least_n_of`, `use` or a leaf "
        "with `fact`",
    ),
    Code.CONTRADICTORY_FACTS: CodeDoc(
        "patient",
        "patient facts that contradict each other, by the table "
        "`visitation.facts.CONSISTENCY` (see [facts.md](facts.md)): referral dates out of "
        "order, a date beside its yes/no fact recorded as false, `gp_agrees: true` beside "
        "`gp_informed: false`, and (when evaluating) a screening, advice, conversation, "
        "declaration or end of treatment dated after the evaluation date. The message "
        "names both facts; the diagnostic points at both",
        "correct the one that is wrong, or leave it unrecorded",
    ),
    Code.UNKNOWN_FACT: CodeDoc(
        "check", "a leaf names a fact that `visitation.Patient` does not have (did-you-mean)"
    ),
    Code.OPERATOR_TYPE: CodeDoc(
        "check",
        "the operator does not fit the fact's kind (e.g. `contains` on a number); lists the "
        "ones that do",
    ),
    Code.VALUE_TYPE: CodeDoc(
        "check", "the literal has the wrong type for the fact (e.g. `is: 3` on a yes/no fact)"
    ),
    Code.UNKNOWN_VALUE: CodeDoc(
        "check", "an enum or set literal outside the fact's vocabulary (did-you-mean)"
    ),
    Code.DUPLICATE_RULE_ID: CodeDoc(
        "check", "two rules or indicators share an id; names the first one's line"
    ),
    Code.DUPLICATE_SOURCE_ID: CodeDoc("check", "two sources share an id"),
    Code.UNKNOWN_SOURCE: CodeDoc(
        "check", "a rule cites a source id that `sources` does not list (did-you-mean)"
    ),
    Code.UNDEFINED_DEFINITION: CodeDoc("check", "`use:` names no definition (did-you-mean)"),
    Code.DEFINITION_CYCLE: CodeDoc("check", "definitions use each other in a cycle"),
    Code.UNUSED_DEFINITION: CodeDoc("check", "a definition nobody uses", severity="warning"),
    Code.MISSING_LANGUAGE: CodeDoc(
        "check",
        "a text given per language (a title, explanation, rationale, note, section, "
        "publisher or dates note) lacks a language the file declares",
    ),
    Code.UNDECLARED_LANGUAGE: CodeDoc(
        "check", "a text in a language the file does not declare", severity="warning"
    ),
    Code.UNTRANSLATED_TEXT: CodeDoc(
        "check",
        "a file that gives rationales, notes, sections or publishers per language still "
        "has one as a plain string, which is shown unchanged in every language (files "
        "with only plain strings, written before texts had languages, are not flagged)",
        "write it per language, `{da: ..., en: ...}`",
        severity="warning",
    ),
    Code.UNKNOWN_PLACEHOLDER: CodeDoc(
        "check", "`{name}` in an explanation names no fact (nor `on`)"
    ),
    Code.UNKNOWN_GROUP: CodeDoc("check", "a pathway requires a group no rule belongs to"),
    Code.UNUSED_GROUP: CodeDoc(
        "check",
        "a rule's group is required by no pathway (use `indicators` for monitoring)",
        severity="warning",
    ),
    Code.NEVER_MET: CodeDoc(
        "check",
        "no facts whatsoever can make the rule met (e.g. `age ≥ 18` and `age < 18`; "
        "`at_least_n_of` asking for more parts than it has)",
    ),
    Code.SEARCH_BOUNDED: CodeDoc(
        "check",
        "a rule has too many combinations of candidate values for the never-met search to "
        "try within its bounds; whether it can ever be met is not checked",
        "split the rule, or share parts through `definitions`",
        severity="warning",
    ),
    Code.RECORDED_IN_RULE: CodeDoc(
        "check",
        "a rule (not an indicator) uses `recorded`, directly or through a definition: "
        "`recorded` is never unknown, so recording a fact later could flip a definite "
        "verdict (law 1). Use a yes/no fact in rules; `recorded` is for indicators that "
        "monitor documentation",
    ),
    Code.CHANGES_VERSION: CodeDoc(
        "check", "the change list has no entry for the file's own version"
    ),
    Code.UNKNOWN_RULE_ID: CodeDoc(
        "check",
        "this version's change entry names a rule the file does not have (did-you-mean), "
        "or says a rule was removed that is still there",
    ),
    Code.FILE_NAME: CodeDoc(
        "check",
        "a file named `<version>.yaml` states another family or version than its path",
    ),
    Code.NEEDS_MAJOR_VERSION: CodeDoc(
        "versions",
        "a change from the previous version that can move a status (a rule's or an "
        "indicator's, a pathway's verdict or its readiness), without a MAJOR step: a rule "
        "added, removed or renamed, a condition changed (a definition it uses, too), a "
        "rule's kind, the rules a pathway requires, a pathway added or removed",
        "raise the MAJOR version (the hint names the next free one)",
    ),
    Code.NEEDS_MINOR_VERSION: CodeDoc(
        "versions",
        "a change from the previous version of what a reader sees (titles, explanations, "
        "rationale, provenance, citations, a group, the order of rules, the status, the "
        "dates, the languages) with only a PATCH step",
        "raise the MINOR version",
    ),
    Code.CHANGES_INCOMPLETE: CodeDoc(
        "versions",
        "a rule or indicator changed since the previous version (beyond its note), but this "
        "version's change entry does not name it; a renamed rule needs both ids",
        "add an entry with its id, the change and a note",
    ),
    Code.CHANGES_KIND: CodeDoc(
        "versions",
        "this version's change entry names a rule with the wrong kind: `added` for a rule "
        "the previous version has, `changed`/`reworded`/`removed` for one it lacks, "
        "`reworded` for a change that can move a status",
        "write the kind the hint names",
    ),
    Code.EFFECTIVE_DATES: CodeDoc(
        "versions",
        "a newer version starts before an older one (backwards), or an older version's "
        "`effective_until` is on or after a newer one's later `effective_from` (overlap). A "
        "newer version may start on the same day as the one it supersedes: the higher wins",
    ),
    Code.PROVISIONAL_WORDING: CodeDoc(
        "versions",
        "a `published` or `retired` file whose title, a pathway title or its publisher still says "
        "provisional or draft (foreløbig, udkast, ikke offentliggjort, provisional, draft, "
        "not yet public, ...)",
        "reword the title, or keep the status provisional",
    ),
    Code.RELEASED_CHANGED: CodeDoc(
        "versions",
        "a released version's content hash differs from its line in the family's "
        "`released.lock`: a published or retired file was edited (comments and layout do "
        "not count)",
        "undo the edit and make a new version",
    ),
    Code.RELEASE_NOT_LOCKED: CodeDoc(
        "versions",
        "a published or retired version has no line in the family's `released.lock`",
        "add it with `visitation lock DIR` (it never rewrites a line)",
    ),
    Code.RELEASED_MISSING: CodeDoc(
        "versions",
        "`released.lock` names a version whose file is gone",
        "put the file back: a released version stays (retire it with a new version)",
    ),
    Code.LOCK_SYNTAX: CodeDoc(
        "versions",
        "a line of `released.lock` is not `<version> sha256:<64 hex digits>`, or names a "
        "version twice",
    ),
    Code.CASE_FAILED: CodeDoc(
        "cases",
        "a case of a case file does not hold: a rule's status, a verdict, the missing facts, "
        "the readiness or the to-do list differs from what the case states, or the case "
        "names a rule or pathway the rule set lacks, or its patient facts are invalid. "
        "Points at the expectation",
        "fix the rule file, or the case if the case is wrong",
    ),
    Code.CASE_COVERAGE: CodeDoc(
        "cases",
        "the case files never show a rule or indicator met, not met or unknown, a pathway "
        "eligible, not eligible or indeterminate, or (with documentation rules) its "
        "referral ready, not ready or unknown",
        "add a case that shows it (`visitation test --coverage` lists them)",
        severity="warning",
    ),
    Code.NOT_A_BUNDLE: CodeDoc(
        "fhir",
        "the FHIR input is not a Bundle (or a CDS Hooks prefetch of resources)",
        "pass a Bundle (searchset, collection) of one patient's resources",
    ),
    Code.BUNDLE_TOO_LARGE: CodeDoc(
        "fhir", "the FHIR bundle is over the size limit (50 MiB)", "send one patient's resources"
    ),
    Code.JSON_ENCODING: CodeDoc("fhir", "the FHIR JSON is not UTF-8", "send UTF-8 JSON"),
    Code.FHIR_MALFORMED: CodeDoc(
        "fhir",
        "an element of a resource has the wrong shape or type (entry, resource, path)",
        "fix the element named",
    ),
    Code.FHIR_VERSION: CodeDoc(
        "fhir",
        "a resource has a shape of another FHIR version (R5, STU3), not R4",
        "send FHIR R4 (4.0.1) resources",
    ),
    Code.FHIR_INVALID: CodeDoc(
        "fhir",
        "strict validation with fhir.resources R4B refused an element (validate=True)",
        "fix the element named",
    ),
    Code.SEVERAL_PATIENTS: CodeDoc(
        "fhir",
        "the bundle holds several patients, or resources of another patient",
        "send one patient's resources",
    ),
    Code.INVALID_FACT: CodeDoc(
        "fhir",
        "a value read from a resource is not a valid value of its fact",
        "fix the resource, or the mapping entry",
    ),
    Code.INVALID_CODE: CodeDoc("fhir", "the mapping file names a code it cannot read", "fix it"),
    Code.UNKNOWN_SYSTEM: CodeDoc(
        "fhir",
        "the mapping file names a code system alias it does not define",
        "define it under 'systems' (the did-you-mean may help)",
    ),
    Code.INVALID_RANGE: CodeDoc(
        "fhir",
        "the mapping file states an ICD-10 range it cannot read",
        "write an ICD-10 category or range such as C00-C97",
    ),
    Code.DUPLICATE_ID: CodeDoc("fhir", "the mapping file uses an entry id twice", "rename one"),
    Code.FACT_KIND: CodeDoc(
        "fhir",
        "a mapping entry reads a value of another kind than its fact",
        "match the value type to the fact's kind",
    ),
}


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based line and column in a source text."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Span:
    """Where a diagnostic points: a file and, when known, the start and end of the text.

    ``end`` is just past the last character (exclusive), as YAML marks are.
    """

    path: str = "<input>"
    start: Position | None = None
    end: Position | None = None

    @classmethod
    def at(
        cls, path: str, line: int | None = None, col: int | None = None, end: Position | None = None
    ) -> Span:
        """A span from a line and column (the column defaults to 1)."""
        if line is None:
            return cls(path)
        return cls(path, Position(line, col if col is not None else 1), end)

    def __str__(self) -> str:
        if self.start is None:
            return self.path
        return f"{self.path}:{self.start.line}:{self.start.col}"


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a diagnostic refers to, e.g. where a duplicate was first defined.

    ``label`` is shown under that place's source line ("first defined here"); ``inline``,
    when given, is how the one-line form mentions it: a template with ``{line}`` and
    ``{col}`` ("first at line {line}"), appended to the message in parentheses.
    """

    span: Span
    label: str
    inline: str | None = None

    def brief(self) -> str | None:
        """The ``inline`` text with the position filled in, or None."""
        if self.inline is None:
            return None
        start = self.span.start
        return self.inline.format(
            line=start.line if start else "?", col=start.col if start else "?"
        )


@dataclass(frozen=True, slots=True, init=False)
class Diagnostic:
    """One problem found in a file: a stable code, a message, where it is and what to do.

    ``message`` is the problem alone; ``hint`` is advice (a did-you-mean); ``related``
    lists other places that explain it. ``str(d)`` is the one-line form
    ``path:line:col: [warning: ]code: message[; hint][ (related)]``.

    Made as before, ``Diagnostic(code, message, path, line, col, severity)``, or with a
    :class:`Span` in place of the path (``Diagnostic(code, message, span, hint=...)``).
    A code given as text must be a member of :class:`Code`.
    """

    code: Code
    message: str
    span: Span
    severity: Severity
    hint: str | None
    related: tuple[Related, ...]

    def __init__(
        self,
        code: Code | str,
        message: str,
        path: str | Span = "<input>",
        line: int | None = None,
        col: int | None = None,
        severity: Severity = "error",
        *,
        end: Position | None = None,
        hint: str | None = None,
        related: Iterable[Related] = (),
    ) -> None:
        span = path if isinstance(path, Span) else Span.at(path, line, col, end)
        object.__setattr__(self, "code", Code(code))
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "span", span)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "hint", hint)
        object.__setattr__(self, "related", tuple(related))

    @classmethod
    def at(
        cls,
        code: Code | str,
        message: str,
        path: str = "<input>",
        line: int | None = None,
        col: int | None = None,
        *,
        end: Position | None = None,
        severity: Severity = "error",
        hint: str | None = None,
        related: Iterable[Related] = (),
    ) -> Diagnostic:
        """A diagnostic at a path, line and column."""
        return cls(code, message, path, line, col, severity, end=end, hint=hint, related=related)

    def to_json(self) -> dict[str, Any]:
        """The diagnostic as JSON-ready data (for services and editors)."""

        def where(span: Span) -> dict[str, Any]:
            start, end = span.start, span.end
            return {
                "path": span.path,
                "line": start.line if start else None,
                "col": start.col if start else None,
                "end_line": end.line if end else None,
                "end_col": end.col if end else None,
            }

        return {
            "code": str(self.code),
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            **where(self.span),
            "related": [{"label": r.label, **where(r.span)} for r in self.related],
            "text": str(self),
        }

    # -- the location, read the way it always was ---------------------------------------
    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int | None:
        return self.span.start.line if self.span.start else None

    @property
    def col(self) -> int | None:
        return self.span.start.col if self.span.start else None

    @property
    def text(self) -> str:
        """The message with the hint and the inline related places, as printed."""
        out = self.message
        if self.hint:
            out += f"; {self.hint}"
        for r in self.related:
            brief = r.brief()
            if brief:
                out += f" ({brief})"
        return out

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.span}: {prefix}{self.code}: {self.text}"

    def render(self, source: str | None = None) -> str:
        """The one-line form, then (when ``source`` is the text of the file) the offending
        line with a caret under the span, and each related place in the same file::

            f.yaml:3:1: yaml-duplicate-key: duplicate key 'a' (first at line 1, column 1)
              |
            3 | a: 3
              | ^
              |
            1 | a: 1
              | - first defined here
        """
        lines = [str(self)]
        if source is None or self.span.start is None:
            return lines[0]
        text_lines = source.splitlines()
        places = [(self.span, "^", "")]
        places += [(r.span, "-", r.label) for r in self.related if r.span.path == self.path]
        numbered = [s.start.line for s, _, _ in places if s.start is not None]
        width = len(str(max(numbered)))
        for span, mark, label in places:
            excerpt = _excerpt(text_lines, span, mark, label, width)
            if excerpt:
                lines += excerpt
        lines += [
            f"{' ' * width} = note: {r.label}: {r.span}"
            for r in self.related
            if r.span.path != self.path
        ]
        return "\n".join(lines)


_WINDOW = 100
"""At most this many characters of a source line are shown around the caret."""


def _visible(text: str) -> str:
    """The line with control and format characters (ESC, bidi overrides) shown as U+FFFD,
    one character for one, so the caret stays aligned and nothing reaches the terminal."""
    return "".join(
        " " if ch == "\t" else ("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf") else ch)
        for ch in text
    )


def _excerpt(lines: Sequence[str], span: Span, mark: str, label: str, width: int) -> list[str]:
    start = span.start
    if start is None or not 1 <= start.line <= len(lines):
        return []
    raw = lines[start.line - 1]
    col = min(max(start.col, 1), len(raw) + 1)
    end = span.end
    length = 1
    if end is not None and end.line == start.line and end.col > col:
        length = end.col - col
    first = max(0, col - 1 - _WINDOW // 2) if len(raw) > _WINDOW else 0
    shown = raw[first : first + _WINDOW]
    lead = "…" if first > 0 else ""
    tail = "…" if first + _WINDOW < len(raw) else ""
    offset = len(lead) + col - 1 - first
    length = max(1, min(length, len(shown) - (col - 1 - first)))
    gutter = " " * width
    underline = " " * offset + mark * length + (f" {label}" if label else "")
    return [
        f"{gutter} |",
        f"{start.line:>{width}} | {lead}{_visible(shown)}{tail}".rstrip(),
        f"{gutter} | {underline}".rstrip(),
    ]


class VisitationError(Exception):
    """Base of every error this library raises on purpose."""


class _DiagnosticsError(VisitationError):
    """An error that carries one or more located diagnostics."""

    #: how many diagnostics the message lists before it summarises the rest
    shown = 50

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        lines = [str(d) for d in self.diagnostics[: self.shown]]
        hidden = len(self.diagnostics) - self.shown
        if hidden > 0:
            lines.append(f"... and {hidden} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


class RuleFileError(_DiagnosticsError):
    """A rule file could not be loaded: every problem found, each with its location."""


class PatientFileError(_DiagnosticsError):
    """Patient facts were invalid: every problem found, each naming its field."""


class UnknownRuleSet(VisitationError, LookupError):
    """No bundled rule set has that family or version."""


class NoRuleSetInForce(VisitationError, LookupError):
    """A family has no version in force on the evaluation date."""


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` for an unknown name close to one of ``candidates``, or None."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` suffix for an unknown name, or an empty string."""
    hint = suggest(word, candidates)
    return f"; {hint}" if hint else ""
