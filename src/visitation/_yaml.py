"""Strict, safe YAML reading with source positions.

pyyaml composes the node graph (no object construction at all); this module turns the
nodes into plain Python values itself, so it decides every YAML hazard explicitly:

- duplicate mapping keys are errors (pyyaml keeps the last one silently);
- anchors, aliases and merge keys are refused, so alias bombs cannot expand;
- any explicit tag but ``!!str`` is refused: no arbitrary object construction;
- YAML 1.1 surprises are refused with advice: ``yes/no/on/off`` booleans, ``010``-style
  octals, ``0x``/``0o``/``1_000``/``1:20`` numbers, ``.inf``/``.nan``;
- bare dates stay strings; the typed models parse them where a date is expected;
- input over ``max_bytes`` or nested deeper than ``max_depth`` is refused.

Every value's position is kept by its path (the same tuple a pydantic error's ``loc`` is),
so a later stage can point at line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml

from visitation.errors import Diagnostic

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Mark", "YamlDocument", "load_yaml", "read_source"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

try:  # the C composer is several times faster; the pure one behaves the same
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how pyyaml was built
    _Loader = yaml.SafeLoader

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


@dataclass(frozen=True, slots=True)
class Mark:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(slots=True)
class YamlDocument:
    """Plain data read from a YAML (or JSON) text, with the position of every value."""

    data: Any
    positions: dict[Path, Mark] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path: str = "<input>"

    def locate(self, loc: tuple[Any, ...]) -> Mark | None:
        """The position of ``loc``, or of its nearest ancestor that has one."""
        key: Path = tuple(p for p in loc if isinstance(p, str | int))
        while True:
            mark = self.positions.get(key)
            if mark is not None or not key:
                return mark
            key = key[:-1]

    def diagnostic(self, code: str, message: str, loc: tuple[Any, ...] = ()) -> Diagnostic:
        """A diagnostic located at ``loc`` in this document."""
        mark = self.locate(loc)
        return Diagnostic(
            code=code,
            message=message,
            path=self.path,
            line=mark.line if mark else None,
            col=mark.col if mark else None,
        )


def read_source(path: str | PathLike[str]) -> bytes | Diagnostic:
    """The bytes of a file, or an ``unreadable-file`` diagnostic naming it."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)  # more is refused by load_yaml anyway
    except OSError as exc:
        return Diagnostic("unreadable-file", exc.strerror or str(exc), str(path))


def load_yaml(
    text: str | bytes,
    *,
    path: str = "<input>",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> YamlDocument:
    """Read one YAML document strictly; problems are collected in ``diagnostics``."""
    doc = YamlDocument(data=None, path=path)
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        doc.diagnostics.append(
            Diagnostic("file-too-large", f"{size} bytes is over the limit of {max_bytes}", path)
        )
        return doc
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            doc.diagnostics.append(
                Diagnostic(
                    "yaml-encoding", f"not UTF-8 text: {exc.reason} at byte {exc.start}", path
                )
            )
            return doc
    try:
        nodes = list(_compose_all(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        doc.diagnostics.append(
            Diagnostic(
                "yaml-syntax",
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
            Diagnostic("yaml-syntax", f"character {ord(char):#06x} is not allowed", path, line, col)
        )
        return doc
    except yaml.YAMLError as exc:  # pragma: no cover - other errors without a mark
        doc.diagnostics.append(Diagnostic("yaml-syntax", str(exc).splitlines()[0], path))
        return doc
    if len(nodes) > 1:
        second = nodes[1].start_mark
        doc.diagnostics.append(
            Diagnostic(
                "yaml-multiple-documents",
                "a file holds exactly one document",
                path,
                second.line + 1,
                second.column + 1,
            )
        )
    if nodes:
        doc.data = _Builder(doc, max_depth).build(nodes[0], (), 0)
    return doc


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, doc: YamlDocument, max_depth: int) -> None:
        self.doc = doc
        self.max_depth = max_depth
        self.seen: set[int] = set()

    def error(self, node: yaml.Node, code: str, message: str) -> None:
        self.doc.diagnostics.append(
            Diagnostic(
                code,
                message,
                self.doc.path,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        )

    def build(self, node: yaml.Node, where: Path, depth: int) -> Any:
        if id(node) in self.seen:
            self.error(
                node,
                "yaml-alias",
                "anchors and aliases ('&x', '*x') are not supported; "
                "a rule file names shared conditions under 'definitions'",
            )
            return None
        self.seen.add(id(node))
        if where not in self.doc.positions:
            self.doc.positions[where] = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > self.max_depth:
            self.error(node, "yaml-too-deep", f"nesting deeper than {self.max_depth} levels")
            return None
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if not tag.startswith("tag:yaml.org,2002:") or (
                _is_explicit(node) and tag != "tag:yaml.org,2002:str"
            ):
                self.error(node, "yaml-tag", f"tag '{tag}' is not allowed; only plain values")
                return node.value
            return self.scalar(node)
        if tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            self.error(node, "yaml-tag", f"tag '{tag}' is not allowed; only plain values")
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*where, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, where, depth)
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def mapping(self, node: yaml.MappingNode, where: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "yaml-key", "mapping keys must be plain strings")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                key_node.value == "<<" and not key_node.style
            ):
                self.error(key_node, "yaml-merge-key", "merge keys ('<<') are not supported")
                continue
            key = key_node.value
            mark = Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in first_seen:
                seen = first_seen[key]
                self.error(
                    key_node,
                    "yaml-duplicate-key",
                    f"duplicate key '{key}' (first at line {seen.line}, column {seen.col})",
                )
                continue
            first_seen[key] = mark
            self.doc.positions[(*where, key)] = mark
            result[key] = self.build(value_node, (*where, key), depth + 1)
        return result

    def scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        if node.style or _is_explicit(node):  # quoted, block or !!str: a string
            return value
        if value in _NULL:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _YAML11_BOOL.fullmatch(value):
            self.error(
                node,
                "yaml-ambiguous-bool",
                f"'{value}' is a boolean in YAML 1.1 but a string in YAML 1.2; "
                f'write true/false, or quote it: "{value}"',
            )
            return value
        if _YAML11_NUMBER.fullmatch(value) or _SPECIAL_FLOAT.fullmatch(value):
            self.error(
                node,
                "yaml-ambiguous-number",
                f"'{value}' reads differently in YAML 1.1 and 1.2 (octal, hex, sexagesimal, "
                f'underscores or inf/nan); write a plain decimal number, or quote it: "{value}"',
            )
            return value
        return value


def _is_explicit(node: yaml.Node) -> bool:
    """True when the node carried an explicit tag in the text (``!!str 010``)."""
    # Implicitly resolved nodes get the resolver's tag; an explicit one is marked by the
    # composer only through the tag text, so compare with what the resolver would pick.
    if not isinstance(node, yaml.ScalarNode):
        return False
    plain = not node.style  # the C composer marks plain scalars with '', the pure one None
    implicit = (plain, not plain)
    resolved = _RESOLVER.resolve(yaml.ScalarNode, node.value, implicit)  # type: ignore[no-untyped-call]
    return bool(node.tag != resolved)


_RESOLVER = yaml.resolver.Resolver()
