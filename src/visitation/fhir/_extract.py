"""Walk a FHIR R4 bundle as plain JSON and turn it into patient facts with provenance.

One pass indexes the entries (and refuses what is not an R4 patient bundle); a second
reads the resource types the mapping names, element by element, recording for every
value the resource, entry, element path, coding and mapping entry it came from. Then
each fact's candidates are settled by the documented rule (latest resource date wins;
``first_contact_on`` takes the earliest; candidates of the deciding date that disagree
leave the fact unknown) and the facts are validated as a :class:`~visitation.Patient`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from pydantic import ValidationError

from visitation import FACTS, Code, Diagnostic, Patient
from visitation.fhir._codes import group_of_icd10, icd10_from_sks, normalise_icd10, parse_fhir_date
from visitation.fhir._mapping import Coding, Mapping, MappingEntry
from visitation.fhir._model import (
    Conflict,
    Extraction,
    FactProvenance,
    Source,
    Unmapped,
    json_value,
)
from visitation.fhir._read import FhirInputError

__all__ = ["extract"]

_READ = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "Procedure",
        "ServiceRequest",
        "Encounter",
        "Consent",
        "QuestionnaireResponse",
    }
)

_DATE_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Condition": ("recordedDate", "onsetDateTime", "onsetPeriod.start"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "ServiceRequest": ("authoredOn",),
    "Encounter": ("period.start",),
    "Consent": ("dateTime",),
    "QuestionnaireResponse": ("authored",),
}
"""The element that dates each resource type, first present wins (docs/fhir.md)."""

_R5_ONLY: dict[str, tuple[str, ...]] = {
    "Bundle": ("issues",),
    "Encounter": (
        "actualPeriod",
        "plannedStartDate",
        "plannedEndDate",
        "virtualService",
        "careTeam",
    ),
    "Consent": (
        "decision",
        "date",
        "grantor",
        "grantee",
        "controller",
        "manager",
        "regulatoryBasis",
    ),
    "ServiceRequest": ("reason", "focus", "bodyStructure"),
    "Procedure": ("occurrenceDateTime", "occurrencePeriod", "occurrenceAge", "reason", "used"),
    "Observation": ("triggeredBy", "instantiatesCanonical", "bodyStructure"),
    "Condition": ("participant",),
}
"""Elements that exist only in FHIR R5: their presence means an R5 resource."""

_BUNDLE_TYPES = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)
_EXCLUDED_STATUS: dict[str, frozenset[str]] = {
    "Observation": frozenset({"registered", "cancelled", "entered-in-error", "unknown"}),
    "Procedure": frozenset({"preparation", "not-done", "entered-in-error", "unknown"}),
    "ServiceRequest": frozenset({"draft", "revoked", "entered-in-error", "unknown"}),
    "Encounter": frozenset({"planned", "cancelled", "entered-in-error", "unknown"}),
    "QuestionnaireResponse": frozenset({"in-progress", "stopped", "entered-in-error"}),
}
_CONDITION_EXCLUDED_CLINICAL = frozenset({"inactive", "resolved", "remission"})
_CONDITION_EXCLUDED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
_SHOWN = 5
_ALWAYS_READ = frozenset({"Consent", "QuestionnaireResponse", "ServiceRequest"})
_CODE_ELEMENT = {
    "Observation": "Observation.code",
    "Condition": "Condition.code",
    "Procedure": "Procedure.code",
    "Encounter": "Encounter.type",
}
_CPR = re.compile(
    r"((((0[1-9]|1[0-9]|2[0-9]|3[0-1])(01|03|05|07|08|10|12))|((0[1-9]|1[0-9]|2[0-9]|30)"
    r"(04|06|09|11))|((0[1-9]|1[0-9]|2[0-9])(02)))[0-9]{6})"
)
"""dk-core's invariant on the CPR identifier (a date check, no modulus 11)."""

_parse_date = lru_cache(maxsize=4096)(parse_fhir_date)
"""``parse_fhir_date`` memoised: a pure function of the text, and a record's dates repeat."""


@dataclass(slots=True)
class _Res:
    where: str
    index: int | None
    rtype: str
    rid: str | None
    full_url: str | None
    data: dict[str, Any]

    @property
    def label(self) -> str:
        return self.where if self.index is None else f"{self.where}entry[{self.index}]"

    @property
    def ref(self) -> str:
        return f"{self.rtype}/{self.rid}" if self.rid else f"{self.rtype} ({self.label})"


@dataclass(slots=True)
class _Cand:
    value: Any
    source: Source
    when: date | None
    pick: str
    res: _Res


