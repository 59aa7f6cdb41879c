"""What a watcher emits: verdict transitions and reception-watchdog warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from visitation import Assessment

__all__ = ["Emitted", "Explanation", "Transition", "Watchdog"]

TransitionKind = Literal["became_eligible", "became_indeterminate", "became_not_eligible"]
WatchdogKind = Literal["reception_due_soon", "reception_overdue"]

EVENT_OF_VERDICT: dict[str, TransitionKind] = {
    "eligible": "became_eligible",
    "indeterminate": "became_indeterminate",
    "not_eligible": "became_not_eligible",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """One rule behind a verdict: its id, status and explanation text."""

    rule: str
    status: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "status": self.status, "text": self.text}


@dataclass(frozen=True, slots=True)
class Transition:
    """A pathway's verdict changed (or was first computed) for a patient.

    ``explanation`` holds the rules that decide the verdict: every required rule when
    eligible, the blocking rules when not eligible, the unknown rules when indeterminate.
    ``assessment`` is the full Assessment of the patient at this event.
    """

    patient: str
    time: datetime
    event: TransitionKind
    pathway: str
    verdict: str
    previous: str | None
    missing: tuple[str, ...]
    blocking: tuple[str, ...]
    explanation: tuple[Explanation, ...]
    line: int | None
    assessment: Assessment = field(compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "time": self.time.isoformat(),
            "event": self.event,
            "pathway": self.pathway,
            "verdict": self.verdict,
            "previous": self.previous,
            "missing": list(self.missing),
            "blocking": list(self.blocking),
            "explanation": [e.to_json() for e in self.explanation],
            "rules": self.assessment.key,
            "evaluated_on": self.assessment.evaluated_on.isoformat(),
            "line": self.line,
        }

    def to_text(self) -> str:
        head = f"{self.time.isoformat()}  {self.patient}  {self.event}  {self.pathway}"
        if self.missing:
            head += f"  missing: {', '.join(self.missing)}"
        if self.blocking:
            head += f"  blocking: {', '.join(self.blocking)}"
        lines = [head] + [f"    {e.rule} ({e.status}): {e.text}" for e in self.explanation]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Watchdog:
    """The stream's time reached a reception deadline without a first contact.

    ``day`` counts calendar days from receipt (receipt day = day 0); ``deadline`` is the
    last day the standard allows; ``time`` is the stream time that reached the deadline.
    """

    patient: str
    time: datetime
    event: WatchdogKind
    received: date
    day: int
    deadline: date
    line: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "time": self.time.isoformat(),
            "event": self.event,
            "received": self.received.isoformat(),
            "day": self.day,
            "deadline": self.deadline.isoformat(),
            "line": self.line,
        }

    def to_text(self) -> str:
        return (
            f"{self.time.isoformat()}  {self.patient}  {self.event}  day {self.day} since "
            f"receipt on {self.received.isoformat()} (first contact due by "
            f"{self.deadline.isoformat()})"
        )


Emitted = Transition | Watchdog
