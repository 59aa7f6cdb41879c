"""Code normalisation: SKS diagnosis codes to ICD-10, ICD-10 categories to DPD groups,
FHIR dates to Python dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

__all__ = ["group_of_icd10", "icd10_from_sks", "normalise_icd10", "parse_fhir_date"]

_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?")
_DATE = re.compile(r"([0-9]{4})(-([0-9]{2})(-([0-9]{2}))?)?")


def normalise_icd10(code: str) -> str | None:
    """``C349`` or ``C34.9`` → ``C34.9``; ``None`` when it is no ICD-10 code."""
    text = code.strip().upper()
    if _ICD10.fullmatch(text) is None:
        return None
    bare = text.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def icd10_from_sks(code: str) -> str | None:
    """An SKS diagnosis code as ICD-10: ``DC349`` → ``C34.9``, ``DS721+TUL1`` → ``S72.1``.

    The leading ``D`` (the SKS diagnosis chapter) and any ``+`` additional code
    (tillægskode) are dropped and the dot is inserted after the category.
    """
    main = code.strip().upper().partition("+")[0]
    if not main.startswith("D") or len(main) < 4:
        return None
    return normalise_icd10(main[1:])


def group_of_icd10(code: str, ranges: Iterable[tuple[str, str, str]]) -> str | None:
    """The DPD group whose category range holds an ICD-10 code, first range first."""
    category = code[:3]
    for lo, hi, group in ranges:
        if lo <= category <= hi:
            return group
    return None


def parse_fhir_date(text: str) -> tuple[date | None, date] | None:
    """A FHIR date or dateTime → (the full date or ``None`` when partial, the earliest day).

    The date part is read as written (the record's own local date). ``None`` when the
    text is no FHIR date at all.
    """
    if len(text) >= 10 and text[4] == text[7] == "-" and (len(text) == 10 or text[10] == "T"):
        try:  # the common case, a full date: the C parser
            full = date.fromisoformat(text[:10])
        except ValueError:
            pass
        else:
            return full, full
    m = _DATE.match(text)
    if m is None or (len(text) > m.end() and text[m.end()] != "T"):
        return None
    year = int(m[1])
    month = int(m[3]) if m[3] else None
    day = int(m[5]) if m[5] else None
    try:
        earliest = date(year, month or 1, day or 1)
    except ValueError:
        return None
    return (earliest if day is not None else None), earliest
