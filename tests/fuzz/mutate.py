"""Mutations of the bundled rule files and patient files: the fuzzer's inputs.

Every mutation is a pure function of a seed file and a :class:`random.Random`, so one
integer reproduces an input (``make_input(seed)``), and hypothesis drives the seeds in the
test suite (``st.integers()`` under ``derandomize=True``). The families follow issue 8:
byte flips, line edits, type swaps, YAML anchors/aliases/tags/merge keys, huge and deep
values, unicode controls, plus structural edits that keep a file well-formed (so that
mutated files get past the parser and reach the checker, the compiler and the renderers).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

ROOT: Final = Path(__file__).resolve().parents[2]

Kind = str  # "rules" | "patient"


@dataclass(frozen=True)
class Input:
    """One fuzz input: what it is (rules or patient), its file suffix, bytes and recipe."""

    kind: Kind
    suffix: str
    data: bytes
    recipe: str


@dataclass(frozen=True)
class Seed:
    """A well-formed file the mutations start from."""

    kind: Kind
    suffix: str
    name: str
    text: str
    tree: Any


def _plain(value: Any) -> Any:
    """A YAML tree with dates written as ISO strings (so it dumps as JSON too)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@cache
def seeds() -> tuple[Seed, ...]:
    """The bundled rule files, the example patients, and JSON versions of the patients."""
    out: list[Seed] = []
    for path in sorted((ROOT / "rules").glob("*/*.yaml")):
        text = path.read_text(encoding="utf-8")
        out.append(Seed("rules", ".yaml", str(path.relative_to(ROOT)), text, yaml.safe_load(text)))
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        tree = _plain(yaml.safe_load(text))
        name = str(path.relative_to(ROOT))
        out.append(Seed("patient", ".yaml", name, text, tree))
        out.append(Seed("patient", ".json", name + ".json", json.dumps(tree, indent=2), tree))
    return tuple(out)


# --------------------------------------------------------------------------------------
# Hostile values
# --------------------------------------------------------------------------------------

CONTROLS: Final = (
    "\x1b[31m",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "\u202e",
    "\u2066",
    "\u200f",
    "\x00",
    "\x85",
    "\x9b31m",
    "\x07",
    "\x08",
    "\r",
    "\t",
    "\x7f",
    "\u2028",
    "\ufeff",
    "\x0c",
)

HTML: Final = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "\n<script src=https://evil.example/x.js></script>\n",
    "https://example.org/\n<div>x</div>",
    "https://example.org/><script>alert(1)</script>",
    "</table><iframe src=javascript:alert(1)>",
    "<!-- c -->",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "`code` *em* _u_ # h",
    "<https://evil.example>",
    "&lt;script&gt;",
)


def hostile_string(rng: random.Random) -> str:
    """A string holding controls, markup, or a lot of text."""
    pick = rng.randrange(6)
    if pick == 0:
        return "x" + rng.choice(CONTROLS) + "y"
    if pick == 1:
        return rng.choice(HTML)
    if pick == 2:
        return "".join(rng.choice((*CONTROLS, *HTML, "a", " ", "\n")) for _ in range(8))
    if pick == 3:
        return "A" * rng.choice((1_000, 100_000, 900_000))
    if pick == 4:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 40)))
    return "".join(
        chr(rng.randrange(0, 0x110000 if rng.random() < 0.3 else 0x100)) for _ in "x" * 20
    )


def big_int(rng: random.Random) -> int:
    """An integer at a boundary: tiny, negative, 64-bit, or thousands of digits."""
    return rng.choice(
        (
            0,
            -1,
            1,
            2**31,
            2**63,
            -(2**63) - 1,
            10**20,
            10**4299,
            -(10**4200),
            36_525,
            36_526,
            730_285,
            730_286,
            999_999_999,
        )
    )


