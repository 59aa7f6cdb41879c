"""One escaping function per output format, and the URL rule they share.

Every string that comes from a rule file or a patient (titles, explanations, evidence,
sources, URLs, free text such as ``measures_tried``) passes through exactly one of
:func:`text`, :func:`markdown` or :func:`html` on its way into the output, so hostile
input can neither break the layout nor become markup:

- **Terminal control characters are made visible** in every format: C0 and DEL become
  their Control Pictures (``ESC`` → ``␛``), C1 controls, bidi overrides and isolates
  (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), line and paragraph separators
  and lone surrogates become ``<U+XXXX>``. Nothing in the output can move a terminal's
  cursor, change its colours or reorder the text around it.
- **Text and Markdown are one line per field**: newlines and other white space inside a
  field collapse to one space, so a field cannot end a list item, a heading or a link.
- **Markdown** escapes every character CommonMark or GFM reads as inline markup or raw
  HTML (``\\ ` * _ [ ] < > & # | ~``) and a block marker at the start of a field.
- **HTML** escapes ``& < > " '`` (``html.escape``), in text and in attributes alike.
- **URLs** become links only when their scheme is ``http`` or ``https``
  (:func:`link_target`); a link target is percent-encoded, so no white space, control,
  quote or angle bracket survives into it.
"""

from __future__ import annotations

import html as _html
import re
from typing import Final, Literal
from urllib.parse import quote

__all__ = ["UNSAFE", "html", "link_target", "markdown", "one_line", "text", "visible"]

UNSAFE: Final = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
"""Characters that must never reach output as they are (newline is handled per format)."""


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures: ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(value: str) -> str:
    """``value`` with every control, bidi and separator character made visible (``\\n`` kept)."""
    # str.isprintable is false for every character of UNSAFE (Cc, Cf, Zl, Zp, Cs): a fast path
    return value if value.isprintable() else UNSAFE.sub(_picture, value)


def one_line(value: str) -> str:
    """``value`` on one line: runs of white space (newlines too) become one space."""
    return " ".join(value.split())


def text(value: str) -> str:
    """Plain text for terminals and logs: one line, controls made visible, nothing else."""
    return visible(one_line(value))


_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>&#|~])")
_MD_BLOCK_START: Final = re.compile(r"^(?:([-+=])|(\d{1,9})([.)]))")


def _md_block_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def markdown(value: str, *, context: Literal["prose", "code", "url"] = "prose") -> str:
    """``value`` for CommonMark/GFM, in one of three places.

    ``prose`` (running text): every markup character backslash-escaped, and a list,
    heading-underline or ordered-list marker at the start too. ``code``: the text of a
    code span with its backticks (a backtick inside becomes ``'``). ``url``: the target of
    a ``<…>`` link destination, percent-encoded (see :func:`link_target`; pass only what
    that function returned).
    """
    if context == "url":
        return value.replace("&", "\\&")  # no entity such as &lt; may form in the target
    flat = visible(one_line(value))
    if context == "code":
        return "`" + flat.replace("`", "'") + "`"
    out = _MD_SPECIAL.sub(r"\\\1", flat)
    if out[:1] in ("-", "+", "=") or out[:1].isdigit():
        out = _MD_BLOCK_START.sub(_md_block_start, out, count=1)
    return out


def html(value: str) -> str:
    """Text or attribute value for HTML: controls made visible, ``& < > " '`` escaped."""
    return _html.escape(visible(value), quote=True)


_URL_SAFE: Final = "!#$%&()*+,/:;=?@[]~-._"


def link_target(url: str | None) -> str | None:
    """The URL to link to, or ``None`` when it must not be a link.

    Only ``http://`` and ``https://`` URLs are links. The result is percent-encoded:
    white space, controls, non-ASCII characters, quotes, backslashes and angle brackets
    become ``%XX``, so the target cannot end early in any format.
    """
    if not url or not url[:8].lower().startswith(("https://", "http://")):
        return None
    return quote(url, safe=_URL_SAFE, errors="surrogatepass")
