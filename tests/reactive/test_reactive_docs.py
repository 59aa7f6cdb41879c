"""docs/reactive.md: its Python examples run and print what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reactive.md"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.DOTALL)


def test_the_examples_print_what_the_page_shows() -> None:
    """Each python block, run in order in one namespace, prints the text block after it."""
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert any(kind == "python" for kind, _ in blocks)
    namespace: dict[str, object] = {}
    checked = 0
    for (kind, code), nxt in zip(blocks, [*blocks[1:], ("", "")], strict=True):
        if kind != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), namespace)
        if nxt[0] == "text":
            assert out.getvalue() == nxt[1]
            checked += 1
    assert checked >= 1
