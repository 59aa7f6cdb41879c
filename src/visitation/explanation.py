"""The explanation stage: what evaluation recorded → an Assessment with its texts.

Evaluation (:func:`visitation.compile.evaluate_core`, one call of the compiled rule set)
records every rule's truth, every pathway's verdict and each indeterminate pathway's
missing facts. This stage turns that record into an :class:`Assessment`: per rule its
status, its explanation in each language (the rule file's template with ``{fact}``
filled in by :func:`visitation.explain.format_value`), the evidence (recorded facts it
used, as JSON values) and, when unknown, its missing facts; per pathway its verdict,
blocking rules and missing facts.

An :class:`Explainer` is built once per compiled rule set and language choice: per rule
and status the result's fixed fields (titles, citation, a template without placeholders),
a formatter per placeholder and the evidence form of each fact are prepared then, and
each rule's builder is written as straight-line Python (:func:`_write_builders`, as
:mod:`visitation.compile` writes the core), so that explaining one patient builds only
what the result holds. With ``memo=True`` (as :class:`visitation.Library` makes
them) it keeps, per rule, the results of the last :data:`MEMO_SIZE` combinations of the
values that rule depends on: a result is a pure function of exactly those values (and of
the date, for a rule that depends on it), so a memoised result equals a fresh one, and
Assessments share the same read-only objects (see :mod:`visitation._frozen`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import date
from operator import itemgetter
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from visitation._frozen import FrozenDict, FrozenList
from visitation._version import __version__
from visitation.assessment import (
    Assessment,
    PathwayResult,
    Readiness,
    RuleResult,
    RuleStatus,
    SourceCitation,
    Verdict,
)
from visitation.compile import CompiledRule, CompiledRuleSet, CoreResult
from visitation.conditions import leaves
from visitation.explain import formatter
from visitation.facts import DERIVATIONS, FACTS
from visitation.logic import Facts, Truth, fact_value, json_value, kleene_all
from visitation.ruleset import PLACEHOLDER, Rule, Source, per_language

__all__ = ["EVALUATOR", "MEMO_SIZE", "Explainer", "explain"]

M = TypeVar("M", bound=BaseModel)

EVALUATOR: Final = f"visitation {__version__}"
"""Recorded in every Assessment, so an auditor knows which evaluator gave the verdict."""

MEMO_SIZE: Final = 256
"""Results kept per rule (and per pathway) by a memoising explainer; the oldest go first."""

_STATUS: Final[Mapping[Truth, RuleStatus]] = {True: "met", False: "not_met", None: "unknown"}
_READINESS: Final[Mapping[Truth, Readiness]] = {
    True: "ready",
    False: "not_ready",
    None: "unknown",
}
_VERDICT: Final[Mapping[Truth, Verdict]] = {
    True: "eligible",
    False: "not_eligible",
    None: "indeterminate",
}


def explain(
    program: CompiledRuleSet, facts: Facts, on: date, core: CoreResult, lang: str | None
) -> Assessment:
    """The Assessment for what evaluation recorded (no memo: a pure function)."""
    return Explainer(program, lang).assess(facts, on, core)


class Explainer:
    """Prepared once per compiled rule set and language choice; see the module docstring."""

    __slots__ = (
        "_header", "_results", "_title", "indicators", "langs", "memo", "pathways", "program",
        "rules", "source",
    )  # fmt: skip

    def __init__(self, program: CompiledRuleSet, lang: str | None, *, memo: bool = False) -> None:
        rs = program.ruleset
        if lang is not None and lang not in rs.languages:
            raise ValueError(
                f"{rs.key} has no language '{lang}'; languages: {', '.join(rs.languages)}"
            )
        langs = [lang] if lang is not None else list(rs.languages)
        self.program = program
        self.langs = langs
        self.memo = memo
        sources = {s.id: s for s in rs.sources}
        self.rules = tuple(
            _RuleExplainer(r, rs.definitions, sources, langs, memo) for r in program.rules
        )
        self.indicators = tuple(
            _RuleExplainer(r, rs.definitions, sources, langs, memo) for r in program.indicators
        )
        self.source, self._results = _write_builders(self.rules, self.indicators, rs.key)
        """The generated text of the rules' builders (for reading and debugging)."""
        self.pathways = tuple(
            _PathwayExplainer(pid, required, documents, program, langs, memo)
            for (pid, required), documents in zip(
                program.pathways, program.documentation, strict=True
            )
        )
        header: dict[str, Any] = {
            "family": rs.family,
            "version": rs.version,
            "status": rs.status,
            "content_hash": program.content_hash,
            "evaluator": EVALUATOR,
            "effective_from": rs.effective_from,
            "effective_until": rs.effective_until,
        }
        self._title = {k: rs.title[k] for k in langs}
        """The rule set's title in the chosen languages (each Assessment gets a copy)."""
        self._header = {name: header.get(name) for name in _ORDER[Assessment]}
        """The Assessment's fields in the model's order, those of the patient unset."""

    def assess(self, facts: Facts, on: date, core: CoreResult) -> Assessment:
        """The Assessment of one patient: ``facts`` is the complete fact mapping of a
        validated Patient (:func:`visitation.facts_of`), ``core`` what evaluation recorded."""
        statuses = core.statuses
        fields = self._header.copy()
        fields["title"] = self._title.copy()
        fields["languages"] = list(self.langs)
        fields["evaluated_on"] = on
        fields["in_force"] = self.program.ruleset.in_force_on(on)
        fields["pathways"] = [
            p.result(statuses, v, m)
            for p, v, m in zip(self.pathways, core.verdicts, core.missing, strict=True)
        ]
        if self.memo:
            fields["rules"] = [
                r.result(facts, on, t) for r, t in zip(self.rules, statuses, strict=True)
            ]
            fields["indicators"] = [r.result(facts, on, None, test=True) for r in self.indicators]
        else:
            fields["rules"], fields["indicators"] = self._results(facts, on, statuses)
        return _made(Assessment, fields)


