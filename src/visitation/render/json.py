"""JSON: the canonical JSON of the Assessment, every language it holds.

The document's language is only checked (by :func:`visitation.render.render`); JSON is
data for machines, so it is the Assessment itself, exact and reversible
(``Assessment.from_json``), not a rendering of the document. JSON already escapes C0
controls; the other characters of :data:`~visitation.render.escape.UNSAFE` (DEL, C1
controls, bidi overrides, line separators) are written as ``\\uXXXX`` escapes too, which
read back as the same string, so no terminal that shows the JSON obeys them.
"""

from __future__ import annotations

import re

from visitation.render.document import Document
from visitation.render.escape import UNSAFE

__all__ = ["render_json"]


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def render_json(doc: Document) -> str:
    """``doc.assessment.to_json()``, with unsafe characters as ``\\uXXXX`` escapes."""
    return UNSAFE.sub(_json_escape, doc.assessment.to_json())
