"""A reproducible synthetic cohort of referred patients, to try a rule change on.

``synthetic(n, seed=...)`` returns a pyarrow Table with one row per patient in the
cohort-table form (facts as columns, sets as lists), plus ``region``. The same ``n``,
``seed`` and ``on`` give the same table on every machine (NumPy's PCG64 generator).

What is published and what is assumed (docs/cohort.md lists the same):

- **Published** (see /work/shared/domain.md): the DPD vocabularies for diagnosis group
  and referrer; the five regions; the DPD indicator 2 standard that 90 % are received
  within 10 days of the referral being received, and indicator 1's result of about 80 %
  received (about 20 % die or become too ill first) — used for the wait and the
  ``died_or_too_ill_before_contact`` share.
- **Assumed** (no published figure was found; change them with the keyword arguments):
  the diagnosis mix (``DIAGNOSIS_MIX``: cancer 75 %), the regions' shares
  (``REGION_SHARES``, roughly proportional to population), the age distribution (normal,
  mean 72, sd 12, 1 % under 18), the share of unrecorded facts (``missing``, 20 % for
  each fact independently), and every yes/no fact's share of "yes" (``YES_SHARES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from visitation import CONSISTENCY, FACTS

__all__ = ["DIAGNOSIS_MIX", "REGIONS", "REGION_SHARES", "YES_SHARES", "synthetic"]

REGIONS = ("hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland")
"""The five Danish regions."""

REGION_SHARES = (0.32, 0.14, 0.21, 0.23, 0.10)
"""ASSUMPTION: share of referrals per region, roughly the regions' share of the population."""

DIAGNOSIS_MIX: Mapping[str, float] = {
    "cancer": 0.75,
    "heart_vascular": 0.07,
    "lung": 0.07,
    "neurological": 0.04,
    "kidney": 0.02,
    "stroke": 0.01,
    "other": 0.04,
}
"""ASSUMPTION: diagnosis group of referred patients (DPD vocabulary; cancer the large
majority, as DPD's indicator 3/3B split suggests; the figures are not published here)."""

YES_SHARES: Mapping[str, float] = {
    "life_threatening": 0.97,
    "incurable": 0.92,
    "workup_complete": 0.9,
    "sq1_not_surprised": 0.85,
    "complex_by_clinician": 0.75,
    "relieved_at_basic": 0.2,
    "treatment_level_documented": 0.7,
    "informed_incurable": 0.9,
    "informed_palliative_aim": 0.88,
    "informed_palliative_only": 0.8,
    "informed_alternatives": 0.75,
    "consent_referral": 0.95,
    "wishes_hospice": 0.4,
    "referrer_is_physician": 0.95,
    "gp_informed": 0.8,
    "gp_agrees": 0.7,
    "died_or_too_ill_before_contact": 0.2,
    "curative_exhausted": 0.85,
    "curative_ended": 0.8,
    "life_prolonging_treatment": 0.35,
    "terminal_declared": 0.45,
    "treatment_level_clarified": 0.75,
    "needs_hospital_admission": 0.15,
}
"""ASSUMPTION (except died_or_too_ill_before_contact, from DPD indicator 1's ~80 %):
the share of "yes" among recorded answers of each yes/no fact."""

_PROGNOSIS = (("days", 0.1), ("weeks", 0.35), ("few_months", 0.4), ("longer", 0.15))
_REFERRER = (("hospital", 0.55), ("gp", 0.25), ("specialist", 0.1), ("palliative_unit", 0.05),
             ("patient_relative", 0.02), ("other", 0.03))  # fmt: skip
_CODES = {
    "cancer": ("C34.9", "C18.9", "C50.9", "C61", "C25.9"),
    "heart_vascular": ("I50.9", "I25.9"),
    "lung": ("J44.9", "J84.1"),
    "neurological": ("G12.2", "G35"),
    "kidney": ("N18.5",),
    "stroke": ("I63.9",),
    "other": ("B20", "F03"),
}
_MEASURES = ("opioid titration", "laxatives", "antiemetics", "anxiolytics", "physiotherapy",
             "conversation with the GP", "home nursing", "social worker")  # fmt: skip