def _made(cls: type[M], fields: dict[str, Any]) -> M:
    """A result model from its fields, in the model's order, without a validation pass.

    Every field is given, in the model's own types (read-only containers where the model
    makes them), so the object is the one validation would make: the same fields, equal,
    serialising alike. ``tests/test_explanation.py`` checks exactly that for every kind of
    result, so this cannot drift from the models. (pydantic's ``model_construct`` does the
    same with more generality and took most of the explanation's time.)
    """
    model = _new(cls)
    _set_dict(model, fields)
    _set_fields_set(model, _FIELDS[cls])
    _set_extra(model, None)
    _set_private(model, None)
    return model


_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
"""The instance's slots, set as ``object.__setattr__`` would set them, in fewer steps."""


_ORDER: Final[Mapping[type[BaseModel], tuple[str, ...]]] = {
    m: tuple(m.model_fields) for m in (Assessment, RuleResult, PathwayResult)
}
_FIELDS: Final[Mapping[type[BaseModel], set[str]]] = {m: set(f) for m, f in _ORDER.items()}


def _key_getter(names: Sequence[str]) -> Callable[[Facts], tuple[Any, ...]]:
    """The values of ``names`` as a hashable tuple (a list of scores becomes a tuple)."""
    lists = [i for i, n in enumerate(names) if FACTS[n].kind == "scores"]
    if not names:
        return lambda facts: ()
    get = itemgetter(*names)
    if len(names) == 1:
        if lists:
            return lambda facts: (None if (v := get(facts)) is None else tuple(v),)
        return lambda facts: (get(facts),)
    if not lists:
        return get

    def key(facts: Facts) -> tuple[Any, ...]:
        values = list(get(facts))
        for i in lists:
            if values[i] is not None:
                values[i] = tuple(values[i])
        return tuple(values)

    return key


