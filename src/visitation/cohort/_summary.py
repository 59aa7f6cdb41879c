"""The summary of a cohort result: how many patients each pathway, rule and group gets."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from visitation.cohort._evaluate import CohortResult

__all__ = ["Summary", "merge", "summarise"]

VERDICTS = ("eligible", "not_eligible", "indeterminate")
STATUSES = ("met", "not_met", "unknown")


def _counts(col: pa.ChunkedArray | pa.Array) -> tuple[int, int, int]:
    """(true, false, null) counts of a truth column."""
    nulls = col.null_count
    true = pc.sum(col.cast(pa.int64())).as_py() or 0
    return true, len(col) - nulls - true, nulls


@dataclass(frozen=True)
class Summary:
    """Counts of a cohort result; ``render()`` prints them as text tables."""

    ruleset_key: str
    content_hash: str
    on: str
    patients: int
    pathways: list[dict[str, Any]]
    """One row per pathway: pathway, eligible, not_eligible, indeterminate."""
    rules: list[dict[str, Any]]
    """One row per rule and indicator: rule, kind (rule/indicator), met, not_met, unknown."""
    groups: dict[str, list[dict[str, Any]]]
    """Per grouping column (age_band, diagnosis_group, region): one row per value and
    pathway with the verdict counts."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset_key,
            "content_hash": self.content_hash,
            "evaluated_on": self.on,
            "patients": self.patients,
            "pathways": self.pathways,
            "rules": self.rules,
            "groups": self.groups,
        }

    def _repr_html_(self) -> str:
        """The tables as HTML, for Jupyter (rules and groups folded away)."""
        from visitation.cohort._html import summary_html

        return summary_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": self.render(),
            "text/html": self._repr_html_(),
            "application/json": self.to_dict(),
        }

    def render(self) -> str:
        """Plain text tables (what ``visitation cohort`` prints)."""
        parts = [
            f"{self.ruleset_key} ({self.content_hash[:19]}…) on {self.on}: "
            f"{self.patients} patients",
            _table(
                ["pathway", *VERDICTS],
                [[r["pathway"], *(r[v] for v in VERDICTS)] for r in self.pathways],
            ),
            _table(
                ["rule", *STATUSES], [[r["rule"], *(r[s] for s in STATUSES)] for r in self.rules]
            ),
        ]
        for group, rows in self.groups.items():
            parts.append(
                _table(
                    [group, "pathway", *VERDICTS],
                    [[r[group], r["pathway"], *(r[v] for v in VERDICTS)] for r in rows],
                )
            )
        return "\n\n".join(parts) + "\n"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[["—" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 or not c.isdigit() else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def summarise(result: CohortResult) -> Summary:
    """Count verdicts per pathway (and per group) and statuses per rule."""
    t = result.table
    q = result.query
    pathways = []
    for p in q.pathways:
        e, n, i = _counts(t.column(p.verdict))
        pathways.append({"pathway": p.id, "eligible": e, "not_eligible": n, "indeterminate": i})
    rules = []
    for kind, cols in (("rule", q.rules), ("indicator", q.indicators)):
        for rid, col in cols:
            m, nm, u = _counts(t.column(col))
            rules.append({"rule": rid, "kind": kind, "met": m, "not_met": nm, "unknown": u})
    groups: dict[str, list[dict[str, Any]]] = {}
    for g in q.groups:
        if g not in t.column_names:
            continue
        keys = pc.fill_null(t.column(g).cast(pa.string()), "(not recorded)")
        aggregates = []
        columns: dict[str, Any] = {g: keys}
        for p in q.pathways:
            v = t.column(p.verdict)
            for name, mask in (
                ("eligible", pc.fill_null(v, False)),
                ("not_eligible", pc.fill_null(pc.invert(v), False)),
                ("indeterminate", pc.is_null(v)),
            ):
                key = f"{p.id}\x00{name}"
                columns[key] = mask.cast(pa.int64())
                aggregates.append((key, "sum"))
        grouped = pa.table(columns).group_by(g).aggregate(aggregates).to_pylist()
        rows = []
        for row in sorted(grouped, key=functools.partial(_key, g)):
            for p in q.pathways:
                rows.append(
                    {g: row[g], "pathway": p.id, **{v: row[f"{p.id}\x00{v}_sum"] for v in VERDICTS}}
                )
        groups[g] = rows
    return Summary(
        ruleset_key=q.ruleset_key,
        content_hash=q.content_hash,
        on=q.on.isoformat(),
        patients=t.num_rows,
        pathways=pathways,
        rules=rules,
        groups=groups,
    )


def _key(group: str, row: dict[str, Any]) -> str:
    return str(row[group])


def _ordered(group: str, order: dict[str, int], row: dict[str, Any]) -> tuple[str, int]:
    return str(row[group]), order[row["pathway"]]


def merge(parts: list[Summary]) -> Summary:
    """One summary of several batches of the same rule set and date (counts added)."""
    first = parts[0]

    def add(rows_list: list[list[dict[str, Any]]], key: tuple[str, ...]) -> list[dict[str, Any]]:
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for rows in rows_list:
            for r in rows:
                k = tuple(r[f] for f in key)
                if k not in out:
                    out[k] = dict(r)
                else:
                    for f, v in r.items():
                        if f not in key and isinstance(v, int):
                            out[k][f] += v
        return list(out.values())

    groups = {}
    for g in first.groups:
        rows = add([p.groups.get(g, []) for p in parts], (g, "pathway"))
        groups[g] = rows
    order = {p["pathway"]: i for i, p in enumerate(first.pathways)}
    for g, rows in groups.items():
        rows.sort(key=functools.partial(_ordered, g, order))
    return Summary(
        ruleset_key=first.ruleset_key,
        content_hash=first.content_hash,
        on=first.on,
        patients=sum(p.patients for p in parts),
        pathways=add([p.pathways for p in parts], ("pathway",)),
        rules=add([p.rules for p in parts], ("rule", "kind")),
        groups=groups,
    )