_DAY0 = date(1970, 1, 1)


def synthetic(
    n: int,
    *,
    seed: int = 0,
    on: date = date(2026, 11, 23),
    missing: float = 0.2,
    id_column: str = "patient_id",
    portable: bool = False,
) -> pa.Table:
    """``n`` synthetic referred patients around the evaluation date ``on`` (see module doc).

    ``portable=True`` gives the same patients in the portable layout (sets as member
    columns, docs/cohort.md), the form the SQL reads without conversion."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0 <= missing <= 1:
        raise ValueError("missing is a share between 0 and 1")
    rng = np.random.default_rng(seed)
    on_day = (on - _DAY0).days
    cols: dict[str, pa.Array] = {id_column: pa.array(np.arange(1, n + 1, dtype=np.int64))}

    def recorded() -> np.ndarray:
        return rng.random(n) >= missing

    def choice(options: tuple[tuple[str, float], ...] | Mapping[str, float]) -> pa.Array:
        pairs = list(options.items()) if isinstance(options, Mapping) else list(options)
        names = [k for k, _ in pairs]
        p = np.array([v for _, v in pairs])
        idx = rng.choice(len(names), size=n, p=p / p.sum()).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(idx, mask=~recorded()), names).cast(
            pa.string()
        )

    def dates(days_before: np.ndarray, mask: np.ndarray) -> pa.Array:
        return pa.array((on_day - days_before).astype(np.int32), pa.int32(), mask=~mask).cast(
            pa.date32()
        )

    # identity and disease
    group_idx = rng.choice(len(DIAGNOSIS_MIX), size=n, p=np.array(list(DIAGNOSIS_MIX.values())))
    groups = list(DIAGNOSIS_MIX)
    ages = np.clip(np.round(rng.normal(72, 12, n)), 18, 104).astype(np.int64)
    young = rng.random(n) < 0.01
    ages[young] = rng.integers(0, 18, int(young.sum()))
    birth_offset = (ages * 365.25 + rng.integers(0, 365, n)).astype(np.int64)
    age_known = recorded()
    as_age = rng.random(n) < 0.05  # a few records carry the age, not the birth date
    cols["age"] = pa.array(ages, mask=~(age_known & as_age))
    cols["birth_date"] = dates(birth_offset, age_known & ~as_age)
    group_known = recorded()
    cols["diagnosis_group"] = pa.DictionaryArray.from_arrays(
        pa.array(group_idx.astype(np.int32), mask=~group_known), groups
    ).cast(pa.string())
    code_pick = rng.integers(0, 1 << 30, n)
    codes = [_CODES[groups[g]][k % len(_CODES[groups[g]])] for g, k in zip(group_idx, code_pick,
                                                                       strict=True)]  # fmt: skip
    cols["diagnosis_code"] = pa.array(codes, pa.string(), mask=~(group_known & recorded()))

    for name, spec in FACTS.items():
        if name in cols:
            continue
        if spec.kind == "bool":
            cols[name] = pa.array(rng.random(n) < YES_SHARES.get(name, 0.5), mask=~recorded())
    cols["spict_general_count"] = pa.array(rng.integers(0, 8, n), mask=~recorded())
    cols["symptom_count"] = pa.array(rng.poisson(3.0, n).clip(0, 50), mask=~recorded())
    cols["prognosis"] = choice(_PROGNOSIS)
    cols["referrer"] = choice(_REFERRER)

    # dates: screening, advice, ACP before the evaluation date; the referral path
    cols["eortc_date"] = dates(rng.integers(0, 120, n), recorded())
    cols["advice_date"] = dates(rng.integers(0, 200, n), recorded())
    cols["acp_date"] = dates(rng.integers(0, 400, n), recorded())
    sent = rng.integers(0, 60, n)
    transit = rng.integers(0, 4, n)
    wait = rng.geometric(1 / 5.0, n) - 1  # about 91 % within 10 days (DPD standard: 90 %)
    received = np.maximum(sent - transit, 0)
    contact = np.maximum(received - wait, 0)
    sent_known, received_known = recorded(), recorded()
    cols["referral_sent_on"] = dates(sent, sent_known)
    cols["referral_received_on"] = dates(received, received_known)
    cols["first_contact_on"] = dates(contact, recorded())
    for flag, when, spread in (("terminal_declared", "terminal_declaration_date", 500),
                               ("curative_ended", "curative_end_date", 300)):  # fmt: skip
        allowed = pc.fill_null(cols[flag], True).to_numpy(zero_copy_only=False)  # not false
        cols[when] = dates(rng.integers(0, spread, n), recorded() & allowed)

    # sets and scores
    cols["problem_domains"] = _sets(rng, n, ("physical", "psychological", "social", "existential"),
                                    (0.85, 0.55, 0.35, 0.3), recorded())  # fmt: skip
    cols["referral_contents"] = _sets(rng, n, tuple(FACTS["referral_contents"].vocabulary),
                                      (0.95,) * len(FACTS["referral_contents"].vocabulary),
                                      recorded())  # fmt: skip
    cols["measures_tried"] = _sets(rng, n, _MEASURES, (0.5, 0.4, 0.3, 0.2, 0.15, 0.3, 0.2, 0.1),
                                   recorded())  # fmt: skip
    items = np.concatenate(
        [rng.integers(1, 5, (n, 14)), rng.integers(1, 8, (n, 1))], axis=1
    ).astype(np.int64)
    eortc = recorded()
    cols["eortc_items"] = pa.ListArray.from_arrays(
        pa.array(np.arange(0, 15 * n + 1, 15, dtype=np.int32)),
        pa.array(items.ravel()),
        mask=pa.array(~eortc),
    )
    region_idx = rng.choice(len(REGIONS), size=n, p=np.array(REGION_SHARES)).astype(np.int32)
    cols["region"] = pa.DictionaryArray.from_arrays(pa.array(region_idx), list(REGIONS)).cast(
        pa.string()
    )
    for name, spec in FACTS.items():  # a choice added to the facts later: uniform (assumed)
        if name not in cols and spec.kind == "enum":
            cols[name] = choice(dict.fromkeys(spec.vocabulary, 1.0))
    _keep_consistent(cols)
    facts = {k: cols[k] for k in FACTS if k in cols}  # a fact not generated: not recorded
    ordered = {id_column: cols[id_column], **facts, "region": cols["region"]}
    table = pa.table(ordered)
    if not portable:
        return table
    from visitation.cohort._input import to_layout
    from visitation.cohort._layout import layout

    # a free-text set keeps only its size: its member columns depend on the rule set
    return to_layout(table, id_column, layout(), keep=["region"])


def _keep_consistent(cols: dict[str, pa.Array]) -> None:
    """Leave unrecorded what the core's consistency table forbids beside a false yes/no fact
    (``gp_agrees: true`` beside ``gp_informed: false``, consent by proxy beside
    ``lacks_capacity: false``, ...), so that every synthetic patient is a valid Patient."""
    for rule in CONSISTENCY:
        if rule.kind != "excludes" or rule.first not in cols or rule.second not in cols:
            continue
        first = cols[rule.first].to_numpy(zero_copy_only=False)
        second = cols[rule.second]
        present = ~second.is_null().to_numpy(zero_copy_only=False)
        if rule.value is not None:
            present &= pc.fill_null(pc.equal(second, rule.value), False).to_numpy(
                zero_copy_only=False
            )
        clash = (first == False) & present  # noqa: E712 - an object array of True/False/None
        if clash.any():
            cols[rule.second] = pc.if_else(
                pa.array(clash), pa.nulls(len(clash), second.type), second
            )


def _sets(
    rng: np.random.Generator,
    n: int,
    members: tuple[str, ...],
    shares: tuple[float, ...],
    known: np.ndarray,
) -> pa.Array:
    """A list<string> column: each member present with its share; null where not known."""
    has = rng.random((n, len(members))) < np.array(shares)
    counts = has.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    member_idx = np.nonzero(has)[1].astype(np.int32)
    values = pa.DictionaryArray.from_arrays(pa.array(member_idx), list(members)).cast(pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~known))
