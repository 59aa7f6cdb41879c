"""The mapping file: which FHIR resources, elements and codes give each patient fact.

The file is YAML, read with the project's strict reader (no duplicate keys, no anchors,
no YAML 1.1 surprises) and checked against the fact catalogue; every problem is a
diagnostic with file, line and column, as for rule files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from visitation import FACTS, Diagnostic, RuleFileError, YamlDocument, load_yaml

__all__ = [
    "DEFAULT_MAPPING",
    "Mapping",
    "MappingEntry",
    "MappingFileError",
    "default_mapping",
    "load_mapping",
]

DEFAULT_MAPPING = Path(__file__).with_name("mapping.yaml")
"""The mapping file shipped with the package."""

Source = Literal[
    "patient",
    "observation",
    "condition",
    "diagnosis",
    "procedure",
    "referral",
    "encounter",
    "consent",
    "questionnaire",
]
ValueKind = Literal[
    "boolean", "integer", "quantity", "coded", "date", "set", "authored", "extension", "answers"
]

# which value kinds each source may use, and which fact kinds each value kind fills
_VALUES: dict[str, set[str | None]] = {
    "patient": {None},
    "observation": {"boolean", "integer", "quantity", "coded", "date", "set"},
    "condition": {None},
    "diagnosis": {None},
    "procedure": {"date"},
    "referral": {"authored", "extension"},
    "encounter": {"date"},
    "consent": {None},
    "questionnaire": {"answers", "date"},
}
_FACT_KINDS: dict[str | None, set[str]] = {
    "boolean": {"bool"},
    "integer": {"int"},
    "quantity": {"int"},
    "coded": {"enum"},
    "date": {"date"},
    "authored": {"date"},
    "extension": {"date"},
    "set": {"set"},
    "answers": {"scores"},
}
_NEEDS_CODES = {"observation", "condition", "procedure", "encounter", "consent"}
_CODE = re.compile(r"(?P<alias>[A-Za-z][A-Za-z0-9-]*)#(?P<code>\S+)")
_RANGE = re.compile(r"(?P<lo>[A-Z][0-9]{2})(-(?P<hi>[A-Z][0-9]{2}))?")


class MappingFileError(RuleFileError):
    """A mapping file could not be loaded: every problem, each with its location."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MappingEntry(_Model):
    """One way a fact is read: from which resource, by which codes, which element."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$")
    fact: str
    also: str | None = None
    source: Source = Field(alias="from")
    codes: tuple[str, ...] = ()
    value: ValueKind | None = None
    values: dict[str, str] = Field(default_factory=dict)
    units: tuple[str, ...] = ()
    constant: bool | None = None
    pick: Literal["latest", "earliest"] = "latest"
    skip_if_false: bool = False
    note: str | None = None


class _SnomedDiagnosis(_Model):
    group: str
    icd10: str | None = None


class _Diagnosis(_Model):
    icd10_systems: tuple[str, ...]
    sks_systems: tuple[str, ...]
    group_codes: dict[str, str]
    ranges: dict[str, tuple[str, ...]]
    snomed: dict[str, _SnomedDiagnosis] = Field(default_factory=dict)


class _Referral(_Model):
    codes: tuple[str, ...]
    received_extension: str


class _Questionnaire(_Model):
    canonicals: tuple[str, ...]
    link_ids: tuple[str, ...] = Field(min_length=15, max_length=15)
    answers_1_4: str
    answers_1_7: str


class _Patient(_Model):
    identifier: str


class _MappingFile(_Model):
    mapping: str
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    fhir_version: Literal["4.0.1", "4.3.0"]
    canonical: str
    title: str
    systems: dict[str, str]
    patient: _Patient
    diagnosis: _Diagnosis
    referral: _Referral
    questionnaire: _Questionnaire
    not_met: dict[str, str]
    entries: tuple[MappingEntry, ...]


Coding = tuple[str, str]
"""A (system, code) pair."""


@dataclass(frozen=True, slots=True)
class Mapping:
    """A checked mapping file, with its codes resolved to (system, code) pairs."""

    name: str
    version: str
    canonical: str
    path: str
    systems: AbcMapping[str, str]
    entries: tuple[MappingEntry, ...]
    cpr_system: str
    icd10_systems: frozenset[str]
    sks_systems: frozenset[str]
    group_codes: AbcMapping[Coding, str]
    ranges: tuple[tuple[str, str, str], ...]
    snomed: AbcMapping[Coding, tuple[str, str | None]]
    referral_codes: frozenset[Coding]
    received_extension: str
    questionnaires: frozenset[str]
    link_ids: tuple[str, ...]
    answers_1_4: str
    answers_1_7: str
    not_met: AbcMapping[str, Coding]
    not_met_other: Coding
    by_code: AbcMapping[tuple[str, Coding], tuple[MappingEntry, ...]] = field(repr=False)
    by_source: AbcMapping[str, tuple[MappingEntry, ...]] = field(repr=False)
    values: AbcMapping[str, AbcMapping[Coding, str]] = field(repr=False)

    @property
    def key(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def coding(self, text: str) -> Coding:
        """``alias#code`` → (system, code)."""
        alias, _, code = text.partition("#")
        return self.systems[alias], code

    def system_alias(self, system: str) -> str | None:
        """The alias this mapping declares for a system URL."""
        for alias, url in self.systems.items():
            if url == system:
                return alias
        return None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; :class:`MappingFileError` lists every located problem."""
    name = str(path)
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise MappingFileError(
            [Diagnostic("unreadable-file", exc.strerror or str(exc), name)]
        ) from None
    return _cached(text, name)


@lru_cache(maxsize=8)
def _cached(text: bytes, name: str) -> Mapping:
    doc = load_yaml(text, path=name)
    if doc.diagnostics:
        raise MappingFileError(doc.diagnostics)
    try:
        model = _MappingFile.model_validate(doc.data)
    except ValidationError as exc:
        raise MappingFileError(_from_validation(exc, doc)) from None
    problems = _check(model, doc)
    if problems:
        raise MappingFileError(problems)
    return _build(model, name)


@lru_cache(maxsize=1)
def default_mapping() -> Mapping:
    """The mapping shipped with the package (``visitation/fhir/mapping.yaml``), read once."""
    return load_mapping(DEFAULT_MAPPING)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _from_validation(exc: ValidationError, doc: YamlDocument) -> list[Diagnostic]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if isinstance(p, int | str))
        kind = err["type"]
        code = {"extra_forbidden": "unknown-key", "missing": "missing-key"}.get(
            kind, "invalid-value"
        )
        where = _dotted(loc) or "(top level)"
        if kind == "extra_forbidden":
            message = f"{where}: unknown key '{loc[-1]}'"
        elif kind == "missing":
            message = f"{where}: required key is missing"
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
            message = f"{where}: {err['msg']}{shown}"
        out.append(doc.diagnostic(code, message, loc))
    return out


def _check(model: _MappingFile, doc: YamlDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    aliases = model.systems

    def code(text: str, loc: tuple[str | int, ...]) -> None:
        m = _CODE.fullmatch(text)
        if m is None:
            out.append(doc.diagnostic("invalid-code", f"'{text}': write a code as alias#code", loc))
        elif m["alias"] not in aliases:
            out.append(
                doc.diagnostic(
                    "unknown-system",
                    f"'{text}': no system alias '{m['alias']}' under 'systems'"
                    + _hint(m["alias"], aliases),
                    loc,
                )
            )

    def alias(text: str, loc: tuple[str | int, ...]) -> None:
        if text not in aliases:
            out.append(
                doc.diagnostic(
                    "unknown-system",
                    f"no system alias '{text}' under 'systems'" + _hint(text, aliases),
                    loc,
                )
            )

    alias(model.patient.identifier, ("patient", "identifier"))
    dx = model.diagnosis
    for key in ("icd10_systems", "sks_systems"):
        for i, a in enumerate(getattr(dx, key)):
            alias(a, ("diagnosis", key, i))
    groups = set(FACTS["diagnosis_group"].vocabulary)
    for text, group in dx.group_codes.items():
        code(text, ("diagnosis", "group_codes", text))
        if group not in groups:
            out.append(_not_in(doc, group, groups, ("diagnosis", "group_codes", text)))
    for group, ranges in dx.ranges.items():
        if group not in groups:
            out.append(_not_in(doc, group, groups, ("diagnosis", "ranges", group)))
        for i, r in enumerate(ranges):
            if _RANGE.fullmatch(r) is None:
                out.append(
                    doc.diagnostic(
                        "invalid-range",
                        f"'{r}': write an ICD-10 category or range, e.g. C00-C97",
                        ("diagnosis", "ranges", group, i),
                    )
                )
    for text, snomed in dx.snomed.items():
        code(text, ("diagnosis", "snomed", text))
        if snomed.group not in groups:
            out.append(_not_in(doc, snomed.group, groups, ("diagnosis", "snomed", text, "group")))
    for i, c in enumerate(model.referral.codes):
        code(c, ("referral", "codes", i))
    alias(model.questionnaire.answers_1_4, ("questionnaire", "answers_1_4"))
    alias(model.questionnaire.answers_1_7, ("questionnaire", "answers_1_7"))
    for fact, c in model.not_met.items():
        code(c, ("not_met", fact))
        if fact != "other" and fact not in FACTS:
            out.append(_not_in(doc, fact, {*FACTS, "other"}, ("not_met", fact), what="fact"))
    if "other" not in model.not_met:
        out.append(
            doc.diagnostic("missing-key", "not_met: give the code for 'other'", ("not_met",))
        )

    seen: dict[str, int] = {}
    for i, entry in enumerate(model.entries):
        loc: tuple[str | int, ...] = ("entries", i)
        if entry.id in seen:
            out.append(
                doc.diagnostic(
                    "duplicate-id", f"entry id '{entry.id}' is also entries[{seen[entry.id]}]", loc
                )
            )
        seen.setdefault(entry.id, i)
        for name, key in ((entry.fact, "fact"), (entry.also, "also")):
            if name is not None and name not in FACTS:
                out.append(_not_in(doc, name, FACTS, (*loc, key), what="fact"))
        if entry.value not in _VALUES[entry.source]:
            allowed = ", ".join(sorted(str(v) for v in _VALUES[entry.source] if v)) or "none"
            out.append(
                doc.diagnostic(
                    "invalid-value",
                    f"entries[{i}] ({entry.id}): from {entry.source} takes value: {allowed}"
                    f" (got {entry.value!r})",
                    (*loc, "value"),
                )
            )
        elif entry.fact in FACTS:
            spec = FACTS[entry.fact]
            kinds = _FACT_KINDS.get(entry.value)
            expected = _expected_kind(entry)
            if (kinds is not None and spec.kind not in kinds) or (
                expected is not None and spec.kind != expected
            ):
                out.append(
                    doc.diagnostic(
                        "fact-kind",
                        f"entries[{i}] ({entry.id}): fact '{entry.fact}' is of kind {spec.kind}; "
                        f"{entry.source}/{entry.value or 'its value'} cannot fill it",
                        (*loc, "fact"),
                    )
                )
            vocab = set(spec.vocabulary)
            for text, member in entry.values.items():
                code(text, (*loc, "values", text))
                if vocab and member not in vocab:
                    out.append(_not_in(doc, member, vocab, (*loc, "values", text)))
        if entry.source in _NEEDS_CODES and not entry.codes:
            out.append(
                doc.diagnostic(
                    "missing-key", f"entries[{i}] ({entry.id}): give the codes", (*loc, "codes")
                )
            )
        for j, c in enumerate(entry.codes):
            code(c, (*loc, "codes", j))
        if entry.value == "coded" and not entry.values:
            out.append(
                doc.diagnostic(
                    "missing-key",
                    f"entries[{i}] ({entry.id}): a coded value needs 'values'",
                    (*loc, "values"),
                )
            )
        if entry.source == "condition" and entry.constant is None:
            out.append(
                doc.diagnostic(
                    "missing-key",
                    f"entries[{i}] ({entry.id}): a condition gives 'constant'",
                    (*loc, "constant"),
                )
            )
    return out


def _expected_kind(entry: MappingEntry) -> str | None:
    return {"patient": "date", "condition": "bool", "consent": "bool", "diagnosis": "text"}.get(
        entry.source
    )


def _hint(word: str, candidates: AbcMapping[str, Any] | set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _not_in(
    doc: YamlDocument,
    word: str,
    known: AbcMapping[str, Any] | set[str],
    loc: tuple[str | int, ...],
    *,
    what: str = "value",
) -> Diagnostic:
    code = "unknown-fact" if what == "fact" else "unknown-value"
    return doc.diagnostic(code, f"'{word}' is not a known {what}{_hint(word, known)}", loc)


def _build(model: _MappingFile, path: str) -> Mapping:
    systems = dict(model.systems)

    def coding(text: str) -> Coding:
        alias, _, code = text.partition("#")
        return systems[alias], code

    by_code: dict[tuple[str, Coding], list[MappingEntry]] = {}
    by_source: dict[str, list[MappingEntry]] = {}
    values: dict[str, dict[Coding, str]] = {}
    for entry in model.entries:
        by_source.setdefault(entry.source, []).append(entry)
        for c in entry.codes:
            by_code.setdefault((entry.source, coding(c)), []).append(entry)
        values[entry.id] = {coding(k): v for k, v in entry.values.items()}
    dx = model.diagnosis
    ranges = []
    for group, spans in dx.ranges.items():
        for span in spans:
            lo, _, hi = span.partition("-")
            ranges.append((lo, hi or lo, group))
    not_met = {k: coding(v) for k, v in model.not_met.items() if k != "other"}
    return Mapping(
        name=model.mapping,
        version=model.version,
        canonical=model.canonical.rstrip("/"),
        path=path,
        systems=systems,
        entries=model.entries,
        cpr_system=systems[model.patient.identifier],
        icd10_systems=frozenset(systems[a] for a in dx.icd10_systems),
        sks_systems=frozenset(systems[a] for a in dx.sks_systems),
        group_codes={coding(k): v for k, v in dx.group_codes.items()},
        ranges=tuple(ranges),
        snomed={coding(k): (v.group, v.icd10) for k, v in dx.snomed.items()},
        referral_codes=frozenset(coding(c) for c in model.referral.codes),
        received_extension=model.referral.received_extension,
        questionnaires=frozenset(model.questionnaire.canonicals),
        link_ids=model.questionnaire.link_ids,
        answers_1_4=systems[model.questionnaire.answers_1_4],
        answers_1_7=systems[model.questionnaire.answers_1_7],
        not_met=not_met,
        not_met_other=coding(model.not_met["other"]),
        by_code={k: tuple(v) for k, v in by_code.items()},
        by_source={k: tuple(v) for k, v in by_source.items()},
        values=values,
    )