class _RuleExplainer:
    """One rule's RuleResult from the values of the facts it depends on.

    Prepared once: per status the result's fields that are the same for every patient,
    in the model's order (:attr:`bases`), the split templates of its explanations, and
    per fact the rule refers to how its value becomes evidence (:func:`_to_json`). From
    these :func:`_write_builders` writes the rule's ``build(facts, on, truth)``, which
    builds only what the result holds for a patient: the explanation when its template
    has placeholders, the evidence and, when unknown, the missing facts.
    """

    __slots__ = (
        "bases", "build", "dated", "evidence", "key", "memo", "names", "rule", "templates",
    )  # fmt: skip

    def __init__(
        self,
        rule: CompiledRule,
        definitions: Mapping[str, Any],
        sources: Mapping[str, Source],
        langs: list[str],
        memo: bool,
    ) -> None:
        r = rule.rule
        placeholders = [
            name
            for texts in (r.explain.met, r.explain.not_met, r.explain.unknown)
            for k in langs
            for name in PLACEHOLDER.findall(texts[k])
        ]
        names = list(dict.fromkeys([*rule.facts, *(p for p in placeholders if p != "on")]))
        derived = [DERIVATIONS[n] for n in names if n in DERIVATIONS]
        for d in derived:  # a derived fact reads its inputs (and perhaps the date)
            names.extend(i for i in d.inputs if i not in names)
        names = [n for n in names if n in FACTS]  # a derived-only fact is read via its inputs
        self.rule = rule
        self.names = tuple(names)
        self.key = _key_getter(self.names)
        self.memo: dict[Any, RuleResult] | None = {} if memo else None
        self.dated = (
            any(d.dated for d in derived)
            or "on" in placeholders
            or any(leaf.operator == "within_days" for leaf in leaves(r.when, definitions))
        )
        """Whether the result depends on the evaluation date, which then joins the key."""
        fixed: dict[str, Any] = {
            "id": r.id,
            "group": r.group,
            "title": FrozenDict({k: r.title[k] for k in langs}),
            "source": _citation(r, sources, langs),
            "provenance": r.provenance,
            "rationale": None
            if r.rationale is None
            else FrozenDict(per_language(r.rationale, langs)),
            "missing": _NO_MISSING,
        }
        self.templates: dict[Truth, list[tuple[str, list[str]]] | None] = {}
        """Truth → [(language, its template split by ``PLACEHOLDER.split``)], or None when
        no template has a placeholder (the explanation is then in the base)."""
        self.bases: dict[Truth, dict[str, Any]] = {}
        """Truth → every field of the result in the model's order (the patient's unset); a
        fixed explanation is one read-only dict shared by every result."""
        for truth, status in _STATUS.items():
            split = [(k, PLACEHOLDER.split(getattr(r.explain, status)[k])) for k in langs]
            fixed_text = all(len(parts) == 1 for _, parts in split)
            explanation = FrozenDict({k: p[0] for k, p in split}) if fixed_text else None
            values = {**fixed, "status": status, "explanation": explanation}
            self.bases[truth] = {name: values.get(name) for name in _ORDER[RuleResult]}
            self.templates[truth] = None if fixed_text else split
        self.evidence = tuple(
            (
                name,
                tuple((i, _to_json(i)) for i in DERIVATIONS[name].inputs)
                if name in DERIVATIONS
                else (),
                _to_json(name),
            )
            for name in rule.facts
        )
        """(fact, its inputs with theirs when derived, how its value becomes evidence: None
        when the value is its own JSON form), for each fact the rule refers to."""
        self.build: Callable[[Facts, date, Truth], RuleResult] = _unwritten
        """``build(facts, on, truth)``: the result; written by :func:`_write_builders`."""

    def result(self, facts: Facts, on: date, truth: Truth, *, test: bool = False) -> RuleResult:
        """The result for these facts; ``truth`` is the rule's recorded truth (or, with
        ``test``, computed here: indicators are not part of the verdict pass)."""
        memo = self.memo
        if memo is None:
            return self.build(facts, on, self.rule.test(facts, on) if test else truth)
        values = self.key(facts)
        key = (on, values) if self.dated else values
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self.build(facts, on, self.rule.test(facts, on) if test else truth)
            if len(memo) > MEMO_SIZE:
                with suppress(KeyError, RuntimeError, StopIteration):  # another thread was first
                    del memo[next(iter(memo))]
        return hit


def _unwritten(facts: Facts, on: date, truth: Truth) -> RuleResult:  # pragma: no cover
    raise RuntimeError("a rule explainer's build is written by _write_builders")


_NO_MISSING: Final = FrozenList[str]()
"""The missing facts of a definite result: none (one shared, read-only empty list)."""


def _evidence_value(value: Any) -> Any:
    out = json_value(value)
    return FrozenList(out) if isinstance(out, list) else out


def _to_json(name: str) -> Callable[[Any], Any] | None:
    """How a recorded value of fact ``name`` becomes evidence (:func:`_evidence_value`),
    prepared for the fact's kind; None when the value is its own JSON form. A value of
    another type than the kind's goes to :func:`_evidence_value`, so the outcome is the
    same whatever the value."""
    spec = FACTS.get(name)
    if spec is None:
        return _evidence_value
    if spec.kind in ("bool", "int", "text"):
        return None
    enum_type = spec.enum_type
    codes: dict[Any, Any] = {m: m.value for m in enum_type or ()}
    if spec.kind == "enum":
        return lambda v: codes[v] if type(v) is enum_type else _evidence_value(v)
    if spec.kind == "date":
        return lambda v: v.isoformat() if type(v) is date else _evidence_value(v)
    if spec.kind == "set":
        element: type[Any] = enum_type or str
        code = codes.__getitem__ if enum_type is not None else _same

        def elements(value: Any) -> Any:
            if type(value) is frozenset:
                out = [code(v) for v in value if type(v) is element]
                if len(out) == len(value):
                    return FrozenList(sorted(out))
            return _evidence_value(value)

        return elements
    return _evidence_value


def _same(value: Any) -> Any:
    return value


