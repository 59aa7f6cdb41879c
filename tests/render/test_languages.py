"""Each language is itself: English output holds no Danish and Danish output no English.

For the latest version of every bundled family (and the version chosen by date today)
and every example patient, in every
renderer (text, Markdown, HTML, JSON). The one exception is a quoted source title, which
stays in the source's own language, and so does the patient's free text (the relief
tried, as the record states it); URLs may hold any word. For JSON, the texts a reader
sees are checked (titles, explanations, rationales, sections, publishers), not the ids,
fact names and codes that are there for programs.

A Danish text is recognised by the letters æ, ø, å or a common Danish word; an English
text by a common English word, and the Danish names of regions and authorities count as
Danish: the English output writes them in English ("Capital Region of Denmark"), so no
list of allowed names is needed.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import visitation
from visitation.facts import RULE_FACTS

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
FORMATS = ["text", "md", "html", "json"]


def _latest() -> list[str]:
    """The latest version of each family, and the version chosen by date on the test date
    (``dk-national`` is the published 1.1.0 while 3.x is provisional)."""
    latest: dict[str, tuple[tuple[int, ...], str]] = {}
    for info in visitation.list_rulesets():
        v = tuple(int(p) for p in info.version.split("."))
        if info.family not in latest or v > latest[info.family][0]:
            latest[info.family] = (v, info.key)
    keys = {key for _, key in latest.values()}
    for family in latest:
        with contextlib.suppress(visitation.NoRuleSetInForce):  # none in force on the date
            keys.add(visitation.resolve(family, ON).ruleset.key)
    return sorted(keys)


ON = date(2026, 12, 1)
LATEST = _latest()

DANISH = re.compile(
    r"[æøåÆØÅ]|(?<![\w.-])(?:og|ikke|af|på|til|eller|med|der|som|skal|bør|kan|ved|efter|fra|"
    r"hvis|om|er|den|det|patienten|henvisning|henvisningen|kriterium|afsnit|"
    r"Hovedstaden|Nordjylland|Midtjylland|Syddanmark|Danske|Dansk|Danmark|Regioner|"
    r"Sundhedsstyrelsen|sundhedsloven|Universitetshospital|Sygehus)(?![\w-])",
    re.IGNORECASE,
)
ENGLISH = re.compile(
    r"(?<![\w.'-])(?:the|and|of|is|not|with|that|which|are|has|should|must|when|from|or|was|"
    r"referral|criterion|section)(?![\w'-])",
    re.IGNORECASE,
)


def _json_texts(out: str, lang: str) -> str:
    """The reader's texts of an Assessment's JSON, one per line."""
    a: dict[str, Any] = json.loads(out)
    texts = [a["title"][lang]]
    texts += [p["title"][lang] for p in a["pathways"]]
    for r in [*a["rules"], *a["indicators"]]:
        texts += [r["title"][lang], r["explanation"][lang]]
        texts += [r["source"]["section"][lang], r["source"]["publisher"][lang]]
        if r["rationale"] is not None:
            texts.append(r["rationale"][lang])
    return "\n".join(texts)


def _free_texts(patient: visitation.Patient) -> list[str]:
    """The patient's free texts (``measures_tried``): the record's own words, quoted."""
    out: list[str] = []
    for name, value in visitation.facts_of(patient).items():
        spec = RULE_FACTS.get(name)
        if spec is None or spec.vocabulary or spec.kind not in ("set", "text") or not value:
            continue
        out += sorted([value] if isinstance(value, str) else value, key=len, reverse=True)
    return out


def _reader_text(key: str, example: Path, fmt: str, lang: str) -> str:
    """What a reader of ``fmt`` sees, as plain words: markup, URLs, quoted source titles
    and the patient's free texts removed, white space collapsed (so that a title wrapped
    over two lines is found)."""
    patient = visitation.load_patient(example)
    a = visitation.evaluate(patient, key, on=ON)
    out = a.render(fmt, lang=lang)
    if fmt == "json":
        out = _json_texts(out, lang)
    if fmt == "html":
        out = html.unescape(re.sub(r"<[^>]*>", " ", out))
    out = re.sub(r"https?://\S+", " ", out).replace("\\", "")
    out = re.sub(r"\s+", " ", out)
    quoted = [s.title for s in visitation.load_ruleset(key).sources] + _free_texts(patient)
    for text in quoted:
        out = out.replace(re.sub(r"\s+", " ", text), " ")
    return out


@pytest.mark.parametrize("key", LATEST)
@pytest.mark.parametrize("fmt", FORMATS)
def test_english_output_holds_no_danish_but_quoted_source_titles(key: str, fmt: str) -> None:
    """Every example under the latest version of every family, in English, in every
    format: no Danish letter or word outside the quoted titles of the sources."""
    for example in EXAMPLES:
        words = _reader_text(key, example, fmt, "en")
        found = DANISH.search(words)
        assert found is None, (example.name, words[max(0, found.start() - 80) : found.end() + 80])


@pytest.mark.parametrize("key", LATEST)
@pytest.mark.parametrize("fmt", FORMATS)
def test_danish_output_holds_no_english_but_quoted_source_titles(key: str, fmt: str) -> None:
    """Every example under the latest version of every family, in Danish, in every
    format: no English word outside the quoted titles of the sources."""
    for example in EXAMPLES:
        words = _reader_text(key, example, fmt, "da")
        found = ENGLISH.search(words)
        assert found is None, (example.name, words[max(0, found.start() - 80) : found.end() + 80])


def test_the_detectors_find_what_they_look_for() -> None:
    """The word patterns catch a Danish and an English sentence and pass rule ids."""
    assert DANISH.search("Patienten ønsker ikke henvisningen")
    assert DANISH.search("informed (Region Hovedstaden)")
    assert DANISH.search("informed (Capital Region of Denmark)") is None
    assert DANISH.search("Region Sjælland")
    assert ENGLISH.search("Regional rule applied nationally: the region asks for it")
    assert ENGLISH.search("monitor.received-before-death-or-deterioration") is None
    assert ENGLISH.search("basic.not-met og ikke") is None
