"""A rule-level diff of two rule sets, each change weighed as MAJOR, MINOR or PATCH.

:func:`diff` compares two versions (or two families) rule by rule: rules added, removed
and renamed; conditions changed (with definitions expanded, so a refactoring into a
definition is not a change of meaning, and a changed definition changes every rule that
uses it); wording per language; pathways, definitions and sources. Each change carries its
*impact*, read from the point of view of the patient and the reader (docs/rule-format.md,
"Versions"):

- **major**: some status in an Assessment can change: a rule's or an indicator's, a
  pathway's verdict, or its readiness (documentation rules). A rule or indicator added,
  removed or renamed (its id is part of every result); a condition changed (expanded); a
  rule's kind or its move between rules and indicators; the rules a pathway requires; a
  pathway added or removed; a definition that some rule or indicator uses.
- **minor**: what a reader sees changes, but no status: titles, explanations, rationale,
  provenance, source citations, a rule's group, the order of rules, the status, the
  effective dates, the languages.
- **patch**: no output changes: notes, ``dates_note``, a source's note or date, a pathway's
  description, the publisher, definitions nobody uses.

The version checks (:mod:`visitation.workbench.versions`) hold a version's step against
the largest impact of its diff from the previous version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from visitation import Condition, Diagnostic, Leaf, Operator, Rule, RuleSet, content_hash, fold
from visitation.workbench.words import condition_lines

__all__ = [
    "IMPACTS",
    "FieldChange",
    "Impact",
    "ItemChange",
    "RuleSetDiff",
    "Step",
    "compare",
    "expanded",
    "step",
    "uses",
]

Impact = Literal["major", "minor", "patch"]
Step = Literal["major", "minor", "patch", "none", "backwards"]
IMPACTS: tuple[Impact, ...] = ("major", "minor", "patch")
_RANK: Mapping[str, int] = {"none": 0, "backwards": 0, "patch": 1, "minor": 2, "major": 3}

ItemKind = Literal["file", "rule", "indicator", "pathway", "definition", "source"]
ChangeKind = Literal["added", "removed", "renamed", "changed"]


def rank(impact: str) -> int:
    """The order of impacts and steps: none < patch < minor < major."""
    return _RANK[impact]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an item that differs: its name, impact, language and both values."""

    field: str
    impact: Impact
    why: str
    lang: str | None = None
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "lang": self.lang,
            "impact": self.impact,
            "why": self.why,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One rule, indicator, pathway, definition or source that was added, removed,
    renamed or changed, or the file's own fields (``kind="file"``)."""

    kind: ItemKind
    id: str
    change: ChangeKind
    impact: Impact
    fields: tuple[FieldChange, ...] = ()
    renamed_from: str | None = None
    title: Mapping[str, str] = field(default_factory=dict)
    why: str = ""
    via: tuple[str, ...] = ()
    """For a rule whose condition changed: the changed definitions it uses."""
    words_before: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    words_after: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The condition in words per language, before and after (rules and definitions)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "change": self.change,
            "renamed_from": self.renamed_from,
            "impact": self.impact,
            "why": self.why,
            "title": dict(self.title),
            "via": list(self.via),
            "fields": [f.to_json() for f in self.fields],
            "condition_before": {k: list(v) for k, v in self.words_before.items()},
            "condition_after": {k: list(v) for k, v in self.words_after.items()},
        }