@dataclass(slots=True)
class _Dx:
    res: _Res
    when: date | None
    date_text: str | None
    code: str | None
    code_at: tuple[str, str, str, str | None] | None
    group: str | None
    group_at: tuple[str, str, str, str | None] | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What a walk needs of a mapping that only the mapping decides (made once per mapping)."""

    known: dict[str, frozenset[Coding]]
    """The codings the mapping reads, per resource type (the fast path of ``relevant``)."""
    flags: tuple[tuple[MappingEntry, MappingEntry | None], ...]
    """Each ``skip_if_false`` entry, in mapping order, with the boolean entry of its codes."""


_PREPARED: dict[int, tuple[Mapping, _Prepared]] = {}


def _prepare(mapping: Mapping) -> _Prepared:
    found = _PREPARED.get(id(mapping))
    if found is not None and found[0] is mapping:
        return found[1]
    by_kind: dict[str, set[Coding]] = {}
    for kind, coding in mapping.by_code:
        by_kind.setdefault(kind, set()).add(coding)
    known = {
        "Observation": frozenset(by_kind.get("observation", ())),
        "Procedure": frozenset(by_kind.get("procedure", ())),
        "Encounter": frozenset(by_kind.get("encounter", ())),
        "Condition": frozenset(
            by_kind.get("condition", set()) | set(mapping.snomed) | set(mapping.group_codes)
        ),
    }
    flags = tuple(
        (
            entry,
            next(
                (
                    e
                    for e in mapping.entries
                    if e.value == "boolean" and set(e.codes) & set(entry.codes)
                ),
                None,
            ),
        )
        for entry in mapping.entries
        if entry.skip_if_false
    )
    prepared = _Prepared(known, flags)
    if len(_PREPARED) >= 16:  # a few mappings are in use; the mapping is kept alive here
        _PREPARED.clear()
    _PREPARED[id(mapping)] = (mapping, prepared)
    return prepared


class _Walk:
    def __init__(self, mapping: Mapping, on: date, name: str) -> None:
        self.m = mapping
        self.on = on
        self.name = name
        self.errors: list[Diagnostic] = []
        self.cands: dict[str, list[_Cand]] = {}
        self.unmapped: dict[tuple[str, str, str | None, str | None, str], list[Any]] = {}
        self.ignored: Counter[str] = Counter()
        self.dx: list[_Dx] = []
        self.pre_conflicts: list[Conflict] = []
        self.reasons: list[tuple[_Res, str]] = []
        self.by_url: dict[str, _Res] = {}
        self.by_ref: dict[str, _Res] = {}
        self.patients: dict[str, _Res] = {}
        self.patient_res: _Res | None = None
        self.subjects: dict[str, tuple[_Res, str]] = {}
        self.identifier: str | None = None
        prepared = _prepare(mapping)
        self.known: dict[str, frozenset[Coding]] = prepared.known
        self.flags = prepared.flags

    # ---------------------------------------------------------------- errors and helpers
    def fail(
        self, res: _Res | None, element: str, message: str, code: str = "fhir-malformed"
    ) -> None:
        where = f"{res.label} ({res.ref}): " if res is not None else ""
        self.errors.append(Diagnostic(code, f"{where}{element}: {message}", self.name))

    def note(
        self,
        res: _Res,
        element: str,
        reason: str,
        system: str | None = None,
        code: str | None = None,
        display: Any = None,
    ) -> None:
        key = (res.rtype, element, system, code, reason)
        slot = self.unmapped.get(key)
        if slot is None:
            self.unmapped[key] = [display if isinstance(display, str) else None, 1, [res.ref]]
        else:
            slot[1] += 1
            if len(slot[2]) < _SHOWN:
                slot[2].append(res.ref)

    def obj(self, res: _Res, parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None or isinstance(value, dict):
            return value
        self.fail(res, path, "must be a JSON object")
        return None

    def lst(self, res: _Res, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.fail(res, path, "must be a JSON array")
        return []

    def text(self, res: _Res, parent: dict[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None or isinstance(value, str):
            return value
        self.fail(res, path, f"must be a string, not {_json_type(value)}")
        return None

    def codings(
        self, res: _Res, cc: Any, path: str
    ) -> list[tuple[int, str | None, str | None, Any]]:
        if cc is None:
            return []
        if not isinstance(cc, dict):
            self.fail(res, path, "must be a CodeableConcept (a JSON object)")
            return []
        raw = cc.get("coding")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(res, f"{path}.coding", "must be a JSON array")
            return []
        out = []
        for i, c in enumerate(raw):
            if not isinstance(c, dict):
                self.fail(res, f"{path}.coding[{i}]", "must be a Coding (a JSON object)")
                continue
            system, code = c.get("system"), c.get("code")
            if (system is not None and not isinstance(system, str)) or (
                code is not None and not isinstance(code, str)
            ):
                self.fail(res, f"{path}.coding[{i}]", "system and code must be strings")
                continue
            out.append((i, system, code, c.get("display")))
        return out

    def date_at(self, res: _Res, raw: Any, path: str) -> tuple[date | None, date] | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.fail(res, path, f"must be a FHIR date string, not {_json_type(raw)}")
            return None
        parsed = _parse_date(raw)
        if parsed is None:
            self.fail(res, path, f"'{raw}' is not a FHIR date or dateTime")
        return parsed

    def resource_date(self, res: _Res) -> tuple[date | None, date | None, str | None, str | None]:
        """(full date, earliest day, element path, raw text) of a resource's own date."""
        for element in _DATE_ELEMENTS.get(res.rtype, ()):
            head, _, tail = element.partition(".")
            raw = res.data.get(head)
            if tail:
                if raw is None:
                    continue
                if not isinstance(raw, dict):
                    self.fail(res, f"{res.rtype}.{head}", "must be a JSON object")
                    return None, None, None, None
                raw = raw.get(tail)
            if raw is None:
                continue
            parsed = self.date_at(res, raw, f"{res.rtype}.{element}")
            if parsed is None:
                return None, None, None, None
            return parsed[0], parsed[1], f"{res.rtype}.{element}", raw
        return None, None, None, None

    def source(
        self,
        res: _Res,
        element: str,
        entry: MappingEntry | str,
        system: str | None = None,
        code: str | None = None,
        display: Any = None,
        when: str | None = None,
    ) -> Source:
        return Source(
            resource=res.ref,
            entry=res.label,
            element=element,
            mapping=entry if isinstance(entry, str) else entry.id,
            full_url=res.full_url,
            system=system,
            code=code,
            display=display if isinstance(display, str) else None,
            date=when[:10] if when else None,
        )

    def add(
        self,
        fact: str,
        value: Any,
        source: Source,
        when: date | None,
        entry: MappingEntry,
        res: _Res,
    ) -> None:
        self.cands.setdefault(fact, []).append(_Cand(value, source, when, entry.pick, res))

    # ---------------------------------------------------------------- pass 1: the entries
    def index(self, data: Any) -> list[_Res]:
        if not isinstance(data, dict):
            self.fail(
                None,
                "(top level)",
                f"a Bundle is a JSON object, not {_json_type(data)}",
                Code.NOT_A_BUNDLE,
            )
            return []
        rtype = data.get("resourceType")
        if (
            rtype is None
            and data
            and all(
                v is None or (isinstance(v, dict) and "resourceType" in v) for v in data.values()
            )
        ):
            return self.prefetch(data)
        if rtype != "Bundle":
            shown = f"'{rtype}'" if isinstance(rtype, str) else "missing"
            self.fail(
                None,
                "resourceType",
                f"not a Bundle (resourceType is {shown}); send a Bundle "
                "(searchset, collection, ...) or a CDS Hooks prefetch object",
                Code.NOT_A_BUNDLE,
            )
            return []
        return self.bundle(data, "")

    def prefetch(self, data: dict[str, Any]) -> list[_Res]:
        out: list[_Res] = []
        for key, value in data.items():
            if value is None:
                continue
            if value.get("resourceType") == "Bundle":
                out += self.bundle(value, f"prefetch.{key}.")
            else:
                res = self.resource(value, f"prefetch.{key}", None)
                if res is not None:
                    out.append(res)
        return out

    def bundle(self, data: dict[str, Any], prefix: str) -> list[_Res]:
        shell = _Res(
            prefix.rstrip(".") or "bundle",
            None,
            "Bundle",
            data.get("id") if isinstance(data.get("id"), str) else None,
            None,
            data,
        )
        for key in _R5_ONLY["Bundle"]:
            if key in data:
                self.r5(shell, f"Bundle.{key}")
        btype = data.get("type")
        if btype is not None and btype not in _BUNDLE_TYPES:
            if btype == "subscription-notification":
                self.r5(shell, "Bundle.type 'subscription-notification'")
            else:
                self.fail(shell, "Bundle.type", f"'{btype}' is not an R4 bundle type")
        entries = data.get("entry")
        if entries is None:
            return []
        if not isinstance(entries, list):
            self.fail(shell, "Bundle.entry", "must be a JSON array")
            return []
        out = []
        ignored = self.ignored
        for i, entry in enumerate(entries):
            if type(entry) is not dict and not isinstance(entry, dict):
                self.errors.append(
                    Diagnostic(
                        "fhir-malformed",
                        f"{prefix}entry[{i}]: must be a JSON object, not {_json_type(entry)}",
                        self.name,
                    )
                )
                continue
            resource = entry.get("resource")
            if type(resource) is dict:
                rtype = resource.get("resourceType")
                if type(rtype) is str and rtype and rtype not in _READ:
                    ignored[rtype] += 1  # a type the mapping does not read
                    continue
            full_url = entry.get("fullUrl")
            if full_url is not None and not isinstance(full_url, str):
                self.errors.append(
                    Diagnostic(
                        "fhir-malformed", f"{prefix}entry[{i}]: fullUrl must be a string", self.name
                    )
                )
                full_url = None
            if resource is None:
                ignored["(entry without resource)"] += 1
                continue
            res = self.resource(resource, None, full_url, (prefix, i))  # named from (prefix, i)
            if res is not None:
                out.append(res)
        return out

    def resource(
        self,
        resource: Any,
        label: str | None,
        full_url: str | None,
        at: tuple[str, int | None] | None = None,
    ) -> _Res | None:
        """The resource of an entry (``at``: the bundle's prefix and the entry's index;
        ``label`` names it in messages, made from ``at`` when not given)."""
        if type(resource) is not dict and not isinstance(resource, dict):
            self.errors.append(
                Diagnostic(
                    "fhir-malformed",
                    f"{_label(label, at)}: resource must be a JSON object, "
                    f"not {_json_type(resource)}",
                    self.name,
                )
            )
            return None
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        if not isinstance(rtype, str) or not rtype:
            self.errors.append(
                Diagnostic(
                    "fhir-malformed",
                    f"{_label(label, at)}: resource has no resourceType",
                    self.name,
                )
            )
            return None
        if rid is not None and not isinstance(rid, str):
            self.errors.append(
                Diagnostic(
                    "fhir-malformed",
                    f"{_label(label, at)} ({rtype}): {rtype}.id must be a string, "
                    f"not {_json_type(rid)}",
                    self.name,
                )
            )
            return None
        where, index = at if at is not None else (_label(label, at), None)
        res = _Res(where, index, rtype, rid, full_url, resource)
        if rtype not in _READ:
            self.ignored[rtype] += 1
            return None
        for key in _R5_ONLY.get(rtype, ()):
            if key in resource:
                self.r5(res, f"{rtype}.{key}")
        if rtype == "Condition" or rtype == "Patient":  # what references are resolved to
            if full_url:
                self.by_url[full_url] = res
            if rid:
                self.by_ref[f"{rtype}/{rid}"] = res
            if rtype == "Patient":
                key = rid or _label(label, at)
                if key not in self.patients:
                    self.patients[key] = res
        return res

    def r5(self, res: _Res, element: str) -> None:
        self.fail(
            res,
            element,
            "exists only in FHIR R5; this reader takes FHIR R4 (4.0.1) and R4B bundles",
            Code.FHIR_VERSION,
        )

    # ---------------------------------------------------------------- pass 2: resources
    def walk(self, resources: list[_Res]) -> None:
        if len(self.patients) > 1:
            where = ", ".join(f"{r.label} ({r.ref})" for r in self.patients.values())
            self.errors.append(
                Diagnostic(
                    "several-patients",
                    f"the bundle holds {len(self.patients)} patients: {where}; "
                    "send one patient's resources",
                    self.name,
                )
            )
            return
        self.patient_res = next(iter(self.patients.values()), None)
        # bound methods in a local, not an attribute: held by the walk itself they would
        # make a cycle (walk -> dict -> method -> walk) that keeps every bundle's resources
        # alive until the collector runs, and in the service each collection then frees
        # tens of requests' objects at once (a 15-30 ms pause)
        readers: dict[str, Callable[[_Res, date | None, str | None], None]] = {
            "Observation": self.read_Observation,
            "Condition": self.read_Condition,
            "Procedure": self.read_Procedure,
            "ServiceRequest": self.read_ServiceRequest,
            "Encounter": self.read_Encounter,
            "Consent": self.read_Consent,
            "QuestionnaireResponse": self.read_QuestionnaireResponse,
        }
        for res in resources:
            if res.rtype == "Patient":
                self.read_patient(res)
                continue
            self.subject(res)
            if not self.relevant(res):
                continue
            status = res.data.get("status")
            if status is not None and not isinstance(status, str):
                self.fail(res, f"{res.rtype}.status", "must be a string")
                continue
            if status in _EXCLUDED_STATUS.get(res.rtype, ()):
                self.note(res, f"{res.rtype}.status", f"status '{status}' is not used", code=status)
                continue
            full, earliest, date_el, date_text = self.resource_date(res)
            if earliest is not None and earliest > self.on:
                self.note(res, date_el or res.rtype, "dated after the evaluation date: not used")
                continue
            when = full or earliest
            readers[res.rtype](res, when, date_text)

    def relevant(self, res: _Res) -> bool:
        """Whether a resource carries a code the mapping reads; if not, its codes are
        reported as unmapped at once (the cheap path for most of a record)."""
        rtype = res.rtype
        if rtype in _ALWAYS_READ:
            return True
        data = res.data
        known = self.known[rtype]
        dx = rtype == "Condition"
        m = self.m
        if rtype != "Encounter":  # fast path: a well-formed code of a single concept
            cc = data.get("code")
            raw = cc.get("coding") if type(cc) is dict else None
            if type(raw) is list and raw:
                for c in raw:
                    if type(c) is not dict:
                        break
                    sy, co = c.get("system"), c.get("code")
                    try:
                        if (sy or "", co or "") in known or (
                            dx and (sy in m.icd10_systems or sy in m.sks_systems)
                        ):
                            return True
                    except TypeError:  # an object or array as system or code
                        break  # the slow path says what is wrong
                    if not (sy is None or type(sy) is str) or not (co is None or type(co) is str):
                        break
                else:  # well formed, and no code the mapping reads
                    element = _CODE_ELEMENT[rtype]
                    for c in raw:
                        self.note(res, element, "code not in the mapping",
                                  c.get("system"), c.get("code"), c.get("display"))  # fmt: skip
                    return False
            ccs: list[Any] = [cc]
        else:
            types = data.get("type")
            if not isinstance(types, list) or isinstance(data.get("class"), list):
                return True  # let the reader report the shape
            ccs = types
        element = _CODE_ELEMENT[rtype]
        seen = []
        for t, cc in enumerate(ccs):
            path = f"Encounter.type[{t}]" if rtype == "Encounter" else element
            for c in self.codings(res, cc, path):
                key = (c[1] or "", c[2] or "")
                if key in known or (dx and (c[1] in m.icd10_systems or c[1] in m.sks_systems)):
                    return True
                seen.append(c)
        if not seen:
            return True  # no coding at all: the reader says so
        for _, system, code, display in seen:
            self.note(res, element, "code not in the mapping", system, code, display)
        return False

    def subject(self, res: _Res) -> None:
        key = "patient" if res.rtype == "Consent" else "subject"
        ref = res.data.get(key)
        if ref is None:
            return
        text = ref.get("reference") if type(ref) is dict else None
        if type(text) is not str:  # the slow path says what is wrong, if anything
            checked = self.obj(res, res.data, key, f"{res.rtype}.{key}")
            if checked is not None:
                text = self.text(res, checked, "reference", f"{res.rtype}.{key}.reference")
            if not text:
                return
        if text not in self.subjects:
            self.subjects[text] = (res, f"{res.rtype}.{key}.reference")

    def read_patient(self, res: _Res) -> None:
        data = res.data
        for i, ident in enumerate(self.lst(res, data, "identifier", "Patient.identifier")):
            if isinstance(ident, dict) and ident.get("system") == self.m.cpr_system:
                value = ident.get("value")
                if isinstance(value, str):
                    self.identifier = value
                    if _CPR.fullmatch(value) is None:
                        why = "not a CPR number by dk-core's rule (ddmmyy and four digits)"
                        self.note(res, f"Patient.identifier[{i}]", why, self.m.cpr_system)
                    break
            elif not isinstance(ident, dict):
                self.fail(res, f"Patient.identifier[{i}]", "must be a JSON object")
        raw = data.get("birthDate")
        if raw is None:
            return
        entries = self.m.by_source.get("patient", ())
        if not entries:
            return
        parsed = self.date_at(res, raw, "Patient.birthDate")
        if parsed is None:
            return
        full, earliest = parsed
        entry = entries[0]
        if full is not None:
            if full > self.on:
                self.note(
                    res, "Patient.birthDate", "birth date after the evaluation date: not used"
                )
                return
            src = self.source(res, "Patient.birthDate", entry)
            self.add(entry.fact, full, src, None, entry, res)
            return
        latest = _last_day(raw, earliest)
        young, old = _age(latest, self.on), _age(earliest, self.on)
        if young == old and young >= 0:
            src = self.source(res, "Patient.birthDate", entry)
            self.add("age", young, src, None, entry, res)
        else:
            self.note(
                res,
                "Patient.birthDate",
                f"partial birth date '{raw}' leaves the age uncertain (between {young} and {old})",
            )

    def matched(
        self, res: _Res, source_kind: str, path: str, cc: Any
    ) -> list[tuple[MappingEntry, tuple[int, str | None, str | None, Any]]]:
        found = []
        codings = self.codings(res, cc, path)
        for c in codings:
            for entry in self.m.by_code.get((source_kind, (c[1] or "", c[2] or "")), ()):
                found.append((entry, c))
        if not found:
            if not codings:
                self.note(res, path, "no coding")
            for _, system, code, display in codings:
                self.note(res, path, "code not in the mapping", system, code, display)
        return found

    def read_Observation(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        data = res.data
        for entry, (i, system, code, display) in self.matched(
            res, "observation", "Observation.code", data.get("code")
        ):
            element = f"Observation.code.coding[{i}]"
            value, at = self.observation_value(res, entry, when)
            if value is _NONE:
                continue
            src = self.source(res, at or element, entry, system, code, display, date_text)
            self.add(entry.fact, value, src, when, entry, res)

    def observation_value(
        self, res: _Res, entry: MappingEntry, when: date | None
    ) -> tuple[Any, str | None]:
        data = res.data
        kind = entry.value
        if kind == "boolean":
            raw = data.get("valueBoolean")
            if raw is None:
                self.absent(res, entry, "valueBoolean")
                return _NONE, None
            if not isinstance(raw, bool):
                self.fail(
                    res, "Observation.valueBoolean", f"must be true or false, not {_json_type(raw)}"
                )
                return _NONE, None
            return raw, "Observation.valueBoolean"
        if kind in ("integer", "quantity"):
            return self.number(res, entry)
        if kind == "coded":
            cc = data.get("valueCodeableConcept")
            if cc is None:
                self.absent(res, entry, "valueCodeableConcept")
                return _NONE, None
            table = self.m.values[entry.id]
            codings = self.codings(res, cc, "Observation.valueCodeableConcept")
            for i, system, code, _display in codings:
                member = table.get((system or "", code or ""))
                if member is not None:
                    return member, f"Observation.valueCodeableConcept.coding[{i}]"
            for _, system, code, display in codings:
                known = [c for s, c in table if s == system]
                self.note(
                    res,
                    "Observation.valueCodeableConcept",
                    "answer code not in the mapping" + _hint(code or "", known),
                    system,
                    code,
                    display,
                )
            return _NONE, None
        if kind == "date":
            if entry.skip_if_false and data.get("valueBoolean") is False:
                return _NONE, None
            full, _, el, raw = self.resource_date(res)
            if full is None:
                if raw is not None:
                    self.note(
                        res,
                        el or "Observation.effective",
                        f"partial date '{raw}': {entry.fact} needs a full date",
                    )
                return _NONE, None
            return full, el
        if kind == "set":
            return self.members(res, entry)
        raise AssertionError(kind)  # pragma: no cover - the mapping check allows no other

    def absent(self, res: _Res, entry: MappingEntry, element: str) -> None:
        others = [k for k in res.data if k.startswith("value")]
        if others:
            self.note(
                res, f"Observation.{others[0]}", f"{entry.fact} is read from Observation.{element}"
            )

    def number(self, res: _Res, entry: MappingEntry) -> tuple[Any, str | None]:
        data = res.data
        raw = data.get("valueInteger")
        at = "Observation.valueInteger"
        if raw is None:
            q = self.obj(res, data, "valueQuantity", "Observation.valueQuantity")
            if q is None:
                self.absent(res, entry, "valueInteger or valueQuantity")
                return _NONE, None
            raw, at = q.get("value"), "Observation.valueQuantity.value"
            unit = q.get("code") or q.get("unit")
            if entry.units and unit not in entry.units:
                self.note(
                    res,
                    "Observation.valueQuantity",
                    f"unit '{unit}' is not one of {', '.join(entry.units)}",
                    q.get("system"),
                    unit if isinstance(unit, str) else None,
                )
                return _NONE, None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(res, at, f"must be a number, not {_json_type(raw)}")
            return _NONE, None
        if raw != int(raw):
            self.note(res, at, f"{raw} is not a whole number")
            return _NONE, None
        return int(raw), at

    def members(self, res: _Res, entry: MappingEntry) -> tuple[Any, str | None]:
        table = self.m.values[entry.id]
        out: set[str] = set()
        for k, comp in enumerate(self.lst(res, res.data, "component", "Observation.component")):
            path = f"Observation.component[{k}]"
            if not isinstance(comp, dict):
                self.fail(res, path, "must be a JSON object")
                continue
            if not table:  # free text members
                text = self.text(res, comp, "valueString", f"{path}.valueString")
                if text is not None and text.strip():
                    out.add(text.strip())
                continue
            flag = comp.get("valueBoolean")
            if flag is not None and not isinstance(flag, bool):
                self.fail(res, f"{path}.valueBoolean", "must be true or false")
                continue
            hit = None
            codings = self.codings(res, comp.get("code"), f"{path}.code")
            for _, system, code, _display in codings:
                hit = table.get((system or "", code or ""))
                if hit is not None:
                    break
            if hit is None:
                for _, system, code, display in codings:
                    self.note(
                        res,
                        "Observation.component.code",
                        "member code not in the mapping",
                        system,
                        code,
                        display,
                    )
                continue
            if flag is not False:
                out.add(hit)
        return frozenset(out), "Observation.component"

    def read_Condition(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        data = res.data
        for key, bad in (
            ("clinicalStatus", _CONDITION_EXCLUDED_CLINICAL),
            ("verificationStatus", _CONDITION_EXCLUDED_VERIFICATION),
        ):
            if isinstance(data.get(key), str):
                why = "is a plain code: that is FHIR STU3; this reader takes FHIR R4 and R4B"
                self.fail(res, f"Condition.{key}", why, Code.FHIR_VERSION)
                return
            for _, _system, code, _ in self.codings(res, data.get(key), f"Condition.{key}"):
                if code in bad:
                    self.note(res, f"Condition.{key}", f"{key} '{code}' is not used", code=code)
                    return
        codings = self.codings(res, data.get("code"), "Condition.code")
        used = False
        for i, system, code, display in codings:
            for entry in self.m.by_code.get(("condition", (system or "", code or "")), ()):
                src = self.source(
                    res, f"Condition.code.coding[{i}]", entry, system, code, display, date_text
                )
                self.add(entry.fact, entry.constant, src, when, entry, res)
                used = True
        dx = self.diagnosis(res, codings, when, date_text)
        if dx is not None:
            self.dx.append(dx)
            used = True
        if not used:
            if not codings:
                self.note(res, "Condition.code", "no coding")
            for _, system, code, display in codings:
                self.note(
                    res,
                    "Condition.code",
                    "code not in the mapping (no DPD diagnosis group)",
                    system,
                    code,
                    display,
                )

    def diagnosis(
        self,
        res: _Res,
        codings: Iterable[tuple[int, str | None, str | None, Any]],
        when: date | None,
        date_text: str | None,
    ) -> _Dx | None:
        m = self.m
        code = group = None
        code_at = group_at = None
        derived = None
        snomed = None
        for i, system, value, display in codings:
            if system is None or value is None:
                continue
            element = f"Condition.code.coding[{i}]"
            at = (element, system, value, display)
            if (system, value) in m.group_codes and group is None:
                group, group_at = m.group_codes[(system, value)], at
            elif code is None and (system in m.icd10_systems or system in m.sks_systems):
                icd = normalise_icd10(value) if system in m.icd10_systems else icd10_from_sks(value)
                kind = "ICD-10" if system in m.icd10_systems else "SKS diagnosis"
                if icd is None:
                    self.fail(
                        res,
                        element,
                        f"'{value}' is not an {kind} code",
                    )
                    continue
                code, code_at = icd, at
                g = group_of_icd10(icd, m.ranges)
                if g is not None:
                    derived = (g, at)
            elif (system, value) in m.snomed and snomed is None:
                snomed = (m.snomed[(system, value)], at)
        if group is None and derived is not None:
            group, group_at = derived
        if snomed is not None:
            (sgroup, sicd), at = snomed
            if group is None:
                group, group_at = sgroup, at
            if code is None and sicd is not None:
                code, code_at = sicd, at
        if code is None and group is None:
            return None
        return _Dx(res, when, date_text, code, code_at, group, group_at)

    def read_Procedure(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        for entry, (i, system, code, display) in self.matched(
            res, "procedure", "Procedure.code", res.data.get("code")
        ):
            full, _, el, raw = self.resource_date(res)
            if full is None:
                self.note(
                    res,
                    el or "Procedure.performed[x]",
                    f"{entry.fact} needs a full date" + (f" (got '{raw}')" if raw else ""),
                )
                continue
            src = self.source(
                res, el or f"Procedure.code.coding[{i}]", entry, system, code, display, date_text
            )
            self.add(entry.fact, full, src, when, entry, res)

    def read_ServiceRequest(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        data = res.data
        cc = data.get("code")
        if isinstance(cc, dict) and "concept" in cc:
            self.r5(res, "ServiceRequest.code (a CodeableReference)")
            return
        codings = self.codings(res, cc, "ServiceRequest.code")
        hit = next((c for c in codings if (c[1] or "", c[2] or "") in self.m.referral_codes), None)
        if hit is None:
            for _, system, code, display in codings:
                self.note(
                    res,
                    "ServiceRequest.code",
                    "not a palliative referral code",
                    system,
                    code,
                    display,
                )
            if not codings:
                self.note(res, "ServiceRequest.code", "no coding")
            return
        _, system, code, display = hit
        for entry in self.m.by_source.get("referral", ()):
            if entry.value == "authored":
                full, _, _, raw = self.resource_date(res)
                if full is not None:
                    src = self.source(
                        res, "ServiceRequest.authoredOn", entry, system, code, display, date_text
                    )
                    self.add(entry.fact, full, src, when, entry, res)
                elif raw is not None:
                    self.note(res, "ServiceRequest.authoredOn", f"partial date '{raw}'")
            elif entry.value == "extension":
                for k, ext in enumerate(
                    self.lst(res, data, "extension", "ServiceRequest.extension")
                ):
                    if not isinstance(ext, dict):
                        self.fail(res, f"ServiceRequest.extension[{k}]", "must be a JSON object")
                        continue
                    if ext.get("url") != self.m.received_extension:
                        continue
                    key = "valueDate" if "valueDate" in ext else "valueDateTime"
                    path = f"ServiceRequest.extension[{k}].{key}"
                    parsed = self.date_at(res, ext.get(key), path)
                    if parsed is None:
                        if key not in ext:
                            self.fail(
                                res,
                                f"ServiceRequest.extension[{k}]",
                                "the referral-received extension needs valueDate",
                            )
                        continue
                    if parsed[0] is None:
                        self.note(res, path, "partial date")
                        continue
                    if parsed[1] > self.on:
                        self.note(res, path, "dated after the evaluation date: not used")
                        continue
                    src = self.source(res, path, entry, system, code, display, date_text)
                    self.add(entry.fact, parsed[0], src, when, entry, res)
        for k, ref in enumerate(
            self.lst(res, data, "reasonReference", "ServiceRequest.reasonReference")
        ):
            if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
                self.fail(
                    res,
                    f"ServiceRequest.reasonReference[{k}]",
                    "must be a Reference with a 'reference' string",
                )
                continue
            self.reasons.append((res, ref["reference"]))

    def read_Encounter(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        data = res.data
        if isinstance(data.get("class"), list):
            self.r5(res, "Encounter.class (a list)")
            return
        found = []
        types = self.lst(res, data, "type", "Encounter.type")
        for t, cc in enumerate(types):
            for i, system, code, display in self.codings(res, cc, f"Encounter.type[{t}]"):
                for entry in self.m.by_code.get(("encounter", (system or "", code or "")), ()):
                    found.append((entry, f"Encounter.type[{t}].coding[{i}]", system, code, display))
        if not found:
            for t, cc in enumerate(types):
                for _, system, code, display in self.codings(res, cc, f"Encounter.type[{t}]"):
                    self.note(
                        res, "Encounter.type", "code not in the mapping", system, code, display
                    )
            if not types:
                self.note(res, "Encounter.type", "no type")
            return
        full, _, el, raw = self.resource_date(res)
        if full is None:
            self.note(
                res,
                el or "Encounter.period.start",
                "first contact needs a full date" + (f" (got '{raw}')" if raw else ""),
            )
            return
        entry, _element, system, code, display = found[0]
        src = self.source(res, "Encounter.period.start", entry, system, code, display, date_text)
        self.add(entry.fact, full, src, when, entry, res)

    def read_Consent(self, res: _Res, when: date | None, date_text: str | None) -> None:  # noqa: N802
        data = res.data
        found = []
        for c, cc in enumerate(self.lst(res, data, "category", "Consent.category")):
            for _i, system, code, display in self.codings(res, cc, f"Consent.category[{c}]"):
                for entry in self.m.by_code.get(("consent", (system or "", code or "")), ()):
                    found.append((entry, system, code, display))
        if not found:
            self.note(res, "Consent.category", "no consent category in the mapping")
            return
        status = data.get("status")
        provision = self.obj(res, data, "provision", "Consent.provision")
        ptype = self.text(res, provision, "type", "Consent.provision.type") if provision else None
        if status == "active":
            value, at = ptype != "deny", ("Consent.provision.type" if ptype else "Consent.status")
        elif status == "rejected":
            value, at = False, "Consent.status"
        else:
            self.note(
                res,
                "Consent.status",
                f"status '{status}' is not used",
                code=status if isinstance(status, str) else None,
            )
            return
        entry, system, code, display = found[0]
        src = self.source(res, at, entry, system, code, display, date_text)
        self.add(entry.fact, value, src, when, entry, res)

    def read_QuestionnaireResponse(  # noqa: N802
        self, res: _Res, when: date | None, date_text: str | None
    ) -> None:
        data = res.data
        m = self.m
        canonical = self.text(res, data, "questionnaire", "QuestionnaireResponse.questionnaire")
        answers: dict[str, tuple[Any, str]] = {}
        wanted = set(m.link_ids)
        eortc_system = False
        stack = [
            (item, f"QuestionnaireResponse.item[{i}]")
            for i, item in enumerate(self.lst(res, data, "item", "QuestionnaireResponse.item"))
        ]
        systems = (m.answers_1_4, m.answers_1_7)
        while stack:  # element paths are made only where a message or a source needs one
            item, path = stack.pop()
            if not isinstance(item, dict):
                self.fail(res, path, "must be a JSON object")
                continue
            link = item.get("linkId")
            given = item.get("answer")
            if given is not None and not isinstance(given, list):
                self.fail(res, f"{path}.answer", "must be a JSON array")
                given = None
            for a, answer in enumerate(given or ()):
                if not isinstance(answer, dict):
                    self.fail(res, f"{path}.answer[{a}]", "must be a JSON object")
                    continue
                coding = answer.get("valueCoding")
                if coding is not None and not isinstance(coding, dict):
                    self.fail(res, f"{path}.answer[{a}].valueCoding", "must be a JSON object")
                    coding = None
                if coding is not None and coding.get("system") in systems:
                    eortc_system = True
                if isinstance(link, str) and link in wanted and link not in answers:
                    answers[link] = (answer, f"{path}.answer[{a}]")
                subs = answer.get("item")
                if subs is not None:
                    at = f"{path}.answer[{a}]"
                    for j, sub in enumerate(self.lst(res, answer, "item", f"{at}.item")):
                        stack.append((sub, f"{at}.item[{j}]"))
            subs = item.get("item")
            if subs is not None:
                for j, sub in enumerate(self.lst(res, item, "item", f"{path}.item")):
                    stack.append((sub, f"{path}.item[{j}]"))
        base = canonical.partition("|")[0] if canonical else None
        if base not in m.questionnaires and not eortc_system:
            self.note(
                res,
                "QuestionnaireResponse.questionnaire",
                "questionnaire not in the mapping",
                None,
                canonical,
            )
            return
        for entry in m.by_source.get("questionnaire", ()):
            if entry.value == "date":
                full, _, _, raw = self.resource_date(res)
                if full is not None:
                    src = self.source(
                        res,
                        "QuestionnaireResponse.authored",
                        entry,
                        None,
                        canonical,
                        None,
                        date_text,
                    )
                    self.add(entry.fact, full, src, when, entry, res)
                elif raw is not None:
                    self.note(res, "QuestionnaireResponse.authored", f"partial date '{raw}'")
                continue
            scores = []
            for n, link in enumerate(m.link_ids, 1):
                got = answers.get(link)
                score = (
                    None if got is None else self.grade(res, got[0], got[1], 7 if n == 15 else 4)
                )
                if score is None:
                    break
                scores.append(score)
            if len(scores) < len(m.link_ids):
                missing = [link for link in m.link_ids if link not in answers]
                why = (
                    f"items {', '.join(missing)} unanswered"
                    if missing
                    else "an answer is not a grade"
                )
                self.note(
                    res,
                    "QuestionnaireResponse.item",
                    f"EORTC QLQ-C15-PAL incomplete ({why}): eortc_items not recorded",
                    None,
                    canonical,
                )
                continue
            src = self.source(
                res, "QuestionnaireResponse.item", entry, None, canonical, None, date_text
            )
            self.add(entry.fact, scores, src, when, entry, res)

    def grade(self, res: _Res, answer: dict[str, Any], path: str, top: int) -> int | None:
        m = self.m
        if "valueInteger" in answer:
            raw = answer["valueInteger"]
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.fail(res, f"{path}.valueInteger", "must be an integer")
                return None
            if 1 <= raw <= top:
                return raw
            self.note(res, f"{path}.valueInteger", f"{raw} is outside 1-{top}")
            return None
        coding = answer.get("valueCoding")
        if not isinstance(coding, dict):
            self.note(res, path, "answer is neither valueCoding nor valueInteger")
            return None
        system, code = coding.get("system"), coding.get("code")
        expected = m.answers_1_7 if top == 7 else m.answers_1_4
        if system == expected and isinstance(code, str) and code.startswith("grade_"):
            digits = code[6:]
            if digits.isdigit() and 1 <= int(digits) <= top:
                return int(digits)
        self.note(
            res,
            f"{path}.valueCoding",
            f"not a grade_1..grade_{top} answer of {expected}",
            system if isinstance(system, str) else None,
            code if isinstance(code, str) else None,
        )
        return None

    # ---------------------------------------------------------------- settle
    def check_subjects(self) -> None:
        own = self.patient_res
        ids: dict[str, tuple[_Res, str, str]] = {}
        for ref, (res, path) in self.subjects.items():
            target = self.by_url.get(ref)
            if target is not None:
                if target.rtype != "Patient":
                    continue
                key = target.ref
            else:
                tail = ref.split("/_history/")[0].rstrip("/").split("/")
                if len(tail) < 2 or tail[-2] != "Patient":
                    continue
                key = f"Patient/{tail[-1]}"
            ids.setdefault(key, (res, path, ref))
        if own is not None:
            own_keys = {own.ref}
            foreign = {k: v for k, v in ids.items() if k not in own_keys}
        else:
            foreign = dict(list(ids.items())[1:])
        if foreign:
            shown = "; ".join(
                f"{r.label} ({r.ref}) {p} = '{ref}'"
                for r, p, ref in list(foreign.values())[:_SHOWN]
            )
            patient = own.ref if own is not None else next(iter(ids))
            self.errors.append(
                Diagnostic(
                    "several-patients",
                    f"the bundle's resources concern more than one patient: {patient} and "
                    f"{shown}; send one patient's resources",
                    self.name,
                )
            )

    def settle_diagnosis(self) -> None:
        chosen = [d for d in self.dx if d.group is not None]
        why = "code in no DPD diagnosis group, and no referral names the Condition"
        if self.reasons:
            named = []
            for res, ref in self.reasons:
                target = self.by_url.get(ref) or self.by_ref.get(ref.split("/_history/")[0])
                if target is None:
                    tail = ref.rstrip("/").split("/")
                    target = self.by_ref.get("/".join(tail[-2:])) if len(tail) >= 2 else None
                if target is None:
                    self.note(
                        res, "ServiceRequest.reasonReference", f"'{ref}' is not in the bundle"
                    )
                    continue
                named.append(target)
            if named:
                chosen = [d for d in self.dx if any(d.res is n for n in named)]
                why = "not the diagnosis the referral names (ServiceRequest.reasonReference)"
        for dx in self.dx:
            if not any(dx is c for c in chosen):
                at = dx.code_at or dx.group_at
                self.note(dx.res, "Condition.code", why, at[1] if at else None,
                          at[2] if at else None, at[3] if at else None)  # fmt: skip
        entry = next(iter(self.m.by_source.get("diagnosis", ())), None)
        if entry is None or not chosen:
            return
        # code and group of one Condition are one unit: the latest Condition gives both
        dated = [d for d in chosen if d.when is not None]
        pool = dated or chosen
        best = max(d.when for d in dated if d.when) if dated else None
        top = [d for d in pool if d.when == best]
        pairs = _distinct((d.code, d.group) for d in top)
        every = tuple(
            (
                json_value([d.code, d.group]),
                self.source(
                    d.res,
                    (d.code_at or d.group_at or ("Condition.code",))[0],
                    entry,
                    when=d.date_text,
                ),
            )
            for d in chosen
        )
        facts = [f for f in (entry.fact, entry.also) if f]
        if len(pairs) > 1:
            day = best.isoformat() if best else "undated"
            for fact in facts:
                self.pre_conflicts.append(
                    Conflict(fact, "unknown", f"{len(top)} diagnosis Conditions of the deciding "
                             f"date ({day}) disagree; the fact is left unknown", every)
                )  # fmt: skip
            return
        if len(_distinct((d.code, d.group) for d in chosen)) > 1:
            for fact in facts:
                self.pre_conflicts.append(
                    Conflict(fact, "resolved", f"the latest diagnosis Condition wins "
                             f"({top[0].res.ref}, {best.isoformat() if best else 'undated'})",
                             every)
                )  # fmt: skip
        chosen = [d for d in chosen if (d.code, d.group) == pairs[0]]
        for dx in chosen:
            if dx.code is not None and dx.code_at is not None:
                el, system, code, display = dx.code_at
                self.add(
                    entry.fact,
                    dx.code,
                    self.source(dx.res, el, entry, system, code, display, dx.date_text),
                    dx.when,
                    entry,
                    dx.res,
                )
            if dx.group is not None and dx.group_at is not None and entry.also:
                el, system, code, display = dx.group_at
                self.add(
                    entry.also,
                    dx.group,
                    self.source(dx.res, el, entry, system, code, display, dx.date_text),
                    dx.when,
                    entry,
                    dx.res,
                )

    def settle(self) -> tuple[dict[str, Any], dict[str, FactProvenance], list[Conflict]]:
        facts: dict[str, Any] = {}
        provenance: dict[str, FactProvenance] = {}
        conflicts: list[Conflict] = list(self.pre_conflicts)
        for fact, cands in self.cands.items():
            if len(cands) == 1:
                c = cands[0]
                facts[fact] = c.value
                provenance[fact] = FactProvenance(fact, json_value(c.value), c.source, "only")
                continue
            earliest = any(c.pick == "earliest" for c in cands)
            dated = [c for c in cands if c.when is not None]
            pool = dated or cands
            if dated:
                best = (
                    min(c.when for c in dated if c.when)
                    if earliest
                    else max(c.when for c in dated if c.when)
                )
                top = [c for c in pool if c.when == best]
            else:
                top = pool
            values = _distinct(c.value for c in top)
            rule: Literal["earliest", "latest"] = "earliest" if earliest else "latest"
            if len(values) > 1:
                day = top[0].when.isoformat() if top[0].when else "undated"
                conflicts.append(
                    Conflict(
                        fact,
                        "unknown",
                        f"{len(top)} resources of the deciding date ({day}) disagree; "
                        "the fact is left unknown",
                        tuple((json_value(c.value), c.source) for c in cands),
                    )
                )
                continue
            winner = top[0]
            facts[fact] = winner.value
            others = tuple(c.source for c in cands if c is not winner)
            if len(_distinct(c.value for c in cands)) > 1:
                conflicts.append(
                    Conflict(
                        fact,
                        "resolved",
                        f"the {rule} resource wins ({winner.source.resource}, "
                        f"{winner.source.date or 'undated'})",
                        tuple((json_value(c.value), c.source) for c in cands),
                    )
                )
                provenance[fact] = FactProvenance(
                    fact, json_value(winner.value), winner.source, rule, others
                )
            else:
                provenance[fact] = FactProvenance(
                    fact, json_value(winner.value), winner.source, "agree", others
                )
        # a dated flag's date only with the flag not false (e.g. terminal declaration)
        for entry, flag in self.flags:
            if entry.fact not in facts:
                continue
            if flag is not None and facts.get(flag.fact) is False:
                dropped = provenance.pop(entry.fact)
                del facts[entry.fact]
                conflicts.append(
                    Conflict(
                        entry.fact,
                        "unknown",
                        f"{flag.fact} is false in the deciding resource, so its date from "
                        f"{dropped.source.resource} is not used",
                        ((dropped.value, dropped.source),),
                    )
                )
        if "age" in facts and "birth_date" in facts:
            dropped = provenance.pop("age")
            del facts["age"]
            conflicts.append(
                Conflict(
                    "age",
                    "resolved",
                    "Patient.birthDate wins over a recorded age; the age is derived from it",
                    (
                        (dropped.value, dropped.source),
                        (provenance["birth_date"].value, provenance["birth_date"].source),
                    ),
                )
            )
        return facts, provenance, conflicts


class _Missing:
    pass


_NONE: Any = _Missing()


def _distinct(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(v == o for o in out):
            out.append(v)
    return out


def _label(label: str | None, at: tuple[str, int | None] | None) -> str:
    """An entry's name in messages: ``label``, or made from its bundle prefix and index."""
    if label is not None:
        return label
    assert at is not None
    return at[0] if at[1] is None else f"{at[0]}entry[{at[1]}]"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _hint(word: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _age(born: date, on: date) -> int:
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def _last_day(raw: str, earliest: date) -> date:
    import calendar

    if len(raw) >= 7:  # YYYY-MM
        return earliest.replace(day=calendar.monthrange(earliest.year, earliest.month)[1])
    return earliest.replace(month=12, day=31)


def extract(data: Any, *, on: date, mapping: Mapping, name: str) -> Extraction:
    """Facts and provenance from parsed bundle JSON; :class:`FhirInputError` on bad input."""
    walk = _Walk(mapping, on, name)
    resources = walk.index(data)
    if not walk.errors:
        walk.walk(resources)
    if not walk.errors:
        walk.check_subjects()
    if walk.errors:
        raise FhirInputError(walk.errors)
    walk.settle_diagnosis()
    facts, provenance, conflicts = walk.settle()
    try:
        patient = Patient.model_validate(facts)
    except ValidationError as exc:
        raise FhirInputError(_patient_errors(exc, provenance, name)) from None
    unmapped = tuple(
        Unmapped(rtype, element, reason, system, code, slot[0], slot[1], tuple(slot[2]))
        for (rtype, element, system, code, reason), slot in walk.unmapped.items()
    )
    ordered = {f: provenance[f] for f in FACTS if f in provenance}
    return Extraction(
        patient=patient,
        provenance=ordered,
        conflicts=tuple(conflicts),
        unmapped=unmapped,
        ignored=dict(sorted(walk.ignored.items())),
        on=on,
        mapping=mapping.key,
        source=name,
        patient_ref=walk.patient_res.ref if walk.patient_res else None,
        patient_identifier=walk.identifier,
    )


def _patient_errors(
    exc: ValidationError, provenance: dict[str, FactProvenance], name: str
) -> list[Diagnostic]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if isinstance(p, str)]
        msg = err["msg"].removeprefix("Value error, ")
        facts = [loc[0]] if loc and loc[0] in provenance else [f for f in provenance if f in msg]
        where = "; ".join(
            f"{f} from {provenance[f].source.entry} ({provenance[f].source.resource}) "
            f"{provenance[f].source.element}"
            for f in facts
        )
        out.append(Diagnostic("invalid-fact", f"{msg}" + (f" [{where}]" if where else ""), name))
    return out
