"""What a watcher emits: verdict transitions and reception-watchdog warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from visitation import Assessment, CompiledRuleSet, Patient, evaluate
from visitation.reactive._errors import ReactiveEngineError

__all__ = ["Emitted", "Explainer", "Explanation", "Transition", "Watchdog"]

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


class Explainer:
    """The Assessment behind one event's transitions, built on first use and then kept.

    Building it (every rule's explanation, evidence and source) costs more than finding
    the transition; a consumer that only reads ``event`` and ``pathway`` never pays it.
    """

    __slots__ = ("_assessment", "compiled", "lang", "on", "patient")

    def __init__(self, patient: Patient, compiled: CompiledRuleSet, on: date, lang: str) -> None:
        self.patient = patient
        self.compiled = compiled
        self.on = on
        self.lang = lang
        self._assessment: Assessment | None = None

    def assessment(self) -> Assessment:
        if self._assessment is None:
            self._assessment = evaluate(self.patient, self.compiled, on=self.on, lang=self.lang)
        return self._assessment


@dataclass(frozen=True, slots=True, eq=False)
class Transition:
    """A pathway's verdict changed (or was first computed) for a patient.

    ``explanation`` holds the rules that decide the verdict: every required rule when
    eligible, the blocking rules when not eligible, the unknown rules when indeterminate.
    ``assessment`` is the full Assessment of the patient at this event. These, and
    ``missing`` and ``blocking``, come from the Assessment, built when first read.
    """

    patient: str
    time: datetime
    event: TransitionKind
    pathway: str
    verdict: str
    previous: str | None
    line: int | None
    index: int = field(repr=False)
    """The pathway's position in the rule set."""
    explainer: Explainer = field(repr=False)

    @property
    def assessment(self) -> Assessment:
        """The patient's full Assessment at this event."""
        a = self.explainer.assessment()
        found = a.pathways[self.index].verdict
        if found != self.verdict:
            raise ReactiveEngineError(
                f"the watcher's verdict {self.verdict!r} for {self.patient}/{self.pathway} is "
                f"not the evaluator's {found!r} (a bug: please report it)"
            )
        return a

    @property
    def missing(self) -> tuple[str, ...]:
        """For an indeterminate verdict, the facts to record, in the order to settle them."""
        return tuple(self.assessment.pathways[self.index].missing)

    @property
    def blocking(self) -> tuple[str, ...]:
        """For a verdict of not eligible, the rules not met."""
        return tuple(self.assessment.pathways[self.index].blocking)

    @property
    def explanation(self) -> tuple[Explanation, ...]:
        """The rules that decide the verdict, with their status and explanation."""
        a = self.assessment
        result = a.pathways[self.index]
        by_id = {r.id: r for r in a.rules}
        if self.verdict == "eligible":
            chosen = list(result.rules)
        elif self.verdict == "not_eligible":
            chosen = list(result.blocking)
        else:
            chosen = [r for r in result.rules if by_id[r].status == "unknown"]
        lang = self.explainer.lang
        return tuple(Explanation(r, by_id[r].status, by_id[r].explanation[lang]) for r in chosen)

    def _key(self) -> tuple[object, ...]:
        return (
            self.patient, self.time, self.event, self.pathway, self.verdict, self.previous,
            self.line, self.missing, self.blocking, self.explanation,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transition):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def to_json(self) -> dict[str, Any]:
        a = self.assessment
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
            "rules": a.key,
            "evaluated_on": a.evaluated_on.isoformat(),
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
