"""The synthetic cohort: reproducible, valid patients, the documented shares."""

from __future__ import annotations

from datetime import date

import pyarrow.compute as pc
import pytest

from visitation import Patient
from visitation.cohort import synthetic
from visitation.cohort._synthetic import DIAGNOSIS_MIX, REGIONS

ON = date(2026, 11, 23)


def test_the_same_seed_gives_the_same_cohort() -> None:
    """Same n, seed and date give an identical table; another seed a different one."""
    assert synthetic(2000, seed=3, on=ON).equals(synthetic(2000, seed=3, on=ON))
    assert not synthetic(2000, seed=3, on=ON).equals(synthetic(2000, seed=4, on=ON))


def test_every_synthetic_patient_is_a_valid_patient() -> None:
    """Each row (without id and region) validates as a Patient: ranges, vocabularies, date
    order, no age beside a birth date, no date beside a false flag."""
    for row in synthetic(3000, seed=11, on=ON).drop_columns(["patient_id", "region"]).to_pylist():
        Patient.model_validate(row)


def test_the_documented_shares_hold() -> None:
    """Diagnosis mix, regions and the share of unrecorded facts follow the documented figures."""
    n = 50_000
    table = synthetic(n, seed=1, on=ON, missing=0.2)
    counts = {
        r["values"]: r["counts"]
        for r in pc.value_counts(table.column("diagnosis_group")).to_pylist()
    }
    recorded = n - table.column("diagnosis_group").null_count
    assert counts["cancer"] / recorded == pytest.approx(DIAGNOSIS_MIX["cancer"], abs=0.02)
    assert set(table.column("region").to_pylist()) == set(REGIONS)
    assert table.column("incurable").null_count / n == pytest.approx(0.2, abs=0.02)
    wait = pc.days_between(table.column("referral_received_on"), table.column("first_contact_on"))
    within = pc.sum(pc.less_equal(wait, 10).cast("int64")).as_py() / (len(wait) - wait.null_count)
    assert 0.85 <= within <= 0.95  # DPD indicator 2's standard is 90 %


def test_bad_arguments_are_refused() -> None:
    """A negative size or a share outside [0, 1] is an error."""
    with pytest.raises(ValueError, match="n must be"):
        synthetic(-1)
    with pytest.raises(ValueError, match="share between 0 and 1"):
        synthetic(10, missing=1.5)
