"""React to streams of patient events: verdict transitions as facts arrive, and the
10-calendar-day reception watchdog (the Dansk Palliativ Database standard).

Two watchers with one interface: :class:`PureWatcher` (pure Python, the reference and the
fallback) and :class:`DurableWatcher` (durable-rules does the per-patient correlation,
state transitions and deadlines; needs ``pip install 'visitation[reactive]'`` on
Python < 3.13). The three-valued verdicts always come from the core evaluator.

    >>> from visitation.reactive import PureWatcher
    >>> w = PureWatcher("dk-national@2.0.0")
    >>> out = w.feed({"patient": "p1", "time": "2026-03-01T09:00:00",
    ...               "set": {"prognosis": "weeks"}})
    >>> sorted({e.event for e in out})
    ['became_indeterminate']

docs/reactive.md describes the event format, the transitions, the watchdog and the limits.
"""

from visitation.reactive._durable import DurableWatcher
from visitation.reactive._emitted import Emitted, Explanation, Transition, Watchdog
from visitation.reactive._engine import INSTALL_HINT, MAX_KEYS, available
from visitation.reactive._errors import EventError, ReactiveEngineError
from visitation.reactive._events import Event, parse_event, parse_line
from visitation.reactive._pure import PureWatcher
from visitation.reactive._watcher import Watcher

__all__ = [
    "INSTALL_HINT",
    "MAX_KEYS",
    "DurableWatcher",
    "Emitted",
    "Event",
    "EventError",
    "Explanation",
    "PureWatcher",
    "ReactiveEngineError",
    "Transition",
    "Watchdog",
    "Watcher",
    "available",
    "parse_event",
    "parse_line",
]
