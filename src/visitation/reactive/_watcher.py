"""The part every watcher shares: checking events, the watermark and the deadline queue.

A watcher keeps, per live patient, the accumulated facts (always a valid
:class:`visitation.Patient`) and the date of the patient's latest event, which is the
evaluation date of its verdicts. What differs between backends is who decides that a
verdict changed and that a deadline fires: :class:`visitation.reactive.PureWatcher`
decides in Python, :class:`visitation.reactive.DurableWatcher` lets durable-rules do it.
This base class feeds both the same calls in the same order, so their outputs can be
compared event for event.

Time: the *watermark* is the latest event date seen in the stream. A reception deadline
fires when the watermark reaches its day, never on a wall-clock timer, so a replay of last
year's events gives the same output.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from threading import get_ident
from typing import Any, Final, Self

from pydantic import ValidationError

from visitation import (
    CONSISTENCY,
    CompiledRuleSet,
    Patient,
    RuleSet,
    check_on,
    resolve,
    revise,
    revise_in_place,
)
from visitation.reactive._emitted import (
    EVENT_OF_VERDICT,
    Emitted,
    Explainer,
    Transition,
    Watchdog,
    WatchdogKind,
)
from visitation.reactive._errors import EventError, ReactiveEngineError
from visitation.reactive._events import Event, parse_event

__all__ = ["DUE_SOON", "OVERDUE", "Change", "Live", "Watcher"]

RuleSpec = str | Path | RuleSet | CompiledRuleSet

DUE_SOON: WatchdogKind = "reception_due_soon"
OVERDUE: WatchdogKind = "reception_overdue"
_RANK = {DUE_SOON: 0, OVERDUE: 1}

VERDICT_NAMES: dict[bool | None, str] = {
    True: "eligible",
    False: "not_eligible",
    None: "indeterminate",
}

_RECEPTION = frozenset(
    {"referral_received_on", "first_contact_on", "died_or_too_ill_before_contact"}
)
"""The facts the reception watchdog reads."""

Change = tuple[int, str | None, str]
"""(pathway index, previous verdict or ``None`` at the first evaluation, new verdict)."""


@dataclass(slots=True, eq=False)
class Live:
    """One patient with an open episode."""

    id: str
    patient: Patient
    """The accumulated facts, validated (``None``: not recorded)."""
    facts: dict[str, Any]
    """``patient.__dict__``, kept beside it: every event reads it, and a pydantic model's
    attributes are slow to reach."""
    on: date
    key: datetime
    episode: int
    received: date | None = None
    open: bool = False
    pending: set[tuple[str, int]] = field(default_factory=set)
    state: Any = None
    """The backend's own state for the patient."""
    shared: bool = False
    """Whether ``patient`` was handed out (to a transition's explanation, or by
    :meth:`Watcher.facts`): then the next revision copies it instead of changing it."""


def _is_family(spec: RuleSpec) -> bool:
    return isinstance(spec, str) and "@" not in spec and not spec.endswith((".yaml", ".yml"))


def _errors_text(exc: ValidationError, ev: Event) -> tuple[str, str | None]:
    """The message and the field of a Patient validation error, in the event's terms."""
    parts: list[str] = []
    fld: str | None = None
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        name = loc[0] if loc else ""
        where = (f"set.{'.'.join(loc)}" if name in ev.set else ".".join(loc)) if loc else ""
        fld = fld or where or None
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None or not loc else f" (got {got!r})"
        parts.append(f"{where + ': ' if where and where != fld else ''}{msg}{shown}")
    return "; ".join(parts), fld


_DATED: Final = frozenset(
    {*(r.first for r in CONSISTENCY if r.kind == "not-after-on"), "birth_date"}
)
"""The facts :func:`visitation.check_on` checks against the date."""
_BIRTH: Final = frozenset({"birth_date"})
_EMPTY: Final = Patient()
"""No fact recorded: a first event revises it."""


def _invalid(exc: ValidationError, ev: Event) -> EventError:
    """The refusal of an event whose facts the Patient model refuses."""
    message, fld = _errors_text(exc, ev)
    if fld is None:
        message = f"the patient's facts would contradict each other: {message}"
    return EventError(message, line=ev.line, field=fld)


def _refuse_dates(problems: list[Any], ev: Event) -> None:
    """Refuse an event whose facts contradict its date (a screening dated after it, ...):
    the core refuses them too."""
    if problems:
        raise EventError(
            f"the patient's facts contradict the event's date: {problems[0].message}",
            line=ev.line,
            field=None,
        )