def swap_value(rng: random.Random, value: Any) -> Any:
    """A value of another type (string, number, bool, list, mapping, null, date) or a hostile one."""
    choices: list[Callable[[], Any]] = [
        lambda: str(value),
        lambda: 0,
        lambda: 1,
        lambda: -7,
        lambda: 1.5,
        lambda: 1e400,
        lambda: float("nan"),
        lambda: True,
        lambda: False,
        lambda: None,
        list,
        lambda: [value],
        dict,
        lambda: {"x": value},
        lambda: {"fact": value},
        lambda: "",
        lambda: "yes",
        lambda: " 18 ",
        lambda: "2026-02-29",
        lambda: "0001-01-01",
        lambda: "9999-12-31",
        lambda: date(1, 1, 1),
        lambda: big_int(rng),
        lambda: hostile_string(rng),
    ]
    return rng.choice(choices)()


def deep(rng: random.Random, depth: int) -> Any:
    """Nested lists or mappings ``depth`` levels deep."""
    value: Any = rng.choice((1, "x", None, {"fact": "age", "at_least": 1}))
    as_list = rng.random() < 0.5
    for _ in range(depth):
        value = [value] if as_list else {"all": [value]}
    return value


def many(rng: random.Random, n: int) -> Any:
    """A wide mapping or list."""
    if rng.random() < 0.5:
        return {f"k{i}": i for i in range(n)}
    return [{"fact": "age", "at_least": i} for i in range(n)]


# --------------------------------------------------------------------------------------
# Tree mutations (the file stays well-formed YAML/JSON)
# --------------------------------------------------------------------------------------

Path_ = tuple[Any, ...]


def _paths(tree: Any, prefix: Path_ = ()) -> list[Path_]:
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*prefix, i))
    return out


