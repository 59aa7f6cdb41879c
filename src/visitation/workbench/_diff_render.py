"""``visitation diff`` output: a :class:`RuleSetDiff` as text, Markdown, JSON or HTML.

Every renderer walks the same sections in the same order (the file's own fields,
pathways, rules, indicators, definitions, sources, then the checks); a condition that
changed is shown as two lists of sentences in words with a line diff between them, never
as YAML lines. Strings from the rule files are escaped once, for the format.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

from visitation.render import escape
from visitation.workbench.diff import FieldChange, ItemChange, RuleSetDiff

__all__ = ["DIFF_FORMATS", "render_diff"]

DIFF_FORMATS = ("text", "md", "json", "html")

_SECTIONS: tuple[tuple[str, str], ...] = (
    ("file", "File"),
    ("pathway", "Pathways"),
    ("rule", "Rules"),
    ("indicator", "Indicators"),
    ("definition", "Definitions"),
    ("source", "Sources"),
)
_MARK = {"added": "+", "removed": "-", "renamed": ">", "changed": "~"}


def _lang(d: RuleSetDiff, lang: str | None) -> str:
    if lang:
        return lang
    langs = list(d.b.languages)
    return "en" if "en" in langs else langs[0]


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return f'"{escape.one_line(value)}"'
    return escape.one_line(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _field_lines(f: FieldChange) -> list[str]:
    """One changed field as lines of plain text (before it is escaped)."""
    name = f.field + (f" ({f.lang})" if f.lang else "")
    if f.field == "condition":
        return []  # shown as a line diff of the words
    if isinstance(f.before, list) and isinstance(f.after, list):
        gone = [v for v in f.before if v not in f.after]
        new = [v for v in f.after if v not in f.before]
        if gone or new:
            delta = ", ".join([*(f"+ {v}" for v in new), *(f"- {v}" for v in gone)])
            return [f"{name}: {delta}  [{f.impact}]"]
        return [f"{name}: order changed  [{f.impact}]"]
    if isinstance(f.before, dict) and isinstance(f.after, dict):
        keys = sorted(k for k in set(f.before) | set(f.after) if f.before.get(k) != f.after.get(k))
        return [
            f"{name}.{k}: {_short(f.before.get(k))} → {_short(f.after.get(k))}  [{f.impact}]"
            for k in keys
        ]
    return [f"{name}: {_short(f.before)} → {_short(f.after)}  [{f.impact}]"]


def _condition_diff(item: ItemChange, lang: str) -> list[tuple[str, str, str]]:
    """The words of the condition before and after, as a line diff: (mark, indent, text)
    with mark ``-``, ``+`` or a space, and the indent of the sentence's depth."""
    before = list(item.words_before.get(lang) or next(iter(item.words_before.values()), ()))
    after = list(item.words_after.get(lang) or next(iter(item.words_after.values()), ()))

    def split(mark: str, line: str) -> tuple[str, str, str]:
        text = line.lstrip(" ")
        return mark, line[: len(line) - len(text)], text

    if not before or not after:
        return [split(" ", line) for line in before or after]
    out: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [split(" ", line) for line in before[i1:i2]]
        else:
            out += [split("-", line) for line in before[i1:i2]]
            out += [split("+", line) for line in after[j1:j2]]
    return out


def _heading(item: ItemChange, lang: str) -> str:
    title = item.title.get(lang) or next(iter(item.title.values()), "")
    name = item.id + (f" (renamed from {item.renamed_from})" if item.renamed_from else "")
    head = f"{_MARK[item.change]} {item.change:<8} {name}"
    if title:
        head += f": {escape.one_line(title)}"
    return head


def _detail(item: ItemChange) -> str:
    via = f"; through definition {', '.join(item.via)}" if item.via else ""
    return f"{item.impact.upper()}: {item.why}{via}"


def _summary(d: RuleSetDiff) -> list[str]:
    lines = [f"{d.a_label} → {d.b_label}"]
    if d.same_family:
        lines.append(
            f"step {d.a.version} → {d.b.version}: {d.step.upper()}; "
            f"largest change: {d.impact.upper()}"
        )
    else:
        lines.append(
            f"two families ({d.a.family}, {d.b.family}); largest change: {d.impact.upper()}"
        )
    counts = {k: len(d.of(k)) for k, _ in _SECTIONS}  # type: ignore[arg-type]
    shown = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
    lines.append(f"changed: {shown}" if shown else "no changes")
    return lines


# -- text ------------------------------------------------------------------------------


def _text(d: RuleSetDiff, lang: str) -> str:
    t = escape.text
    out = [t(line) for line in _summary(d)]
    for kind, title in _SECTIONS:
        items = d.of(kind)  # type: ignore[arg-type]
        if not items:
            continue
        out += ["", title.upper()]
        for item in items:
            out.append("  " + t(_heading(item, lang)))
            out.append("      " + t(_detail(item)))
            if item.words_before or item.words_after:
                out.append("      condition:")
                out += [
                    f"        {mark} {indent}{t(text)}"
                    for mark, indent, text in _condition_diff(item, lang)
                ]
            for f in item.fields:
                out += ["      " + t(line) for line in _field_lines(f)]
    out += ["", "CHECKS"]
    if d.diagnostics:
        out += ["  " + t(str(x)) for x in d.diagnostics]
    else:
        out.append("  " + ("no problems" if d.same_family else "not checked: two families"))
    return "\n".join(out) + "\n"