# --------------------------------------------------------------------------------------
# The rules' builders: generated code, as the compiled core is
# --------------------------------------------------------------------------------------


def _write_builders(
    rules: Sequence[_RuleExplainer], indicators: Sequence[_RuleExplainer], key: str
) -> tuple[str, _Results]:
    """Write and run each rule's ``build(facts, on, truth)`` and ``results(facts, on,
    statuses)``, every rule's and indicator's result at once; the generated text too.

    Each builder is straight-line code: copy the base of the status, fill the templates
    (a placeholder's value read with ``facts.get`` and turned into text by its prepared
    :func:`visitation.explain.formatter`), collect the evidence fact by fact and make the
    model as :func:`_made` does. As in :mod:`visitation.compile`, the text holds only
    structure: made-up names, the names of the helpers below and of constants; every
    value (fact names, texts, bases, formatters) is a constant in the namespace, never
    spliced into the text (``tests/test_explanation.py`` checks it). Why generated code:
    the closures it replaces took about a third longer per patient (docs/performance.md).
    """
    w = _Writer()
    everything = [*rules, *indicators]
    chunks = [w.builder(i, e) for i, e in enumerate(everything)]
    chunks.append(w.results(rules, indicators))
    source = "\n".join(chunks)
    namespace: dict[str, Any] = {"__builtins__": {}, **_HELPERS, **w.consts}
    # Safe to run: the text is structure only; the rule file's values are in `namespace`.
    exec(compile(source, f"<visitation explanation {key}>", "exec"), namespace)
    for i, e in enumerate(everything):
        e.build = namespace[f"build_{i}"]
    return source, namespace["results"]


_Results = Callable[[Facts, date, Sequence[Truth]], tuple[list[RuleResult], list[RuleResult]]]


_HELPERS: Final[Mapping[str, Any]] = {
    "_fact_value": fact_value,
    "_FrozenDict": FrozenDict,
    "_FrozenList": FrozenList,
    "_RuleResult": RuleResult,
    "_FIELDS_SET": _FIELDS[RuleResult],
    "_new": _new,
    "_set_dict": _set_dict,
    "_set_fields_set": _set_fields_set,
    "_set_extra": _set_extra,
    "_set_private": _set_private,
    "_iso": date.isoformat,
    "_EXPLANATION": "explanation",
    "_EVIDENCE": "evidence",
    "_MISSING": "missing",
}
"""The names every builder may use beyond its constants (no builtins)."""


class _Writer:
    """Writes the builders' text; every value becomes a constant ``_cN``."""

    def __init__(self) -> None:
        self.consts: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def results(self, rules: Sequence[_RuleExplainer], indicators: Sequence[_RuleExplainer]) -> str:
        """``results(facts, on, statuses)``: the rules' results for their recorded truths,
        and the indicators' for the truth each tests here."""
        truths = [f"t{i}" for i in range(len(rules))]
        built = [f"build_{i}(facts, on, t{i})" for i in range(len(rules))]
        tested = [
            f"build_{i}(facts, on, {self.const(e.rule.test)}(facts, on))"
            for i, e in enumerate(indicators, start=len(rules))
        ]
        lines = ["def results(facts, on, statuses):"]
        if rules:
            lines.append(f"    ({', '.join(truths)},) = statuses")
        lines.append(f"    return [{', '.join(built)}], [{', '.join(tested)}]")
        return "\n".join(lines)

    def builder(self, i: int, e: _RuleExplainer) -> str:
        lines = [f"def build_{i}(facts, on, truth):", "    get = facts.get"]
        branches = [("if truth is True:", True), ("elif truth is False:", False), ("else:", None)]
        for head, truth in branches:
            lines.append("    " + head)
            lines.append(f"        d = {self.const(e.bases[truth])}.copy()")
            split = e.templates[truth]
            if split is not None:
                texts = ", ".join(f"{self.const(k)}: {self.text(parts, k)}" for k, parts in split)
                lines.append(f"        d[_EXPLANATION] = _FrozenDict({{{texts}}})")
            if truth is None:
                lines.append(
                    f"        d[_MISSING] = _FrozenList({self.const(e.rule.missing)}(facts, on))"
                )
        lines.append("    e = {}")
        for name, inputs, to_json in e.evidence:
            n = self.const(name)
            lines.append(f"    v = get({n})")
            if inputs:  # derived: computed when not recorded, and its recorded inputs named
                lines += [
                    "    if v is None:",
                    f"        v = _fact_value(facts, {n}, on)",
                    "        if v is not None:",
                    f"            e[{n}] = {self.json('v', to_json)}",
                ]
                for source, source_json in inputs:
                    s = self.const(source)
                    lines += [
                        f"        w = get({s})",
                        "        if w is not None:",
                        f"            e[{s}] = {self.json('w', source_json)}",
                    ]
                lines += ["    else:", f"        e[{n}] = {self.json('v', to_json)}"]
            else:
                lines += ["    if v is not None:", f"        e[{n}] = {self.json('v', to_json)}"]
        lines += [  # the model, as _made makes it
            "    d[_EVIDENCE] = _FrozenDict(e)",
            "    r = _new(_RuleResult)",
            "    _set_dict(r, d)",
            "    _set_fields_set(r, _FIELDS_SET)",
            "    _set_extra(r, None)",
            "    _set_private(r, None)",
            "    return r",
        ]
        return "\n".join(lines)

    def json(self, var: str, to_json: Callable[[Any], Any] | None) -> str:
        return var if to_json is None else f"{self.const(to_json)}({var})"

    def text(self, parts: list[str], lang: str) -> str:
        """The expression of one filled template (``parts`` split by ``PLACEHOLDER``)."""
        terms = []
        for j, part in enumerate(parts):
            if j % 2 == 0:
                if part:
                    terms.append(self.const(part))
            elif part == "on":
                terms.append("_iso(on)")
            else:
                spec = FACTS.get(part)
                fmt = self.const(
                    formatter(spec.kind if spec else None, spec.enum_type if spec else None, lang)
                )
                n = self.const(part)
                value = f"_fact_value(facts, {n}, on)" if part in DERIVATIONS else f"get({n})"
                terms.append(f"{fmt}({value})")
        return " + ".join(terms) if terms else self.const("")