def _get(tree: Any, path: Path_) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def _set(tree: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    _get(tree, path[:-1])[path[-1]] = value
    return tree


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


def _scalars(tree: Any) -> list[Any]:
    return [v for p in _paths(tree) if not isinstance(v := _get(tree, p), dict | list)]


def mutate_tree(rng: random.Random, tree: Any) -> tuple[Any, str]:
    """One structural edit of a parsed file; returns the new tree and what was done."""
    tree = _copy(tree)
    paths = _paths(tree)
    path = rng.choice(paths)
    node = _get(tree, path)
    op = rng.randrange(11)
    if op == 0:
        return _set(tree, path, swap_value(rng, node)), f"swap {path!r}"
    if op == 1 and path:
        parent = _get(tree, path[:-1])
        del parent[path[-1]]
        return tree, f"delete {path!r}"
    if op == 2:
        donor = rng.choice(_scalars(tree) or [None])
        return _set(tree, path, donor), f"transplant scalar into {path!r}"
    if op == 3:
        donor = _copy(_get(tree, rng.choice(paths)))
        return _set(tree, path, donor), f"transplant subtree into {path!r}"
    if op == 4 and isinstance(node, list) and node:
        node.append(_copy(rng.choice(node)))
        rng.shuffle(node)
        return tree, f"duplicate+shuffle list {path!r}"
    if op == 5 and isinstance(node, dict):
        key = rng.choice((*swap_keys, hostile_string(rng)[:50]))
        node[key] = swap_value(rng, None) if rng.random() < 0.5 else _copy(node)
        return tree, f"add key {key!r} at {path!r}"
    if op == 6:
        return _set(tree, path, hostile_string(rng)), f"hostile string at {path!r}"
    if op == 7:
        d = rng.choice((10, 31, 32, 33, 62, 63, 64, 65, 200))
        return _set(tree, path, deep(rng, d)), f"deep {d} at {path!r}"
    if op == 8:
        n = rng.choice((100, 1_001, 10_000, 60_000))
        return _set(tree, path, many(rng, n)), f"many {n} at {path!r}"
    if op == 9 and isinstance(node, str):
        cut = rng.randrange(len(node) + 1)
        value = node[:cut] + rng.choice((*CONTROLS, *HTML)) + node[cut:]
        return _set(tree, path, value), f"control into string {path!r}"
    if op == 10 and isinstance(node, int | float) and not isinstance(node, bool):
        number = rng.choice((node + 1, node - 1, -node, node * 1000, big_int(rng)))
        return _set(tree, path, number), f"number edit {path!r}"
    return _set(tree, path, swap_value(rng, node)), f"swap {path!r}"


swap_keys: Final = (
    "fact",
    "use",
    "all",
    "any",
    "not",
    "at_least_n_of",
    "n",
    "of",
    "within_days",
    "size_at_least",
    "at_least",
    "in",
    "is",
    "definitions",
    "<<",
    "age",
    "birth_date",
    "problem_domains",
    "measures_tried",
    "eortc_scores",
)


def dump(tree: Any, suffix: str, rng: random.Random) -> str:
    """A tree as YAML (block or flow style) or JSON text (a flow list when too deep to dump)."""
    try:
        return _dump(tree, suffix, rng)
    except RecursionError:
        return "[" * 5_000 + "]" * 5_000 + "\n"
    except UnicodeEncodeError:  # PyYAML's C emitter refuses a lone surrogate; JSON keeps it
        return json.dumps(tree, ensure_ascii=False, default=str)


def _dump(tree: Any, suffix: str, rng: random.Random) -> str:
    # JSON is YAML too (flow style), and the C encoder is fast; block YAML a tenth of the
    # time (PyYAML's representer is pure Python, 0.2 s for a big tree)
    if suffix == ".json" or rng.random() < 0.9:
        return json.dumps(
            tree,
            indent=2 if rng.random() < 0.05 else None,
            ensure_ascii=rng.random() < 0.5,
            default=str,
        )
    return yaml.dump(
        tree,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        allow_unicode=rng.random() < 0.7,
        sort_keys=False,
        width=rng.choice((80, 10**6)),
    )


# --------------------------------------------------------------------------------------
# Text and byte mutations (the file may become malformed)
# --------------------------------------------------------------------------------------

YAML_TRICKS: Final = (
    "x: &a [1, 2]\ny: *a\n",
    "<<: {title: {en: merged}}\n",
    "base: &b {fact: age, at_least: 18}\nother:\n  <<: *b\n",
    "x: !!python/object/apply:os.system ['echo hi']\n",
    "x: !!python/name:os.system\n",
    "x: !!binary aGVsbG8=\n",
    "x: !!set {a, b}\n",
    "x: !!timestamp 2001-12-14t21:59:43.10-05:00\n",
    "x: !!float 1e400\n",
    "x: !!int 0x1F\n",
    "x: !custom tag\n",
    "%YAML 1.1\n---\n",
    "---\nsecond: doc\n",
    "? [complex, key]\n: value\n",
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
    "x: .inf\ny: .nan\nz: -.Inf\n",
    "x: 0o17\ny: 1_000\nz: 0b101\n",
    "x: yes\ny: on\nz: NO\n",
    "x: 2026-11-23T10:00:00Z\n",
    "x: '\\x1b[31m'\ny: \"\\e[31m\\u202e\\0\\x85\"\n",
    "x: |\n  <script>alert(1)</script>\n",
    'x: "' + "9" * 5000 + '"\ny: ' + "9" * 5000 + "\n",
    "x: " + "[" * 500 + "]" * 500 + "\n",
    "x: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
    "x: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "\t- tab\n",
    "x: 1\nx: 2\n",
)


def mutate_text(rng: random.Random, text: str, suffix: str) -> tuple[str, str]:
    """One line-level or YAML-feature edit of a file's text."""
    lines = text.splitlines(keepends=True) or [""]
    op = rng.randrange(8)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
        return "".join(lines), f"delete line {i}"
    if op == 1:
        lines.insert(i, lines[i])
        return "".join(lines), f"duplicate line {i}"
    if op == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines), f"swap lines {i},{j}"
    if op == 3:
        trick = rng.choice(YAML_TRICKS)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        block = "".join(indent + t + "\n" for t in trick.splitlines())
        lines.insert(i, block)
        return "".join(lines), f"insert YAML trick at line {i}"
    if op == 4:
        line = lines[i]
        if ":" in line and suffix != ".json":
            head, _, _tail = line.partition(":")
            value = rng.choice(
                (
                    " &anchor " + _tail.strip(),
                    " *anchor",
                    " !!str " + _tail.strip(),
                    " !!int " + _tail.strip(),
                    " !!map {}",
                    " " + json.dumps(hostile_string(rng)),
                    " " + str(big_int(rng)),
                    " " + "1" + "0" * rng.choice((4_300, 4_301, 100_000)),
                    " -" + "9" * 5_000,
                    " 1.0e400",
                    " " + "1" * 400 + ".5",
                    " [" + _tail.strip() + "]",
                    " {" + _tail.strip() + "}",
                )
            )
            lines[i] = head + ":" + value + "\n"
            return "".join(lines), f"edit value at line {i}"
        return text + rng.choice(YAML_TRICKS), "append YAML trick"
    if op == 5:
        cut = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:cut] + rng.choice((*CONTROLS, *HTML)) + lines[i][cut:]
        return "".join(lines), f"control/markup into line {i}"
    if op == 6:
        n = rng.choice((2, 10, 1000))
        n = min(n, max(2, 2_000_000 // max(1, len(lines[i]))))  # stay near the size limit
        lines.insert(i, lines[i] * n)
        return "".join(lines), f"repeat line {i} x{n}"
    return text[: rng.randrange(len(text) + 1)], "truncate"


def mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Byte flips, inserted and deleted bytes, invalid UTF-8, or growth past the size limit."""
    buf = bytearray(data)
    op = rng.randrange(5)
    if op == 4:
        return bytes(buf) + b"#" * (1_000_001 - len(buf)) + b"\n", "grow past 1 MB"
    for _ in range(rng.choice((1, 1, 2, 8, 64))):
        if not buf:
            buf.append(0)
        i = rng.randrange(len(buf))
        if op == 0:
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf.insert(i, rng.randrange(256))
        elif op == 2:
            del buf[i]
        else:
            buf[i : i + 1] = rng.choice(
                (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf")
            )
    return bytes(buf), ("flip", "insert", "delete", "bad utf-8")[op] + " bytes"


# --------------------------------------------------------------------------------------
# One input from one integer
# --------------------------------------------------------------------------------------


def make_input(seed: int) -> Input:
    """The fuzz input number ``seed``: a seed file with one to three mutations."""
    rng = random.Random(seed)
    base = rng.choice(seeds())
    recipe = [base.name]
    suffix = base.suffix
    if rng.random() < 0.05:  # a patient file named .yml, or a JSON file named .yaml
        suffix = rng.choice((".yml", ".yaml")) if base.kind == "patient" else suffix
    tree = base.tree
    text: str | None = None
    data: bytes | None = None
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        family = rng.random()
        if family < 0.55 and text is None and data is None and "deep" not in recipe[-1]:
            tree, what = mutate_tree(rng, tree)
        elif family < 0.85 and data is None:
            if text is None:
                text = dump(tree, base.suffix, rng) if tree is not base.tree else base.text
            text, what = mutate_text(rng, text, base.suffix)
        else:
            if data is None:
                if text is None:
                    text = dump(tree, base.suffix, rng) if tree is not base.tree else base.text
                data = text.encode("utf-8", "surrogatepass")
            data, what = mutate_bytes(rng, data)
        recipe.append(what)
    if data is None:
        if text is None:
            text = dump(tree, base.suffix, rng)
        data = text.encode("utf-8", "surrogatepass")
    return Input(base.kind, suffix, data, " | ".join(recipe))