class Watcher(ABC):
    """Feed events, get transitions and watchdog warnings; see the package docstring.

    ``rules``: a bundled family (resolved on the first event's date, or on ``on``), a
    ``family@version``, a rule file path, a RuleSet or a compiled rule set.
    ``due_soon_day``: the day after receipt (day 0) on which to warn that no first contact
    is recorded yet (``None``: no such warning). ``standard_days``: the reception standard;
    ``reception_overdue`` fires on day ``standard_days + 1``.
    """

    incremental: bool = True
    """Validate only the facts an event changes (:func:`visitation.revise`); the naive
    baseline of the benchmark validates the whole record on every event."""

    def __init__(
        self,
        rules: RuleSpec = "dk-national",
        *,
        on: date | None = None,
        due_soon_day: int | None = 8,
        standard_days: int = 10,
        lang: str | None = None,
    ) -> None:
        if standard_days < 0:
            raise ValueError(f"standard_days must be 0 or more, not {standard_days}")
        if due_soon_day is not None and not 0 <= due_soon_day <= standard_days:
            raise ValueError(
                f"due_soon_day must be between 0 and standard_days ({standard_days}), "
                f"not {due_soon_day}"
            )
        self.due_soon_day = due_soon_day
        self.standard_days = standard_days
        self._spec = rules
        self._lang_wanted = lang
        self._compiled: CompiledRuleSet | None = None
        self._lang = "en"
        if on is not None or not _is_family(rules):
            self._use(resolve(rules, on or date(2000, 1, 1)))
        self._live: dict[str, Live] = {}
        self._queue: list[tuple[int, int, int, str, int, int, WatchdogKind]] = []
        self._seq = itertools.count()
        self._episodes = itertools.count(1)
        self._watermark: date | None = None
        self._watermark_ordinal = 0
        self._aware: bool | None = None
        self._writer: int | None = None
        self._closed = False

    # -- public ---------------------------------------------------------------------------
    @property
    def compiled(self) -> CompiledRuleSet:
        """The rule set the watcher judges by (known once rules are resolved)."""
        if self._compiled is None:
            raise RuntimeError("the rule set is chosen on the first event's date")
        return self._compiled

    @property
    def watermark(self) -> date | None:
        """The latest event date seen: the stream's time."""
        return self._watermark

    @property
    def live_patients(self) -> int:
        """Patients with an open episode."""
        return len(self._live)

    def patients(self) -> list[str]:
        """The ids of the patients with an open episode."""
        return list(self._live)

    def facts(self, patient: str) -> Patient:
        """The accumulated facts of a live patient."""
        live = self._get(patient)
        live.shared = True
        return live.patient

    def evaluated_on(self, patient: str) -> date:
        """The date of the patient's latest event: the evaluation date of its verdicts."""
        return self._get(patient).on

    @abstractmethod
    def verdicts(self, patient: str) -> dict[str, str]:
        """Pathway id → the patient's current verdict, as the backend holds it."""

    def close(self) -> None:
        """Release what the backend holds; feeding a closed watcher raises."""
        self._closed = True
        self._live.clear()
        self._queue.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, event: Event | Mapping[str, Any]) -> list[Emitted]:
        """Apply one event; what it caused, in order. Raises :class:`EventError` (the
        watcher's state unchanged) for an event it refuses."""
        if self._closed:
            raise RuntimeError("the watcher is closed")
        if self._writer != get_ident():
            self._one_writer()
        ev = event if isinstance(event, Event) else parse_event(event)
        when = ev.time
        aware = when.tzinfo is not None
        key = when if not aware and self._aware is not True else self._time_key(ev)
        day = when.date()
        if ev.patient is None:
            self._aware = aware
            return self._advance(day, ev)
        live = self._live.get(ev.patient)
        if live is None:
            if (ev.clear or ev.end) and not ev.set:
                # a first event may clear facts it never had (the line form does)
                raise EventError(
                    f"patient {ev.patient!r} has no open episode (first event, or ended): "
                    f"nothing to {'clear' if ev.clear else 'end'}",
                    line=ev.line,
                    field="clear" if ev.clear else "end",
                )
        elif key < live.key:
            raise EventError(
                f"time goes backwards for patient {ev.patient!r}: {ev.time.isoformat()} is "
                f"before its previous event at {live.key.isoformat()}",
                line=ev.line,
                field="time",
            )
        patient, changed = self._merge(live, ev, day)
        if self._compiled is None:
            self._use(resolve(self._spec, day))
        # the event is accepted: from here on nothing raises for its content
        self._aware = aware
        mark = self._watermark
        if mark is None or day > mark:
            self._watermark = day
            self._watermark_ordinal = day.toordinal()
        queue = self._queue
        out = self._advance(day, ev) if queue and queue[0][0] <= self._watermark_ordinal else []
        if live is None:
            live = Live(ev.patient, patient, patient.__dict__, day, key, next(self._episodes))
            self._live[ev.patient] = live
            changes = self._b_first(live)
            reception = True
        else:
            dated = day != live.on
            if patient is not live.patient:
                live.patient, live.facts, live.shared = patient, patient.__dict__, False
            live.on, live.key = day, key
            changes = self._b_update(live, changed, dated) if changed or dated else []
            reception = not _RECEPTION.isdisjoint(changed)
        if changes:
            out += self._transitions(live, ev, changes)
        if reception:
            self._reception(live)
        if queue and queue[0][0] <= self._watermark_ordinal:
            out += self._advance(day, ev)
        if ev.end:
            self._b_end(live)
            del self._live[live.id]
        return out

    def run(self, events: Iterable[Event | Mapping[str, Any]]) -> Iterator[Emitted]:
        """Feed every event; what they cause, in order. A refused event raises."""
        for event in events:
            yield from self.feed(event)

    # -- backend hooks ----------------------------------------------------------------------
    def _b_start(self, compiled: CompiledRuleSet) -> None:  # noqa: B027 - optional hook
        """The rule set is known."""

    @abstractmethod
    def _b_first(self, live: Live) -> list[Change]:
        """A new patient: every pathway's first verdict."""

    @abstractmethod
    def _b_update(self, live: Live, changed: list[str], dated: bool) -> list[Change]:
        """New facts (``changed`` names those whose value changed) or a new date."""

    @abstractmethod
    def _b_reception(self, live: Live, received: date | None, open_: bool) -> None:
        """The reception inputs changed: receipt date, and whether no first contact (nor
        death or becoming too ill) is recorded yet."""

    @abstractmethod
    def _b_tick(self, live: Live, kind: WatchdogKind, received: date) -> bool:
        """A deadline is due: whether the warning fires."""

    @abstractmethod
    def _b_end(self, live: Live) -> None:
        """The patient's episode ends: forget it."""

    # -- internals ------------------------------------------------------------------------
    def _use(self, compiled: CompiledRuleSet) -> None:
        langs = compiled.ruleset.languages
        want = self._lang_wanted
        if want is not None and want not in langs:
            raise ValueError(f"{compiled.ruleset.key} has no language {want!r}; it has {langs}")
        self._lang = want or ("en" if "en" in langs else langs[0])
        self._compiled = compiled
        self._b_start(compiled)

    def _get(self, patient: str) -> Live:
        try:
            return self._live[patient]
        except KeyError:
            raise KeyError(f"patient {patient!r} has no open episode") from None

    def _one_writer(self) -> None:
        me = threading.get_ident()
        if self._writer is None:
            self._writer = me
        elif self._writer != me:
            raise ReactiveEngineError(
                "a watcher has one writer: feed it from one thread (durable-rules loses "
                "updates to a patient posted from several threads)"
            )

    def _time_key(self, ev: Event) -> datetime:
        aware = ev.time.tzinfo is not None
        if self._aware is not None and aware != self._aware:
            had = "a UTC offset" if self._aware else "no UTC offset"
            raise EventError(
                f"{ev.time.isoformat()}: earlier times in this stream had {had}; "
                "give every time the same way",
                line=ev.line,
                field="time",
            )
        return ev.time.astimezone(UTC).replace(tzinfo=None) if aware else ev.time

    def _merge(self, live: Live | None, ev: Event, day: date) -> tuple[Patient, list[str]]:
        """The patient with the event's facts, validated, and the names of the facts whose
        value the event changed.

        Incrementally: only the facts the event changes are validated
        (:func:`visitation.revise_in_place`), and only what can have changed is checked against
        the event's date: the facts it sets, and on a later date the age's upper bound
        (the other dates were not after the patient's previous event date, so they are
        not after a later one, and an age only grows)."""
        if not self.incremental:
            return self._validate_record(live, ev)
        if live is None:  # the facts set, validated as a revision of an empty record
            try:
                patient = revise(_EMPTY, ev.set)
            except ValidationError as exc:
                raise _invalid(exc, ev) from None
            _refuse_dates(check_on(patient, day), ev)
            return patient, []
        old = live.facts
        clear = (
            [n for n in ev.clear if old.get(n) is not None and n not in ev.set] if ev.clear else ()
        )
        # revised in place while nobody else holds the facts; a copy once they were handed out
        patient = live.patient.model_copy() if live.shared else live.patient
        try:
            previous = revise_in_place(patient, ev.set, clear)
        except ValidationError as exc:
            raise _invalid(exc, ev) from None
        changed = list(previous)
        on = live.on
        if day == on:
            if not changed:
                return patient, changed  # nothing changed, on a date already checked
            problems = (
                [] if _DATED.isdisjoint(ev.set) else check_on(patient, day, only=ev.set.keys())
            )
        elif day < on or not _DATED.isdisjoint(ev.set):
            # an earlier local date at a later time (another UTC offset), or new dates
            problems = check_on(patient, day)
        elif patient.__dict__["birth_date"] is not None:
            problems = check_on(patient, day, only=_BIRTH)
        else:
            problems = []
        if problems:
            revise_in_place(patient, previous)  # the watcher's state unchanged
            _refuse_dates(problems, ev)
        return patient, changed

    def _validate_record(self, live: Live | None, ev: Event) -> tuple[Patient, list[str]]:
        """:meth:`_merge` by validating the whole record (the naive baseline of the
        benchmark)."""
        old = {} if live is None else live.patient.__dict__
        base = {k: v for k, v in old.items() if v is not None}
        for name in ev.clear:
            base.pop(name, None)
        base.update(ev.set)
        try:
            patient = Patient.model_validate(base)
        except ValidationError as exc:
            raise _invalid(exc, ev) from None
        _refuse_dates(check_on(patient, ev.time.date()), ev)
        if live is None:
            return patient, []
        facts = patient.__dict__
        changed = [k for k in ev.set if old[k] != facts[k]]
        changed += [k for k in ev.clear if old.get(k) is not None and k not in ev.set]
        return patient, changed

    def _transitions(self, live: Live, ev: Event, changes: list[Change]) -> list[Emitted]:
        if not changes:
            return []
        compiled = self.compiled
        live.shared = True  # the explanation reads these facts later
        explainer = Explainer(live.patient, compiled, live.on, self._lang)
        return [
            Transition(
                patient=live.id,
                time=ev.time,
                event=EVENT_OF_VERDICT[verdict],
                pathway=compiled.pathways[j][0],
                verdict=verdict,
                previous=previous,
                line=ev.line,
                index=j,
                explainer=explainer,
            )
            for j, previous, verdict in (sorted(changes) if len(changes) > 1 else changes)
        ]

    def _reception(self, live: Live) -> None:
        """Tell the backend when the reception inputs change; queue the deadlines."""
        r = live.facts
        received: date | None = r["referral_received_on"]
        open_ = (
            received is not None
            and r["first_contact_on"] is None
            and r["died_or_too_ill_before_contact"] is not True
        )
        if (received, open_) == (live.received, live.open):
            return  # unchanged (a patient starts with neither)
        live.received, live.open = received, open_
        self._b_reception(live, received, open_)
        if received is None or not open_:
            return
        days = [(OVERDUE, self.standard_days + 1)]
        if self.due_soon_day is not None:
            days.insert(0, (DUE_SOON, self.due_soon_day))
        for kind, n in days:
            tag = (kind, received.toordinal())
            if tag not in live.pending:
                live.pending.add(tag)
                due = (received + timedelta(days=n)).toordinal()
                entry = (due, _RANK[kind], next(self._seq), live.id, live.episode, tag[1], kind)
                heapq.heappush(self._queue, entry)

    def _advance(self, day: date, ev: Event) -> list[Emitted]:
        """Move the watermark to ``day`` and fire the deadlines it reaches, in order."""
        mark = self._watermark
        if mark is None or day > mark:
            self._watermark = day
            self._watermark_ordinal = day.toordinal()
        limit = self._watermark_ordinal
        queue = self._queue
        if not queue or queue[0][0] > limit:
            return []
        due = []
        while queue and queue[0][0] <= limit:
            due.append(heapq.heappop(queue))
        overdue_now = {(e[3], e[4], e[5]) for e in due if e[6] == OVERDUE}
        out: list[Emitted] = []
        for _due, _rank, _seq, pid, episode, received_ord, kind in due:
            live = self._live.get(pid)
            if live is None or live.episode != episode:
                continue  # the episode ended
            live.pending.discard((kind, received_ord))
            if kind == DUE_SOON and (pid, episode, received_ord) in overdue_now:
                continue  # overdue at once: one warning, not two
            received = date.fromordinal(received_ord)
            if self._b_tick(live, kind, received):
                out.append(
                    Watchdog(
                        patient=pid,
                        time=ev.time,
                        event=kind,
                        received=received,
                        day=(self.standard_days + 1)
                        if kind == OVERDUE
                        else (self.due_soon_day or 0),
                        deadline=received + timedelta(days=self.standard_days),
                        line=ev.line,
                    )
                )
        return out