def _citation(rule: Rule, sources: Mapping[str, Source], langs: list[str]) -> SourceCitation:
    src = sources[rule.source.ref]
    return SourceCitation(
        ref=src.id, section=per_language(rule.source.section, langs), title=src.title,
        publisher=per_language(src.publisher, langs), url=src.url, seed=src.seed,
    )  # fmt: skip


class _PathwayExplainer:
    """One pathway's PathwayResult from its rules' statuses and missing facts."""

    __slots__ = ("_base", "_documents", "_required", "get", "memo", "rule_ids")

    def __init__(
        self,
        pid: str,
        required: tuple[int, ...],
        documents: tuple[int, ...],
        program: CompiledRuleSet,
        langs: list[str],
        memo: bool,
    ) -> None:
        self.rule_ids = [program.rules[i].rule.id for i in required]
        self._required = [(program.rules[i].rule.id, i) for i in required]
        self._documents = [(i, program.rules[i].rule.id) for i in documents]
        fixed = {
            "id": pid,
            "title": FrozenDict({k: program.ruleset.pathways[pid].title[k] for k in langs}),
            "rules": FrozenList(self.rule_ids),
            "blocking": _NO_MISSING,
            "missing": _NO_MISSING,
            "referral": _READINESS[True],
            "todo": _NO_MISSING,
        }
        self._base = {name: fixed.get(name) for name in _ORDER[PathwayResult]}
        """The result's fields in the model's order: those of a pathway with nothing
        blocking, missing or to do (one shared, read-only empty list for each)."""
        keyed = (*required, *documents)
        self.get: Callable[[Sequence[Truth]], Any] = (
            itemgetter(*keyed) if keyed else (lambda statuses: ())
        )
        self.memo: dict[Any, PathwayResult] | None = {} if memo else None

    def result(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        """The result for the recorded statuses and verdict (the verdict follows from the
        required statuses, which with the missing facts are the memo key)."""
        memo = self.memo
        if memo is None:
            return self._build(statuses, verdict, missing)
        key = (self.get(statuses), tuple(missing))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = self._build(statuses, verdict, missing)
            if len(memo) > MEMO_SIZE:
                with suppress(KeyError, RuntimeError, StopIteration):
                    del memo[next(iter(memo))]
        return hit

    def _build(
        self, statuses: Sequence[Truth], verdict: Truth, missing: list[str]
    ) -> PathwayResult:
        fields = self._base.copy()
        fields["verdict"] = _VERDICT[verdict]
        blocking = [rid for rid, i in self._required if statuses[i] is False]
        if blocking:
            fields["blocking"] = FrozenList(blocking)
        if missing:
            fields["missing"] = FrozenList(missing)
        if self._documents:
            fields["referral"] = _READINESS[kleene_all(statuses[i] for i, _ in self._documents)]
            todo = [rid for i, rid in self._documents if statuses[i] is not True]
            if todo:
                fields["todo"] = FrozenList(todo)
        return _made(PathwayResult, fields)
