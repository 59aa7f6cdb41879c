"""Strict, safe YAML reading with source positions.

pyyaml composes the node graph (no object construction at all); this module turns the
nodes into plain Python values itself, so it decides every YAML hazard explicitly:

- duplicate mapping keys are errors (pyyaml keeps the last one silently);
- anchors, aliases and merge keys are refused, so alias bombs cannot expand;
- any explicit tag but ``!!str`` is refused: no arbitrary object construction;
- YAML 1.1 surprises are refused with advice: ``yes/no/on/off`` booleans, ``010``-style
  octals, ``0x``/``0o``/``1_000``/``1:20`` numbers, ``.inf``/``.nan``;
- bare dates stay strings; the typed models parse them where a date is expected;
- integers of more than 4,300 digits (Python's limit for reading one) and floats that are
  not finite (``1.0e400``) are refused, never raised;
- input over ``max_bytes`` or nested deeper than ``max_depth`` is refused.

Every value's position is kept by its path (the same tuple a pydantic error's ``loc`` is),
so a later stage can point at line and column.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml

from visitation.errors import Code, Diagnostic, Position, Related, Span

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DIAGNOSTICS",
    "MAX_INT_DIGITS",
    "MAX_VALUES",
    "Mark",
    "YamlDocument",
    "dotted",
    "load_yaml",
    "read_source",
    "too_large",
]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_VALUES = 20_000
"""At most this many values (scalars, lists and mappings) in one file: the largest bundled
rule file holds under 3,000, a patient file under 200; reading is refused past it, before
the cost of building the values grows with a hostile file's size."""
MAX_INT_DIGITS = 4300
"""The most digits an integer may have (Python's default int-string conversion limit)."""
MAX_DIAGNOSTICS = 200
"""At most this many diagnostics are reported for one file (the reader keeps the first)."""

Mark = Position
"""A 1-based line and column in a source file (the same value as :class:`Position`)."""

Path = tuple[str | int, ...]

try:  # the C composer is several times faster; the pure one behaves the same
    _Base: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how pyyaml was built
    _Base = yaml.SafeLoader

_IMPLICIT = "tag:visitation,2026:implicit"
"""The tag of a scalar written without one: this module resolves plain values itself."""
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Loader(_Base):  # type: ignore[misc]
    """The safe composer, with a resolver that only marks untagged scalars as such (the
    builder reads plain values itself), so an explicit tag is whatever is not marked."""

    def __init__(self, text: str, max_values: int = MAX_VALUES) -> None:
        super().__init__(text)
        self.values = 0
        self.max_values = max_values

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        self.values += 1  # the composer asks once per value: the one place to count them
        if self.values > self.max_values:
            raise _TooManyValues
        if kind is yaml.ScalarNode:  # the non-specific tag '!' (neither implicit) is text
            return _IMPLICIT if any(implicit) else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class _TooManyValues(Exception):
    """More than ``MAX_VALUES`` values: the composer stops."""


def _value_mark(text: str, n: int) -> Any:
    """Where the ``n``-th value of ``text`` starts (the events alone, without composing)."""
    seen = 0
    starts = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, starts):
            seen += 1
            if seen == n:
                return event.start_mark
    return None  # pragma: no cover - the composer counted them


_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOL = re.compile(r"(?i)(y|n|yes|no|on|off)")
_YAML11_NUMBER = re.compile(
    r"[-+]?(0[0-9_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"
    r"|[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?)"
)
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


@dataclass(slots=True)
class YamlDocument:
    """Plain data read from a YAML (or JSON) text, with the position of every value."""

    data: Any
    positions: dict[Path, Mark] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path: str = "<input>"
    ends: dict[Path, Mark] = field(default_factory=dict)
    """Where the text at each position ends (exclusive), for a caret under all of it."""
    flagged: set[Path] = field(default_factory=set)
    """Paths of the values a diagnostic was made for (their value is not to be trusted)."""

    def locate(self, loc: tuple[Any, ...]) -> Mark | None:
        """The position of ``loc``, or of its nearest ancestor that has one."""
        key: Path = tuple(p for p in loc if isinstance(p, str | int))
        while True:
            mark = self.positions.get(key)
            if mark is not None or not key:
                return mark
            key = key[:-1]

    def span(self, loc: tuple[Any, ...] = ()) -> Span:
        """The span of ``loc`` (or of its nearest ancestor that has a position)."""
        key: Path = tuple(p for p in loc if isinstance(p, str | int))
        while True:
            mark = self.positions.get(key)
            if mark is not None:
                return Span(self.path, mark, self.ends.get(key))
            if not key:
                return Span(self.path)
            key = key[:-1]

    def diagnostic(
        self,
        code: Code | str,
        message: str,
        loc: tuple[Any, ...] = (),
        *,
        hint: str | None = None,
        related: tuple[Related, ...] = (),
        warning: bool = False,
    ) -> Diagnostic:
        """A diagnostic located at ``loc`` in this document."""
        return Diagnostic(
            code,
            message,
            self.span(loc),
            severity="warning" if warning else "error",
            hint=hint,
            related=related,
        )


