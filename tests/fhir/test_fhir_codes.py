"""SKS and ICD-10 code normalisation, DPD groups and FHIR dates."""

from __future__ import annotations

from datetime import date

import pytest

from visitation.fhir import default_mapping
from visitation.fhir._codes import (
    group_of_icd10,
    icd10_from_sks,
    normalise_icd10,
    parse_fhir_date,
)


@pytest.mark.parametrize(
    ("sks", "icd"),
    [
        ("DC349", "C34.9"),
        ("DC34", "C34"),
        ("DS721+TUL1", "S72.1"),
        ("DI501B", "I50.1B"),
        ("dj449", "J44.9"),
        ("DE11", "E11"),
        ("C349", None),
        ("D", None),
        ("DXYZ", None),
    ],
)
def test_sks_codes_become_icd10(sks: str, icd: str | None) -> None:
    """An SKS diagnosis code loses its D and any +tillæg and gains the ICD-10 dot."""
    assert icd10_from_sks(sks) == icd


@pytest.mark.parametrize(
    ("code", "out"), [("C34.9", "C34.9"), ("c349", "C34.9"), ("G35", "G35"), ("34.9", None)]
)
def test_who_icd10_is_normalised(code: str, out: str | None) -> None:
    """WHO ICD-10 codes are written with the dot, upper case; other text is no code."""
    assert normalise_icd10(code) == out


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("C34.9", "cancer"),
        ("D40.1", "cancer"),
        ("I61.0", "stroke"),
        ("I64", "neurological"),
        ("G12.2", "neurological"),
        ("F01.0", "neurological"),
        ("F20", None),
        ("I50.1B", "heart_vascular"),
        ("I53", None),
        ("J44.9", "lung"),
        ("E84.0", "lung"),
        ("N18.5", "kidney"),
        ("N30", None),
        ("S72.1", None),
    ],
)
def test_dpd_groups_follow_the_kip_value_sets(code: str, group: str | None) -> None:
    """ICD-10 categories fall into the DPD groups of IDC10DPDCancer / IDC10DPDNonCancer."""
    assert group_of_icd10(code, default_mapping().ranges) == group


def test_fhir_dates_full_partial_and_datetime() -> None:
    """Full dates, dateTimes (date part as written) and partial dates are told apart."""
    assert parse_fhir_date("2026-11-02") == (date(2026, 11, 2), date(2026, 11, 2))
    assert parse_fhir_date("2026-11-02T23:30:00-05:00") == (date(2026, 11, 2), date(2026, 11, 2))
    assert parse_fhir_date("2026-11") == (None, date(2026, 11, 1))
    assert parse_fhir_date("2026") == (None, date(2026, 1, 1))
    assert parse_fhir_date("2026-13-01") is None
    assert parse_fhir_date("2026-11-02 10:00") is None
