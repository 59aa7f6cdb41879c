"""The input events of a watcher: one patient's facts set or cleared at a time.

A line of JSON Lines, or a mapping in Python::

    {"patient": "p1", "time": "2026-03-01T09:00:00",
     "set": {"prognosis": "weeks"}, "clear": ["needs_hospital_admission"]}

``set`` and ``clear`` are optional; ``"end": true`` ends the patient's episode after the
event (the watcher forgets the patient). A line with only ``time`` is a clock line: it
moves the stream's time (the watermark) forward, so deadlines fire in a quiet stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from visitation import FACTS
from visitation.reactive._errors import EventError

__all__ = ["Event", "EventError", "parse_event", "parse_line"]

_KEYS = ("patient", "time", "set", "clear", "end")


@dataclass(frozen=True, slots=True)
class Event:
    """One input event; ``patient`` is ``None`` for a clock line."""

    time: datetime
    patient: str | None = None
    set: Mapping[str, Any] = field(default_factory=dict)
    clear: tuple[str, ...] = ()
    end: bool = False
    line: int | None = None


def _did_you_mean(name: str, options: Any) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fact_name(name: object, where: str, line: int | None) -> str:
    if not isinstance(name, str) or name not in FACTS:
        hint = _did_you_mean(name, FACTS) if isinstance(name, str) else ""
        raise EventError(f"unknown fact {name!r}{hint}", line=line, field=where)
    return name


def _time(value: object, line: int | None) -> datetime:
    if not isinstance(value, str):
        raise EventError(
            f"must be an ISO 8601 date-time string such as '2026-03-01T09:00:00', not {value!r}",
            line=line,
            field="time",
        )
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise EventError(
            f"invalid date-time {value!r}: write it as YYYY-MM-DDTHH:MM:SS", line=line, field="time"
        ) from None


def parse_event(data: Mapping[str, Any], *, line: int | None = None) -> Event:
    """An :class:`Event` from its JSON form; :class:`EventError` names the field at fault.

    Fact values are checked later, against the patient's accumulated facts.
    """
    if not isinstance(data, Mapping):
        raise EventError("an event must be a JSON object", line=line)
    for key in data:
        if key not in _KEYS:
            raise EventError(
                f"unknown key {key!r}{_did_you_mean(str(key), _KEYS)}; "
                f"an event has {', '.join(_KEYS)}",
                line=line,
                field=str(key),
            )
    if "time" not in data:
        raise EventError("required key is missing", line=line, field="time")
    time = _time(data["time"], line)
    patient = data.get("patient")
    if patient is not None and (not isinstance(patient, str) or not patient):
        raise EventError(f"must be a non-empty string, not {patient!r}", line=line, field="patient")
    raw_set = data.get("set", {})
    if not isinstance(raw_set, Mapping):
        raise EventError("must be an object of fact: value", line=line, field="set")
    values = {_fact_name(k, f"set.{k}", line): v for k, v in raw_set.items()}
    raw_clear = data.get("clear", [])
    if not isinstance(raw_clear, list):
        raise EventError("must be a list of fact names", line=line, field="clear")
    clear = tuple(_fact_name(k, f"clear[{i}]", line) for i, k in enumerate(raw_clear))
    both = sorted(set(values) & set(clear))
    if both:
        raise EventError(f"{both[0]!r} is both set and cleared", line=line, field="clear")
    end = data.get("end", False)
    if not isinstance(end, bool):
        raise EventError(f"must be true or false, not {end!r}", line=line, field="end")
    if patient is None and (values or clear or end):
        raise EventError(
            "set, clear and end need a patient (a line with only time is a clock line)",
            line=line,
            field="patient",
        )
    return Event(time, patient, values, clear, end, line)


def parse_line(text: str, line: int | None = None) -> Event:
    """An :class:`Event` from one line of JSON Lines."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(f"not JSON: {exc.msg} (column {exc.colno})", line=line) from None
    if not isinstance(data, dict):
        raise EventError("an event must be a JSON object", line=line)
    return parse_event(data, line=line)
