"""The escaping functions, one per format: controls made visible, markup kept literal."""

from __future__ import annotations

import html
import re

from hypothesis import assume, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from visitation.render import escape

COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])
"""CommonMark with raw HTML allowed (as most Markdown viewers), plus GFM tables and ~~."""

ANY_TEXT = st.text(st.characters(codec=None), max_size=80)
"""Arbitrary unicode, controls, bidi characters and lone surrogates included."""

CONTROLS = [chr(c) for c in (*range(0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0))]
BIDI = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F))]
BIDI += [chr(c) for c in range(0x2066, 0x206A)]


def test_visible_shows_c0_and_del_as_control_pictures() -> None:
    """ESC, BEL and DEL become their Control Pictures; a newline stays."""
    assert escape.visible("a\x1b[31mb\x07\x7f\nc") == "a␛[31mb␇␡\nc"


def test_visible_names_c1_bidi_and_separators() -> None:
    """C1 controls, bidi overrides and isolates, and line separators become <U+XXXX>."""
    assert escape.visible("\x9b2J") == "<U+009B>2J"
    assert (
        escape.visible("ab\u202ecd\u2066e\u2069\u2028") == "ab<U+202E>cd<U+2066>e<U+2069><U+2028>"
    )


def test_every_control_and_bidi_character_is_unsafe() -> None:
    """Every C0 control but newline, every C1 control and every bidi control is replaced."""
    for ch in [*CONTROLS, *BIDI]:
        assert ch not in escape.visible(f"x{ch}y"), hex(ord(ch))


def test_text_is_one_line_with_controls_visible() -> None:
    """Plain text: runs of white space become one space, controls become visible."""
    assert escape.text("  first\n\n second\t\x1b ") == "first second ␛"


def test_markdown_prose_escapes_inline_markup_and_raw_html() -> None:
    """Markdown prose: HTML, emphasis, links, code, entities, tables stay literal."""
    out = escape.markdown("<b>*x*</b> [l](u) `c` &amp; a|b ~~s~~ #h \\")
    assert out == r"\<b\>\*x\*\</b\> \[l\](u) \`c\` \&amp; a\|b \~\~s\~\~ \#h \\"


def test_markdown_prose_escapes_a_block_marker_at_the_start() -> None:
    """A list, setext or ordered-list marker at the start of a field is escaped."""
    assert escape.markdown("- item") == r"\- item"
    assert escape.markdown("+ item") == r"\+ item"
    assert escape.markdown("===") == r"\==="
    assert escape.markdown("1. first") == r"1\. first"
    assert escape.markdown("12) twelfth") == r"12\) twelfth"
    assert escape.markdown("2026-11-23 a - b") == "2026-11-23 a - b"


def test_markdown_code_span_cannot_be_closed() -> None:
    """A code span keeps its text on one line and turns backticks into quotes."""
    assert escape.markdown("a`b\n<script>", context="code") == "`a'b <script>`"


def test_link_target_only_for_http_and_https() -> None:
    """Only http(s) URLs are link targets; javascript:, data: and relative URLs are not."""
    assert escape.link_target("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&c=2"
    assert escape.link_target("HTTP://example.org") == "HTTP://example.org"
    for url in ("javascript:alert(1)", "data:text/html,<script>", "/relative", " https://x", ""):
        assert escape.link_target(url) is None, url
    assert escape.link_target(None) is None


def test_link_target_percent_encodes_what_could_end_it() -> None:
    """White space, controls, quotes, angle brackets and non-ASCII are percent-encoded."""
    target = escape.link_target('https://x.org/\n<script src="e">\u202e\x1bø')
    assert target == "https://x.org/%0A%3Cscript%20src=%22e%22%3E%E2%80%AE%1B%C3%B8"


def test_html_escapes_markup_and_quotes() -> None:
    """HTML: & < > " ' are escaped and controls made visible."""
    assert escape.html("<a href='x'>\"&\x1b</a>") == (
        "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;␛&lt;/a&gt;"
    )


def _only_tags(rendered: str, allowed: set[str]) -> set[str]:
    return {t for t in re.findall(r"</?([a-zA-Z][\w-]*)", rendered) if t not in allowed}


@given(ANY_TEXT)
def test_markdown_prose_reads_back_as_the_text_itself(value: str) -> None:
    """Any text, escaped as Markdown prose at the start of a paragraph, renders through
    CommonMark as exactly that text (one line, controls visible): no markup, no raw HTML."""
    flat = escape.text(value)
    assume(flat)
    rendered = COMMONMARK.render(f"- **x**\\\n  {escape.markdown(value)}")
    assert _only_tags(rendered, {"ul", "li", "strong", "br"}) == set()
    body = rendered.split("<br />\n", 1)[1].rsplit("</li>", 1)[0]
    assert html.unescape(body) == flat


@given(ANY_TEXT)
def test_markdown_code_span_reads_back_as_the_text(value: str) -> None:
    """Any text as a Markdown code span renders as one code element and no other tag."""
    rendered = COMMONMARK.render(f"x {escape.markdown(value, context='code')}")
    assert _only_tags(rendered, {"p", "code"}) == set()


@given(ANY_TEXT)
def test_markdown_link_is_one_link_to_the_encoded_url(value: str) -> None:
    """Any text after https:// makes one link whose target has no white space or quote."""
    target = escape.link_target("https://example.org/" + value)
    assert target is not None
    link = f"[t](<{escape.markdown(target, context='url')}>)"
    rendered = COMMONMARK.render(f"see {link}")
    assert _only_tags(rendered, {"p", "a"}) == set()
    hrefs = re.findall(r'<a href="([^"]*)">t</a>', rendered)
    assert len(hrefs) == 1
    assert not re.search(r"[\s<>\"'\\]", html.unescape(hrefs[0]))


@given(ANY_TEXT)
def test_text_and_html_hold_no_control_character(value: str) -> None:
    """Escaped text has no control, bidi or newline character; escaped HTML has no markup."""
    assert not escape.UNSAFE.search(escape.text(value)) and "\n" not in escape.text(value)
    out = escape.html(value)
    assert not escape.UNSAFE.search(out) and "<" not in out and ">" not in out


def test_no_unsafe_character_counts_as_printable() -> None:
    """The fast path holds: str.isprintable is false for every character escape makes visible."""
    assert [
        c for c in range(0x110000) if escape.UNSAFE.match(chr(c)) and chr(c).isprintable()
    ] == []
