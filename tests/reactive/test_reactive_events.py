"""The event format: the issue's line form and every way a line can be wrong."""

from __future__ import annotations

from datetime import datetime

import pytest

from visitation.reactive import EventError, parse_event, parse_line

ISSUE_LINE = (
    '{"patient": "p1", "time": "2026-03-01T09:00:00", "set": {"prognosis": "weeks"}, '
    '"clear": ["needs_hospital_admission"]}'
)


def test_the_issue_line_form_parses() -> None:
    """The line form of the issue gives patient, time, set and clear."""
    ev = parse_line(ISSUE_LINE, 7)
    assert ev.patient == "p1"
    assert ev.time == datetime(2026, 3, 1, 9, 0)
    assert dict(ev.set) == {"prognosis": "weeks"}
    assert ev.clear == ("needs_hospital_admission",)
    assert ev.line == 7
    assert not ev.end


def test_a_clock_line_has_only_time() -> None:
    """A line with only a time is a clock line (no patient)."""
    ev = parse_event({"time": "2026-03-01"})
    assert ev.patient is None
    assert ev.time == datetime(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("[1, 2]", None, "JSON object"),
        ("{not json", None, "not JSON"),
        ('{"patient": "p1"}', "time", "missing"),
        ('{"patient": "p1", "time": "yesterday"}', "time", "invalid date-time"),
        ('{"patient": "p1", "time": 20260301}', "time", "ISO 8601"),
        ('{"patient": 7, "time": "2026-03-01"}', "patient", "non-empty string"),
        ('{"patient": "p1", "time": "2026-03-01", "sett": {}}', "sett", "did you mean 'set'"),
        (
            '{"patient": "p1", "time": "2026-03-01", "set": {"prognosys": "weeks"}}',
            "set.prognosys",
            "did you mean 'prognosis'",
        ),
        ('{"patient": "p1", "time": "2026-03-01", "set": []}', "set", "object"),
        ('{"patient": "p1", "time": "2026-03-01", "clear": "age"}', "clear", "list"),
        ('{"patient": "p1", "time": "2026-03-01", "clear": ["agee"]}', "clear[0]", "unknown fact"),
        (
            '{"patient": "p1", "time": "2026-03-01", "set": {"age": 70}, "clear": ["age"]}',
            "clear",
            "both set and cleared",
        ),
        ('{"patient": "p1", "time": "2026-03-01", "end": "yes"}', "end", "true or false"),
        ('{"time": "2026-03-01", "set": {"age": 70}}', "patient", "need a patient"),
    ],
)
def test_bad_lines_name_line_and_field(text: str, field: str | None, words: str) -> None:
    """Each malformed line raises an EventError naming its line and field."""
    with pytest.raises(EventError) as info:
        parse_line(text, 12)
    assert info.value.line == 12
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith("line 12: ")