# -- Markdown --------------------------------------------------------------------------


def _fenced(line: str) -> str:
    """A line inside a fenced code block: literal, on one line, unable to close the fence."""
    return escape.text(line).replace("`", "ʼ")


def _md(d: RuleSetDiff, lang: str) -> str:
    m: Callable[[str], str] = escape.markdown
    summary = _summary(d)
    out = [f"# {m(summary[0])}", "", *(f"{m(s)}  " for s in summary[1:])]
    for kind, title in _SECTIONS:
        items = d.of(kind)  # type: ignore[arg-type]
        if not items:
            continue
        out += ["", f"## {title}", ""]
        for item in items:
            out.append(f"- **{m(_heading(item, lang))}**  ")
            out.append(f"  {m(_detail(item))}")
            if item.words_before or item.words_after:
                out += ["", "  ```diff"]
                out += [
                    f"  {mark} {indent}{_fenced(text)}"
                    for mark, indent, text in _condition_diff(item, lang)
                ]
                out += ["  ```", ""]
            for f in item.fields:
                out += [f"  - {m(line)}" for line in _field_lines(f)]
    out += ["", "## Checks", ""]
    if d.diagnostics:
        out += [f"- {escape.markdown(str(x), context='code')}" for x in d.diagnostics]
    else:
        out.append("No problems." if d.same_family else "Not checked: two families.")
    return "\n".join(out) + "\n"


# -- HTML ------------------------------------------------------------------------------

_CSS = (
    ".vz-diff{font-family:system-ui,sans-serif;font-size:14px;line-height:1.45;color:#1f2328;"
    "max-width:60rem}.vz-diff h3{border-bottom:1px solid #d0d7de;margin:1rem 0 .4rem}"
    ".vz-diff ul{list-style:none;padding-left:0}.vz-diff li{margin:.4rem 0}"
    ".vz-diff pre{background:#f6f8fa;padding:.4rem .6rem;margin:.2rem 0}"
    ".vz-diff .vz-add{color:#1a7f37}.vz-diff .vz-del{color:#b42318}"
    ".vz-diff .vz-impact{font-weight:700}.vz-diff .vz-major{color:#b42318}"
    ".vz-diff .vz-minor{color:#7a4e00}.vz-diff .vz-patch{color:#57606a}"
)


def _html(d: RuleSetDiff, lang: str) -> str:
    e = escape.html
    summary = _summary(d)
    out = [f'<div class="vz-diff"><style>{_CSS}</style>', f"<h2>{e(summary[0])}</h2>"]
    out += [f"<p>{e(s)}</p>" for s in summary[1:]]
    for kind, title in _SECTIONS:
        items = d.of(kind)  # type: ignore[arg-type]
        if not items:
            continue
        out += [f"<h3>{e(title)}</h3>", "<ul>"]
        for item in items:
            out.append(
                f"<li><strong>{e(_heading(item, lang))}</strong> "
                f'<span class="vz-impact vz-{item.impact}">{e(item.impact.upper())}</span>'
                f"<br>{e(_detail(item))}"
            )
            if item.words_before or item.words_after:
                rows = []
                for mark, indent, text in _condition_diff(item, lang):
                    line = f"{mark} {indent}{e(text)}"
                    cls = {"+": "vz-add", "-": "vz-del"}.get(mark, "")
                    rows.append(f'<span class="{cls}">{line}</span>' if cls else line)
                out.append("<pre>" + "\n".join(rows) + "</pre>")
            fields = [line for f in item.fields for line in _field_lines(f)]
            if fields:
                out.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in fields) + "</ul>")
            out.append("</li>")
        out.append("</ul>")
    out.append("<h3>Checks</h3>")
    if d.diagnostics:
        out.append(
            "<ul>" + "".join(f"<li><code>{e(str(x))}</code></li>" for x in d.diagnostics) + "</ul>"
        )
    else:
        out.append(f"<p>{'No problems.' if d.same_family else 'Not checked: two families.'}</p>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def render_diff(d: RuleSetDiff, format: str = "text", lang: str | None = None) -> str:
    """The diff in one of :data:`DIFF_FORMATS`, in ``lang`` (titles and words)."""
    chosen = _lang(d, lang)
    if format == "json":
        return json.dumps(d.to_json(), indent=2, ensure_ascii=False) + "\n"
    renderers: dict[str, Callable[[RuleSetDiff, str], str]] = {
        "text": _text,
        "md": _md,
        "html": _html,
    }
    if format not in renderers:
        raise ValueError(f"unknown diff format {format!r}; one of: {', '.join(DIFF_FORMATS)}")
    return renderers[format](d, chosen)