@dataclass(frozen=True, slots=True)
class RuleSetDiff:
    """What changed from rule set ``a`` to rule set ``b``, item by item, with impacts.

    ``items`` holds the changes in reading order (the file's fields, pathways, rules,
    indicators, definitions, sources); ``impact`` is the largest (``none`` when nothing
    output-relevant changed), ``step`` the version step from ``a`` to ``b``.
    """

    a: RuleSet
    b: RuleSet
    a_label: str
    b_label: str
    items: tuple[ItemChange, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    """The cross-version checks of ``b`` against ``a`` (:class:`visitation.Diagnostic`)."""

    @property
    def impact(self) -> Literal["major", "minor", "patch", "none"]:
        best: Literal["major", "minor", "patch", "none"] = "none"
        for item in self.items:
            if rank(item.impact) > rank(best):
                best = item.impact
        return best

    @property
    def step(self) -> Step:
        return step(self.a.version, self.b.version)

    @property
    def same_family(self) -> bool:
        return self.a.family == self.b.family

    def of(self, kind: ItemKind) -> tuple[ItemChange, ...]:
        """The changes of one kind of item."""
        return tuple(i for i in self.items if i.kind == kind)

    @property
    def changed_rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules and indicators that changed at MINOR or MAJOR level (both ids of
        a rename): those this version's change entry must name."""
        out: list[str] = []
        for i in self.items:
            if i.kind in ("rule", "indicator") and rank(i.impact) >= rank("minor"):
                if i.renamed_from:
                    out.append(i.renamed_from)
                out.append(i.id)
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """The diff as JSON-ready data."""

        def side(rs: RuleSet, label: str) -> dict[str, Any]:
            return {
                "label": label,
                "key": rs.key,
                "status": rs.status,
                "content_hash": content_hash(rs),
            }

        return {
            "a": side(self.a, self.a_label),
            "b": side(self.b, self.b_label),
            "step": self.step,
            "impact": self.impact,
            "items": [i.to_json() for i in self.items],
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }

    def render(self, format: str = "text", lang: str | None = None) -> str:
        """The diff as ``text``, ``md`` (Markdown), ``json`` or ``html``."""
        from visitation.workbench._diff_render import render_diff

        return render_diff(self, format, lang)

    def _repr_html_(self) -> str:
        return self.render("html")


# --------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def step(before: str, after: str) -> Step:
    """The semver step from version ``before`` to ``after``."""
    a, b = _semver(before), _semver(after)
    if b < a:
        return "backwards"
    if b == a:
        return "none"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch"


# --------------------------------------------------------------------------------------
# Conditions, expanded
# --------------------------------------------------------------------------------------

_SET_LITERALS = frozenset({"in", "not_in", "contains_any", "contains_all"})


class _Expand:
    """A condition as canonical JSON with every ``use`` replaced by its definition, and
    the literal lists of set-like operators sorted (their order means nothing)."""

    def leaf(self, leaf: Leaf, op: Operator) -> Any:
        value = leaf.value
        if op.name in _SET_LITERALS and isinstance(value, list):
            value = sorted(set(value), key=lambda v: json.dumps(v, sort_keys=True))
        return {"fact": leaf.fact, op.key: value}

    def all(self, parts: Sequence[Any]) -> Any:
        return {"all": list(parts)}

    def any(self, parts: Sequence[Any]) -> Any:
        return {"any": list(parts)}

    def negate(self, part: Any) -> Any:
        return {"not": part}

    def at_least(self, n: int, parts: Sequence[Any]) -> Any:
        return {"at_least_n_of": {"n": n, "of": list(parts)}}

    def use(self, name: str, definition: Any) -> Any:
        return definition


def expanded(condition: Condition, definitions: Mapping[str, Condition]) -> str:
    """The canonical text of a condition with its definitions expanded: two conditions
    with the same text give every patient the same status, the same evidence and the
    same missing facts."""
    tree = fold(condition, _Expand(), definitions, unresolved=lambda name: {"use": name})
    return json.dumps(tree, sort_keys=True, ensure_ascii=False)


def uses(condition: Condition, definitions: Mapping[str, Condition]) -> set[str]:
    """Every definition a condition uses, directly or through another definition."""
    found: set[str] = set()
    todo = [condition]
    while todo:
        c = todo.pop()
        data = c.model_dump(by_alias=True, exclude_none=True)
        for name in _use_names(data):
            if name not in found and name in definitions:
                found.add(name)
                todo.append(definitions[name])
    return found


def _use_names(data: Any) -> Iterable[str]:
    if isinstance(data, dict):
        if isinstance(data.get("use"), str) and len(data) == 1:
            yield data["use"]
        for v in data.values():
            yield from _use_names(v)
    elif isinstance(data, list):
        for v in data:
            yield from _use_names(v)


def _words(
    condition: Condition, definitions: Mapping[str, Condition], langs: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    return {lang: tuple(condition_lines(condition, definitions, lang)) for lang in langs}


# --------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------


def _texts(before: Any, after: Any) -> list[tuple[str | None, Any, Any]]:
    """Per-language differences of two texts (a plain string is language ``None``; beside
    a per-language text it is the same text in each of its languages)."""
    if isinstance(before, str) and isinstance(after, Mapping):
        before = dict.fromkeys(after, before)
    elif isinstance(before, Mapping) and isinstance(after, str):
        after = dict.fromkeys(before, after)
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return [
            (lang, before.get(lang), after.get(lang))
            for lang in sorted(set(before) | set(after))
            if before.get(lang) != after.get(lang)
        ]
    if before != after:
        return [(None, before, after)]
    return []


def _text_fields(name: str, before: Any, after: Any, impact: Impact, why: str) -> list[FieldChange]:
    return [
        FieldChange(name, impact, why, lang, old, new) for lang, old, new in _texts(before, after)
    ]


def _json(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def _max(fields: Iterable[FieldChange]) -> Impact:
    best: Impact = "patch"
    for f in fields:
        if rank(f.impact) > rank(best):
            best = f.impact
    return best


_STATUS_WHY = "can change the status of some patient's rule, indicator, verdict or readiness"
_SHOWN_WHY = "changes what a reader sees, no status"
_NOT_SHOWN_WHY = "not in any output"


@dataclass(frozen=True, slots=True)
class _Side:
    rs: RuleSet
    rules: dict[str, tuple[str, int, Rule]]  # id → (section, index, rule)
    expanded: dict[str, str]
    cited: set[str]
    used: set[str]  # definitions used (transitively) by some rule or indicator

    @classmethod
    def of(cls, rs: RuleSet) -> _Side:
        rules: dict[str, tuple[str, int, Rule]] = {}
        for section in ("rules", "indicators"):
            for i, r in enumerate(getattr(rs, section)):
                rules.setdefault(r.id, (section, i, r))
        exp = {rid: expanded(r.when, rs.definitions) for rid, (_, _, r) in rules.items()}
        used: set[str] = set()
        for _, _, r in rules.values():
            used |= uses(r.when, rs.definitions)
        return cls(rs, rules, exp, {r.source.ref for _, _, r in rules.values()}, used)


def _kind(r: Rule) -> str:
    return r.kind or "criterion"


def _item_kind(section: str) -> ItemKind:
    return "rule" if section == "rules" else "indicator"


def _rule_fields(a: _Side, b: _Side, ra: Rule, rb: Rule, sa: str, sb: str) -> list[FieldChange]:
    out: list[FieldChange] = []
    if sa != sb:
        out.append(
            FieldChange(
                "section", "major", "a rule gates a verdict, an indicator never does", None, sa, sb
            )
        )
    if _kind(ra) != _kind(rb):
        why = "moves the rule between the verdict (criterion) and readiness (documentation)"
        out.append(FieldChange("kind", "major", why, None, _kind(ra), _kind(rb)))
    if a.expanded[ra.id] != b.expanded[rb.id]:
        out.append(FieldChange("condition", "major", _STATUS_WHY))
    if ra.group != rb.group:
        out.append(FieldChange("group", "minor", _SHOWN_WHY, None, ra.group, rb.group))
    out += _text_fields("title", ra.title, rb.title, "minor", _SHOWN_WHY)
    for outcome in ("met", "not_met", "unknown"):
        out += _text_fields(
            f"explain.{outcome}",
            getattr(ra.explain, outcome),
            getattr(rb.explain, outcome),
            "minor",
            _SHOWN_WHY,
        )
    if ra.source.ref != rb.source.ref:
        out.append(
            FieldChange("source.ref", "minor", _SHOWN_WHY, None, ra.source.ref, rb.source.ref)
        )
    out += _text_fields(
        "source.section", _json(ra.source.section), _json(rb.source.section), "minor", _SHOWN_WHY
    )
    if ra.provenance != rb.provenance:
        out.append(
            FieldChange("provenance", "minor", _SHOWN_WHY, None, ra.provenance, rb.provenance)
        )
    out += _text_fields("rationale", _json(ra.rationale), _json(rb.rationale), "minor", _SHOWN_WHY)
    out += _text_fields("note", _json(ra.note), _json(rb.note), "patch", _NOT_SHOWN_WHY)
    # fields added to the format later (per-language texts and the like): compared as data
    known = {"id", "group", "kind", "title", "when", "explain", "source", "provenance"}
    known |= {"rationale", "note"}
    da, db = _json(ra), _json(rb)
    for key in sorted((set(da) | set(db)) - known):
        out += _text_fields(key, da.get(key), db.get(key), "minor", _SHOWN_WHY)
    return out


def _renames(a: _Side, b: _Side, removed: list[str], added: list[str]) -> dict[str, str]:
    """new id → old id, for a rule removed and one added with the same section, kind and
    (expanded) condition."""
    pairs: dict[str, str] = {}
    free = list(removed)
    for new in added:
        sb, _, rb = b.rules[new]
        for old in free:
            sa, _, ra = a.rules[old]
            if sa == sb and _kind(ra) == _kind(rb) and a.expanded[old] == b.expanded[new]:
                pairs[new] = old
                free.remove(old)
                break
    return pairs


def _rule_items(a: _Side, b: _Side) -> list[ItemChange]:
    langs_a, langs_b = list(a.rs.languages), list(b.rs.languages)
    removed = [rid for rid in a.rules if rid not in b.rules]
    added = [rid for rid in b.rules if rid not in a.rules]
    renamed = _renames(a, b, removed, added)
    out: list[ItemChange] = []
    for rid, (sb, _, rb) in b.rules.items():
        after = _words(rb.when, b.rs.definitions, langs_b)
        if rid in renamed:
            old = renamed[rid]
            sa, _, ra = a.rules[old]
            fields = _rule_fields(a, b, ra, rb, sa, sb)
            out.append(
                ItemChange(
                    _item_kind(sb),
                    rid,
                    "renamed",
                    "major",
                    tuple(fields),
                    renamed_from=old,
                    title=rb.title,
                    why="the id is part of every result (rule results, blocking, to-do)",
                    words_before=_words(ra.when, a.rs.definitions, langs_a),
                    words_after=after,
                )
            )
        elif rid not in a.rules:
            out.append(
                ItemChange(
                    _item_kind(sb), rid, "added", "major", title=rb.title, why=_STATUS_WHY,
                    words_after=after,
                )
            )  # fmt: skip
        else:
            sa, _, ra = a.rules[rid]
            fields = _rule_fields(a, b, ra, rb, sa, sb)
            if not fields:
                continue
            via: tuple[str, ...] = ()
            before: dict[str, tuple[str, ...]] = {}
            if any(f.field == "condition" for f in fields):
                before = _words(ra.when, a.rs.definitions, langs_a)
                shared = uses(ra.when, a.rs.definitions) & uses(rb.when, b.rs.definitions)
                via = tuple(
                    sorted(
                        n
                        for n in shared
                        if expanded(a.rs.definitions[n], a.rs.definitions)
                        != expanded(b.rs.definitions[n], b.rs.definitions)
                    )
                )
            impact = _max(fields)
            out.append(
                ItemChange(
                    _item_kind(sb),
                    rid,
                    "changed",
                    impact,
                    tuple(fields),
                    title=rb.title,
                    why=next(f.why for f in fields if f.impact == impact),
                    via=via,
                    words_before=before,
                    words_after=after if before else {},
                )
            )
    gone = set(renamed.values())
    for rid in removed:
        if rid in gone:
            continue
        sa, _, ra = a.rules[rid]
        out.append(
            ItemChange(
                _item_kind(sa), rid, "removed", "major", title=ra.title, why=_STATUS_WHY,
                words_before=_words(ra.when, a.rs.definitions, langs_a),
            )
        )  # fmt: skip
    order = {rid: i for i, rid in enumerate(b.rules)}
    out.sort(key=lambda i: (i.kind != "rule", order.get(i.id, len(order))))
    return out


def _membership(side: _Side, pid: str) -> dict[str, list[str]]:
    p = side.rs.pathways[pid]
    groups = set(p.requires)
    criteria = [r.id for r in side.rs.rules if r.group in groups and _kind(r) == "criterion"]
    documents = [r.id for r in side.rs.rules if r.group in groups and _kind(r) == "documentation"]
    return {"criteria": criteria, "documentation": documents}


def _pathway_items(a: _Side, b: _Side) -> list[ItemChange]:
    out: list[ItemChange] = []
    pa, pb = a.rs.pathways, b.rs.pathways
    for pid, p in pb.items():
        if pid not in pa:
            out.append(ItemChange("pathway", pid, "added", "major", title=p.title, why=_STATUS_WHY))
            continue
        q = pa[pid]
        fields = _text_fields("title", q.title, p.title, "minor", _SHOWN_WHY)
        fields += _text_fields(
            "description", _json(q.description), _json(p.description), "patch", _NOT_SHOWN_WHY
        )
        ma, mb = _membership(a, pid), _membership(b, pid)
        for part in ("criteria", "documentation"):
            if set(ma[part]) != set(mb[part]):
                why = (
                    "the rules that decide the verdict change"
                    if part == "criteria"
                    else "the rules that decide the readiness change"
                )
                fields.append(FieldChange(f"rules.{part}", "major", why, None, ma[part], mb[part]))
            elif ma[part] != mb[part]:
                fields.append(
                    FieldChange(
                        f"rules.{part}", "minor", "the order of the rules (and of the facts to "
                        "record) changes", None, ma[part], mb[part],
                    )
                )  # fmt: skip
        dq, dp = _json(q), _json(p)
        for key in sorted((set(dq) | set(dp)) - {"title", "description", "requires"}):
            fields += _text_fields(key, dq.get(key), dp.get(key), "minor", _SHOWN_WHY)
        if q.requires != p.requires:
            fields.append(
                FieldChange(
                    "requires",
                    "major" if any(f.impact == "major" for f in fields) else "minor",
                    "the groups the pathway requires",
                    None,
                    list(q.requires),
                    list(p.requires),
                )
            )
        if fields:
            impact = _max(fields)
            why = next(f.why for f in fields if f.impact == impact)
            out.append(
                ItemChange("pathway", pid, "changed", impact, tuple(fields), title=p.title, why=why)
            )
    for pid, q in pa.items():
        if pid not in pb:
            out.append(
                ItemChange("pathway", pid, "removed", "major", title=q.title, why=_STATUS_WHY)
            )
    return out


def _definition_items(a: _Side, b: _Side) -> list[ItemChange]:
    out: list[ItemChange] = []
    da, db = a.rs.definitions, b.rs.definitions
    for name in [*db, *(n for n in da if n not in db)]:
        used = name in a.used or name in b.used
        impact: Impact = "major" if used else "patch"
        why = _STATUS_WHY + " (a rule or indicator uses it)" if used else "no rule uses it"
        if name not in da:
            out.append(
                ItemChange(
                    "definition", name, "added", impact, why=why,
                    words_after=_words(db[name], db, b.rs.languages),
                )
            )  # fmt: skip
        elif name not in db:
            out.append(
                ItemChange(
                    "definition", name, "removed", impact, why=why,
                    words_before=_words(da[name], da, a.rs.languages),
                )
            )  # fmt: skip
        elif expanded(da[name], da) != expanded(db[name], db):
            out.append(
                ItemChange(
                    "definition", name, "changed", impact, why=why,
                    words_before=_words(da[name], da, a.rs.languages),
                    words_after=_words(db[name], db, b.rs.languages),
                )
            )  # fmt: skip
        elif _json(da[name]) != _json(db[name]):
            out.append(
                ItemChange(
                    "definition", name, "changed", "patch", why="written differently, same meaning",
                    words_before=_words(da[name], da, a.rs.languages),
                    words_after=_words(db[name], db, b.rs.languages),
                )
            )  # fmt: skip
    return out


_CITED_FIELDS = ("title", "publisher", "url", "seed")


def _source_items(a: _Side, b: _Side) -> list[ItemChange]:
    out: list[ItemChange] = []
    sa = {s.id: s for s in a.rs.sources}
    sb = {s.id: s for s in b.rs.sources}
    for sid in [*sb, *(s for s in sa if s not in sb)]:
        if sid not in sa:
            out.append(ItemChange("source", sid, "added", "patch", why="cited through the rules"))
            continue
        if sid not in sb:
            out.append(ItemChange("source", sid, "removed", "patch", why="cited through the rules"))
            continue
        old, new = _json(sa[sid]), _json(sb[sid])
        fields: list[FieldChange] = []
        for key in sorted(set(old) | set(new)):
            cited = key in _CITED_FIELDS and (sid in a.cited or sid in b.cited)
            fields += _text_fields(
                key,
                old.get(key),
                new.get(key),
                "minor" if cited else "patch",
                "printed with every rule that cites it" if cited else _NOT_SHOWN_WHY,
            )
        if fields:
            impact = _max(fields)
            why = next(f.why for f in fields if f.impact == impact)
            out.append(ItemChange("source", sid, "changed", impact, tuple(fields), why=why))
    return out


_FILE_KEYS = frozenset(
    {
        "format", "family", "version", "status", "effective_from", "effective_until",
        "dates_note", "publisher", "title", "languages", "sources", "pathways",
        "definitions", "rules", "indicators", "changes",
    }
)  # fmt: skip


def _file_fields(a: RuleSet, b: RuleSet, sa: _Side, sb: _Side) -> list[FieldChange]:
    out: list[FieldChange] = []
    if a.family != b.family:
        out.append(FieldChange("family", "major", "another guideline", None, a.family, b.family))
    for key in ("status", "effective_from", "effective_until"):
        va, vb = _json(getattr(a, key)), _json(getattr(b, key))
        if key != "status":
            va = va.isoformat() if va is not None else None
            vb = vb.isoformat() if vb is not None else None
        if va != vb:
            out.append(FieldChange(key, "minor", "shown with every Assessment", None, va, vb))
    out += _text_fields("title", a.title, b.title, "minor", _SHOWN_WHY)
    if list(a.languages) != list(b.languages):
        out.append(
            FieldChange(
                "languages", "minor", _SHOWN_WHY, None, list(a.languages), list(b.languages)
            )
        )
    out += _text_fields("publisher", a.publisher, b.publisher, "patch", _NOT_SHOWN_WHY)
    out += _text_fields("dates_note", a.dates_note, b.dates_note, "patch", _NOT_SHOWN_WHY)
    # fields the format gains later (per-language texts and the like): compared as data
    da, db = _json(a), _json(b)
    for key in sorted((set(da) | set(db)) - _FILE_KEYS):
        out += _text_fields(key, da.get(key), db.get(key), "minor", _SHOWN_WHY)
    for section in ("rules", "indicators"):
        ids_a = [r.id for r in getattr(a, section)]
        ids_b = [r.id for r in getattr(b, section)]
        common_b = [r for r in ids_b if r in ids_a]
        common_a = [r for r in ids_a if r in ids_b]
        if common_a != common_b:
            out.append(
                FieldChange(
                    f"order.{section}", "minor",
                    "the order of results and of the facts to record changes", None,
                    common_a, common_b,
                )
            )  # fmt: skip
    return out


def compare(a: RuleSet, b: RuleSet, a_label: str | None = None, b_label: str | None = None,
            diagnostics: Sequence[Diagnostic] = ()) -> RuleSetDiff:  # fmt: skip
    """The diff from rule set ``a`` to rule set ``b`` (without checks unless given)."""
    sa, sb = _Side.of(a), _Side.of(b)
    items: list[ItemChange] = []
    fields = _file_fields(a, b, sa, sb)
    if fields:
        impact = _max(fields)
        why = next(f.why for f in fields if f.impact == impact)
        items.append(ItemChange("file", b.key, "changed", impact, tuple(fields), why=why))
    items += _pathway_items(sa, sb)
    items += _rule_items(sa, sb)
    items += _definition_items(sa, sb)
    items += _source_items(sa, sb)
    return RuleSetDiff(a, b, a_label or a.key, b_label or b.key, tuple(items), tuple(diagnostics))
