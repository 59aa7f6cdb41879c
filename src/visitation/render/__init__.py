"""Render an :class:`~visitation.Assessment` as text, Markdown, HTML or JSON.

``render(assessment, format, lang)`` is a pure function of the Assessment: no clock, no
terminal detection and no colour codes (a caller may add colour around the output). It
builds the document model once (:mod:`visitation.render.document`: banners, header,
verdicts, rules, indicators, footer, every word in the chosen language) and hands it to
the renderer registered for the format, a small function from the document to a string:

========  =====================================  ============================
format    module                                 for
========  =====================================  ============================
``text``  :mod:`visitation.render.text`          terminals and logs
``md``    :mod:`visitation.render.markdown`      reports, issues, notebooks
``json``  :mod:`visitation.render.json`          machines (the canonical JSON)
``html``  :mod:`visitation.render.html`          notebooks and web pages
========  =====================================  ============================

:func:`register` adds a format (e.g. CDS Hooks cards). Every string from the rule file or
the patient is escaped once, for its format, by :mod:`visitation.render.escape`.

*Unknown* never looks like *not met*: every format pairs a distinct symbol with a word
(``✓ met``, ``✗ not met``, ``? unknown``); HTML adds distinct classes and border styles.

Importing this package registers it with :class:`~visitation.Assessment`, whose
``render()``, ``str()`` and notebook display call :func:`render` (the core does not import
the renderers; ``import visitation`` imports this package).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from visitation.assessment import Assessment, set_renderer
from visitation.render.document import Document, build
from visitation.render.html import render_html
from visitation.render.json import render_json
from visitation.render.labels import LABELS
from visitation.render.markdown import render_markdown
from visitation.render.text import render_text

__all__ = [
    "FORMATS",
    "LABELS",
    "Document",
    "Renderer",
    "build",
    "formats",
    "register",
    "render",
    "unregister",
]

Renderer = Callable[[Document], str]
"""A renderer: the document (in one language) → the output, without a final newline."""

FORMATS: Final = ("text", "md", "json", "html")
"""The formats bundled with the library (:func:`formats` adds any registered since)."""

_FORMAT_NAME: Final = re.compile(r"[a-z][a-z0-9_-]*")

_RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "md": render_markdown,
    "json": render_json,
    "html": render_html,
}


def register(format: str, renderer: Renderer) -> None:
    """Make ``render(a, format)`` call ``renderer``; a bundled format cannot be replaced.

    ``renderer`` takes a :class:`Document`, whose strings are unescaped: escape each one
    for the output (see :mod:`visitation.render.escape`). Registering the same function
    twice is harmless; another function for a taken name is a ``ValueError``.
    """
    if not _FORMAT_NAME.fullmatch(format):
        raise ValueError(f"a format name is a word such as 'cds-hooks', not {format!r}")
    current = _RENDERERS.get(format)
    if current is not None and current is not renderer:
        raise ValueError(f"format {format!r} is already registered ({current.__qualname__})")
    _RENDERERS[format] = renderer


def unregister(format: str) -> None:
    """Forget a registered format; the bundled formats stay."""
    if format in FORMATS:
        raise ValueError(f"format {format!r} is bundled and cannot be removed")
    _RENDERERS.pop(format, None)


def formats() -> tuple[str, ...]:
    """Every format :func:`render` knows now: the bundled ones, then the registered ones."""
    return tuple(_RENDERERS)


def render(assessment: Assessment, format: str = "text", lang: str | None = None) -> str:
    """The assessment in ``format`` (``text``, ``md``, ``json``, ``html``, or a registered
    one), in one of its languages.

    ``lang`` defaults to :attr:`Assessment.default_lang` (English if the assessment holds
    it, else its first language). ``ValueError`` names the formats or the assessment's
    languages when either is unknown. The result has no final newline.
    """
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(_RENDERERS)}")
    if lang is None:
        lang = assessment.default_lang
    if lang not in assessment.languages:
        raise ValueError(
            f"{assessment.key} was evaluated in {', '.join(assessment.languages)}, "
            f"not {lang!r}; languages: {', '.join(assessment.languages)}"
        )
    return renderer(build(assessment, lang))


set_renderer(render)
