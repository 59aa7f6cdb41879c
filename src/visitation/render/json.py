"""JSON: the canonical JSON of the Assessment, every language it holds.

The document's language is only checked (by :func:`visitation.render.render`); JSON is
data for machines, so it is the Assessment itself, exact and reversible
(``Assessment.from_json``), not a rendering of the document.
"""

from __future__ import annotations

from visitation.render.document import Document

__all__ = ["render_json"]


def render_json(doc: Document) -> str:
    """``doc.assessment.to_json()``."""
    return doc.assessment.to_json()