def too_large(size: int, path: str, max_bytes: int = MAX_BYTES) -> Diagnostic:
    """The ``file-too-large`` diagnostic."""
    return Diagnostic.at(
        Code.FILE_TOO_LARGE, f"{size} bytes is over the limit of {max_bytes}", path
    )


def read_source(path: str | PathLike[str]) -> bytes | Diagnostic:
    """The bytes of a file, or an ``unreadable-file`` (or ``file-too-large``) diagnostic
    naming it. At most ``MAX_BYTES + 1`` bytes are read; the size of a larger file is
    taken from the file system."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                size = os.fstat(f.fileno()).st_size
                return too_large(max(size, len(data)), str(path))
            return data
    except OSError as exc:
        return Diagnostic.at(Code.UNREADABLE_FILE, exc.strerror or str(exc), str(path))


def load_yaml(
    text: str | bytes,
    *,
    path: str = "<input>",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_VALUES,
) -> YamlDocument:
    """Read one YAML document strictly; problems are collected in ``diagnostics``."""
    doc = YamlDocument(data=None, path=path)
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        doc.diagnostics.append(too_large(size, path, max_bytes))
        return doc
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            doc.diagnostics.append(
                Diagnostic.at(
                    Code.YAML_ENCODING, f"not UTF-8 text: {exc.reason} at byte {exc.start}", path
                )
            )
            return doc
    try:
        nodes = list(_compose_all(text, max_values))
    except _TooManyValues:
        mark = _value_mark(text, max_values + 1)
        doc.diagnostics.append(
            Diagnostic.at(
                Code.YAML_TOO_MANY_VALUES,
                f"more than {max_values:,} values (keys, list items and scalars); "
                "the file is read no further",
                path,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            )
        )
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        doc.diagnostics.append(
            Diagnostic.at(
                Code.YAML_SYNTAX,
                message or "invalid YAML",
                path,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            )
        )
        return doc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        doc.diagnostics.append(
            Diagnostic.at(
                Code.YAML_SYNTAX, f"character {ord(char):#06x} is not allowed", path, line, col
            )
        )
        return doc
    except yaml.YAMLError as exc:  # pragma: no cover - other errors without a mark
        doc.diagnostics.append(Diagnostic.at(Code.YAML_SYNTAX, str(exc).splitlines()[0], path))
        return doc
    if len(nodes) > 1:
        second = nodes[1].start_mark
        doc.diagnostics.append(
            Diagnostic.at(
                Code.YAML_MULTIPLE_DOCUMENTS,
                "a file holds exactly one document",
                path,
                second.line + 1,
                second.column + 1,
            )
        )
    if nodes:
        doc.data = _Builder(doc, max_depth).build(nodes[0], (), 0)
    return doc


def _compose_all(text: str, max_values: int = MAX_VALUES) -> Iterator[yaml.Node]:
    loader = _Loader(text, max_values)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def _start(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _end(node: yaml.Node) -> Mark:
    return Mark(node.end_mark.line + 1, node.end_mark.column + 1)


class _Builder:
    def __init__(self, doc: YamlDocument, max_depth: int) -> None:
        self.doc = doc
        self.max_depth = max_depth
        self.seen: set[int] = set()
        self.problems = 0  # every problem found; only the first MAX_DIAGNOSTICS are kept

    def error(
        self,
        node: yaml.Node,
        code: Code,
        message: str,
        *,
        hint: str | None = None,
        related: tuple[Related, ...] = (),
    ) -> None:
        self.problems += 1
        if len(self.doc.diagnostics) >= MAX_DIAGNOSTICS:
            return
        self.doc.diagnostics.append(
            Diagnostic(
                code,
                message,
                Span(self.doc.path, _start(node), _end(node)),
                hint=hint,
                related=related,
            )
        )

    def build(self, node: yaml.Node, where: Path, depth: int) -> Any:
        if id(node) in self.seen:
            self.error(
                node,
                Code.YAML_ALIAS,
                "anchors and aliases ('&x', '*x') are not supported",
                hint="a rule file names shared conditions under 'definitions'",
            )
            return None
        self.seen.add(id(node))
        if where not in self.doc.positions:
            self.doc.positions[where] = _start(node)
            self.doc.ends[where] = _end(node)
        if depth > self.max_depth:
            self.error(node, Code.YAML_TOO_DEEP, f"nesting deeper than {self.max_depth} levels")
            return None
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            explicit = tag != _IMPLICIT
            if explicit and tag != _STR:
                self.error(node, Code.YAML_TAG, f"tag '{tag}' is not allowed; only plain values")
                self.doc.flagged.add(where)
                return node.value
            before = self.problems
            value = self.scalar(node, explicit, where)
            if self.problems > before:
                self.doc.flagged.add(where)
            return value
        if tag not in (_MAP, _SEQ):
            self.error(node, Code.YAML_TAG, f"tag '{tag}' is not allowed; only plain values")
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*where, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, where, depth)
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def mapping(self, node: yaml.MappingNode, where: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, Code.YAML_KEY, "mapping keys must be plain strings")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                key_node.value == "<<" and not key_node.style
            ):
                self.error(key_node, Code.YAML_MERGE_KEY, "merge keys ('<<') are not supported")
                continue
            key = key_node.value
            if key in first_seen:
                seen = first_seen[key]
                first = Related(
                    Span(self.doc.path, _start(seen), _end(seen)),
                    "first defined here",
                    inline="first at line {line}, column {col}",
                )
                self.error(
                    key_node, Code.YAML_DUPLICATE_KEY, f"duplicate key '{key}'", related=(first,)
                )
                continue
            first_seen[key] = key_node
            self.doc.positions[(*where, key)] = _start(key_node)
            # a caret under ``key: value`` when the value is plain text, else under the key
            scalar = isinstance(value_node, yaml.ScalarNode)
            self.doc.ends[(*where, key)] = _end(value_node if scalar else key_node)
            result[key] = self.build(value_node, (*where, key), depth + 1)
        return result

    def scalar(self, node: yaml.ScalarNode, explicit: bool, where: Path) -> Any:
        value: str = node.value
        if node.style or explicit:  # quoted, block or !!str: a string
            return value
        if value in _NULL:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.fullmatch(value):
            digits = len(value.lstrip("+-"))
            if digits > MAX_INT_DIGITS:
                self.error(
                    node,
                    Code.NUMBER_OUT_OF_RANGE,
                    f"{dotted(where) or '(top level)'}: an integer of {digits} digits is over "
                    f"the limit of {MAX_INT_DIGITS}",
                )
                return None
            return int(value)
        if _FLOAT.fullmatch(value):
            number = float(value)
            if not math.isfinite(number):
                self.error(
                    node,
                    Code.NUMBER_OUT_OF_RANGE,
                    f"{dotted(where) or '(top level)'}: '{_shorten(value)}' is too large to be "
                    "a finite number",
                )
                return None
            return number
        if _YAML11_BOOL.fullmatch(value):
            self.error(
                node,
                Code.YAML_AMBIGUOUS_BOOL,
                f"'{value}' is a boolean in YAML 1.1 but a string in YAML 1.2",
                hint=f'write true/false, or quote it: "{value}"',
            )
            return value
        if _YAML11_NUMBER.fullmatch(value) or _SPECIAL_FLOAT.fullmatch(value):
            self.error(
                node,
                Code.YAML_AMBIGUOUS_NUMBER,
                f"'{value}' reads differently in YAML 1.1 and 1.2 (octal, hex, sexagesimal, "
                "underscores or inf/nan)",
                hint=f'write a plain decimal number, or quote it: "{value}"',
            )
            return value
        return value


def dotted(loc: tuple[str | int, ...]) -> str:
    """``rules[3].when.all[0].fact`` for a location tuple."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
