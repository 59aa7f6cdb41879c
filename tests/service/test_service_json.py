"""The service's JSON without a server: request bodies read as the standard library reads
them, answers written as it writes them, and the prefetch of a patient's bundle."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.service_helpers import BUNDLE
from visitation import fhir as vfhir
from visitation.fhir.testing import bundles
from visitation.service import PREFETCH, prefetch_of
from visitation.service._json import dumps, loads

ON = date(2026, 11, 23)


def _std(raw: bytes) -> tuple[str, Any]:
    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return "ok", json.loads(raw, parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:
        return "error", (type(exc), str(exc))


def _ours(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", loads(raw)[0]
    except (ValueError, RecursionError) as exc:
        return "error", (type(exc), str(exc))


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, objects with their keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return repr(a) == repr(b)


EDGES = [
    b'{"a": 1, "a": 2, "b": 3}',
    b'{"b": 1, "a": 2, "b": 3}',
    b'"\\ud83d\\ude00"',
    b'"\\udc00"',  # a lone surrogate: orjson refuses it, the standard library reads it
    b'"\xed\xa0\x80"',  # a surrogate encoded in UTF-8
    b"2e308",
    b"[-1e400]",
    b"1e-400",
    b"-0",
    b"-0.0",
    b"18446744073709551615",
    b"-9223372036854775808",
    b"-9223372036854775809",  # beyond 64 bits: orjson would make it a float
    b'{"n": 123456789012345678901234567890}',
    b'{"s": "1234567890123456789012"}',
    b"\xef\xbb\xbf{}",
    '{"å": "ø"}'.encode("utf-16"),
    b'"a\x00"',
    b'"\\x"',
    b"NaN",
    b"-Infinity",
    b"[1,]",
    b"01",
    b"",
    b" ",
    b"\xff",
    b"[" * 1100 + b"]" * 1100,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"hook": "patient-view",',
]

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("raw", EDGES)
def test_a_body_is_read_as_the_standard_library_reads_it(raw: bytes) -> None:
    """Edge cases (duplicate keys, lone surrogates, big numbers, byte order marks, deep
    nesting, malformed JSON) give the standard library's value or its very error."""
    mine, std = _ours(raw), _std(raw)
    assert mine[0] == std[0]
    assert _same(mine[1], std[1]) if mine[0] == "ok" else mine[1] == std[1]


@settings(max_examples=150, deadline=None)
@given(_json_values, st.booleans())
def test_any_json_is_read_as_the_standard_library_reads_it(value: Any, ascii_only: bool) -> None:
    """Any JSON text gives the standard library's value; only what orjson read is exact."""
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    parsed, exact = loads(raw)
    assert _same(parsed, json.loads(raw))
    if exact:
        assert _same(loads(dumps(parsed))[0], parsed)


def test_what_orjson_cannot_read_exactly_is_not_exact() -> None:
    """Bodies read by the standard library (long digit runs, lone surrogates, a byte order
    mark, infinities) are not exact: their cache key is the standard library's text."""
    for raw in (b'{"n": 1234567890123456789}', b'"\\udc00"', b"\xef\xbb\xbf{}", b"[1e400]"):
        assert loads(raw)[1] is False
    assert loads(b'{"n": 123456789012345678}')[1] is True


_answer_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_answer_values)
def test_an_answer_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    """The answer's bytes are the standard library's compact UTF-8 JSON of its values."""
    std = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert dumps(value) == std.encode()


def test_a_lone_surrogate_in_an_answer_is_written_as_an_escape() -> None:
    """A string that is not Unicode text is written as valid JSON, not a failure."""
    out = dumps({"cards": [{"summary": "a\udc00b"}]})
    assert json.loads(out) == {"cards": [{"summary": "a\udc00b"}]}


def test_the_prefetch_of_a_bundle_has_every_key() -> None:
    """Every template's key is there: the Patient for the read, a searchset per search, in
    bundle order with the fullUrls; other resource types are left out."""
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    bundle["entry"].append({"resource": {"resourceType": "Medication", "id": "m"}})
    bundle["entry"].append({"resource": {"resourceType": "Observation", "id": "no-url"}})
    pf = prefetch_of(bundle)
    assert list(pf) == list(PREFETCH)
    assert pf["patient"]["resourceType"] == "Patient"
    kept = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert [e["resource"] for e in pf["observations"]["entry"]] == [e["resource"] for e in kept]
    assert pf["observations"]["entry"][-1] == {
        "resource": {"resourceType": "Observation", "id": "no-url"}
    }
    assert all("fullUrl" in e for e in pf["observations"]["entry"][:-1])
    assert all(v["type"] == "searchset" for k, v in pf.items() if k != "patient")
    assert "Medication" not in json.dumps(pf)


def test_the_prefetch_of_a_bundle_without_a_patient_says_no_data() -> None:
    """No Patient gives ``null`` (no data, not "fetch it"); no resources give empty
    searchsets; two Patients, or not a Bundle, are refused."""
    pf = prefetch_of({"resourceType": "Bundle", "type": "collection"})
    assert pf["patient"] is None
    assert pf["conditions"] == {"resourceType": "Bundle", "type": "searchset", "entry": []}
    two = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}] * 2}
    with pytest.raises(ValueError, match=r"entry\[1\]: a second Patient"):
        prefetch_of(two)
    with pytest.raises(ValueError, match="takes a FHIR Bundle"):
        prefetch_of({"resourceType": "Patient"})


@settings(max_examples=15, deadline=None)
@given(bundles(on=ON))
def test_the_prefetch_gives_the_bundles_facts(pair: tuple[Any, dict[str, Any]]) -> None:
    """Reading the prefetch of a bundle gives the facts reading the bundle gives."""
    _, bundle = pair
    direct = vfhir.facts_from_bundle(copy.deepcopy(bundle), on=ON)
    via = vfhir.facts_from_bundle(prefetch_of(bundle), on=ON)
    assert via.patient == direct.patient
