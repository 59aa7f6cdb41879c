"""The 10-calendar-day reception watchdog, for both watchers: deadlines on event time."""

from __future__ import annotations

from typing import Any

import pytest
import reactive_support

from visitation.reactive import Watchdog

make_watcher = reactive_support.make_watcher


def referral(patient: str, received: str, **facts: Any) -> dict[str, Any]:
    return {
        "patient": patient,
        "time": f"{received}T09:00:00",
        "set": {"referral_received_on": received, **facts},
    }


def clock(day: str) -> dict[str, Any]:
    return {"time": f"{day}T00:00:00"}


def warnings(out: list[Any]) -> list[tuple[str, str, str]]:
    return [(w.patient, w.event, w.time.date().isoformat()) for w in out if isinstance(w, Watchdog)]


# received, day 7 (quiet), day 8 (due soon), day 10 (last allowed, quiet), day 11 (overdue)
CALENDAR = [
    ("2028-02-20", "2028-02-27", "2028-02-28", "2028-03-01", "2028-03-02"),  # leap year
    ("2028-02-22", "2028-02-29", "2028-03-01", "2028-03-03", "2028-03-04"),  # over 29 February
    ("2027-02-22", "2027-03-01", "2027-03-02", "2027-03-04", "2027-03-05"),  # no 29 February
    ("2028-02-29", "2028-03-07", "2028-03-08", "2028-03-10", "2028-03-11"),  # received on it
    ("2026-01-31", "2026-02-07", "2026-02-08", "2026-02-10", "2026-02-11"),  # a month's end
    ("2026-04-30", "2026-05-07", "2026-05-08", "2026-05-10", "2026-05-11"),  # 30-day month
    ("2026-12-25", "2027-01-01", "2027-01-02", "2027-01-04", "2027-01-05"),  # the year's end
]


@pytest.mark.parametrize(("received", "day7", "day8", "day10", "day11"), CALENDAR)
def test_deadlines_fall_on_calendar_days(
    make_watcher: Any, received: str, day7: str, day8: str, day10: str, day11: str
) -> None:
    """due_soon on day 8 and overdue on day 11 after receipt, across month ends and leap days."""
    w = make_watcher()
    assert warnings(w.feed(referral("p1", received))) == []
    assert warnings(w.feed({"time": f"{day7}T23:59:59"})) == []
    assert warnings(w.feed(clock(day8))) == [("p1", "reception_due_soon", day8)]
    assert warnings(w.feed({"time": f"{day10}T23:59:59"})) == []
    out = w.feed(clock(day11))
    assert warnings(out) == [("p1", "reception_overdue", day11)]
    (overdue,) = out
    assert overdue.to_json() == {
        "patient": "p1",
        "time": f"{day11}T00:00:00",
        "event": "reception_overdue",
        "received": received,
        "day": 11,
        "deadline": day10,
        "line": None,
    }
    assert warnings(w.feed(clock("2029-01-01"))) == []  # each warning once


def test_a_first_contact_before_day_8_clears_the_watchdog(make_watcher: Any) -> None:
    """A first contact recorded in time means no warning at all."""
    w = make_watcher()
    w.feed(referral("p1", "2026-03-01"))
    w.feed(
        {"patient": "p1", "time": "2026-03-05T10:00:00", "set": {"first_contact_on": "2026-03-05"}}
    )
    assert warnings(w.feed(clock("2026-04-01"))) == []


def test_a_first_contact_after_the_warning_stops_the_overdue(make_watcher: Any) -> None:
    """A contact between day 8 and day 10 leaves the due-soon warning the only one."""
    w = make_watcher()
    w.feed(referral("p1", "2026-03-01"))
    assert warnings(w.feed(clock("2026-03-09"))) == [("p1", "reception_due_soon", "2026-03-09")]
    w.feed(
        {"patient": "p1", "time": "2026-03-11T16:00:00", "set": {"first_contact_on": "2026-03-11"}}
    )
    assert warnings(w.feed(clock("2026-03-12"))) == []


def test_a_contact_on_day_11_comes_after_the_overdue(make_watcher: Any) -> None:
    """The stream passed day 11 before the late contact was recorded: overdue fires first."""
    w = make_watcher(due_soon_day=None)
    w.feed(referral("p1", "2026-03-01"))
    out = w.feed(
        {"patient": "p1", "time": "2026-03-12T09:00:00", "set": {"first_contact_on": "2026-03-12"}}
    )
    assert warnings(out) == [("p1", "reception_overdue", "2026-03-12")]


@pytest.mark.parametrize(("died", "warned"), [(True, False), (False, True)])
def test_died_or_too_ill_clears_the_watchdog(make_watcher: Any, died: bool, warned: bool) -> None:
    """'Died or too ill before contact' ends the watch; recorded as false it does not."""
    w = make_watcher(due_soon_day=None)
    w.feed(referral("p1", "2026-03-01"))
    w.feed(
        {
            "patient": "p1",
            "time": "2026-03-04T10:00:00",
            "set": {"died_or_too_ill_before_contact": died},
        }
    )
    got = warnings(w.feed(clock("2026-03-12")))
    assert got == ([("p1", "reception_overdue", "2026-03-12")] if warned else [])


@pytest.mark.parametrize(("due_soon_day", "first"), [(5, "2026-03-06"), (10, "2026-03-11")])
def test_the_due_soon_day_is_configurable(make_watcher: Any, due_soon_day: int, first: str) -> None:
    """due_soon_day moves the early warning; the overdue stays on day 11."""
    w = make_watcher(due_soon_day=due_soon_day)
    w.feed(referral("p1", "2026-03-01"))
    out = w.feed(clock(first))
    assert [(x.event, x.day) for x in out] == [("reception_due_soon", due_soon_day)]
    assert warnings(w.feed(clock("2026-03-12"))) == [("p1", "reception_overdue", "2026-03-12")]


def test_without_a_due_soon_day_only_the_overdue_fires(make_watcher: Any) -> None:
    """due_soon_day=None: no early warning."""
    w = make_watcher(due_soon_day=None)
    w.feed(referral("p1", "2026-03-01"))
    assert warnings(w.feed(clock("2026-03-11"))) == []
    assert warnings(w.feed(clock("2026-03-12"))) == [("p1", "reception_overdue", "2026-03-12")]


def test_a_referral_recorded_late_warns_once(make_watcher: Any) -> None:
    """A receipt date already 20 days old gives one overdue warning, at once, not two."""
    w = make_watcher()
    w.feed(clock("2026-03-21"))
    out = w.feed(
        {
            "patient": "p1",
            "time": "2026-03-21T10:00:00",
            "set": {"referral_received_on": "2026-03-01"},
        }
    )
    assert warnings(out) == [("p1", "reception_overdue", "2026-03-21")]


def test_another_patients_event_moves_the_stream_time(make_watcher: Any) -> None:
    """Deadlines fire on the stream's time, whichever patient's event carries it."""
    w = make_watcher()
    w.feed(referral("p1", "2026-03-01"))
    out = w.feed({"patient": "p2", "time": "2026-03-09T08:00:00", "set": {"age": 70}})
    assert out[0] == next(x for x in out if isinstance(x, Watchdog))  # before p2's transitions
    assert warnings(out) == [("p1", "reception_due_soon", "2026-03-09")]
    assert {x.patient for x in out if not isinstance(x, Watchdog)} == {"p2"}


def test_a_replay_of_old_events_warns_as_it_did_then(make_watcher: Any) -> None:
    """No wall clock: events from 2019 give their warnings on 2019 dates."""
    w = make_watcher()
    out = list(w.run([referral("p1", "2019-06-28"), clock("2019-07-06"), clock("2019-07-09")]))
    assert warnings(out) == [
        ("p1", "reception_due_soon", "2019-07-06"),
        ("p1", "reception_overdue", "2019-07-09"),
    ]


def test_reopening_does_not_repeat_a_warning(make_watcher: Any) -> None:
    """Clearing a mistaken first contact reopens the watch, without repeating warnings."""
    w = make_watcher()
    w.feed(referral("p1", "2026-03-01"))
    assert warnings(w.feed(clock("2026-03-09"))) == [("p1", "reception_due_soon", "2026-03-09")]
    contact = {"first_contact_on": "2026-03-09"}
    w.feed({"patient": "p1", "time": "2026-03-09T10:00:00", "set": contact})
    out = w.feed({"patient": "p1", "time": "2026-03-10T10:00:00", "clear": ["first_contact_on"]})
    assert warnings(out) == []
    assert warnings(w.feed(clock("2026-03-12"))) == [("p1", "reception_overdue", "2026-03-12")]


def test_a_contact_cleared_after_the_deadline_warns_then(make_watcher: Any) -> None:
    """A watch reopened after day 11 passed warns at once that the reception is overdue."""
    w = make_watcher(due_soon_day=None)
    w.feed(referral("p1", "2026-03-01", first_contact_on="2026-03-02"))
    assert warnings(w.feed(clock("2026-03-20"))) == []
    out = w.feed({"patient": "p1", "time": "2026-03-20T10:00:00", "clear": ["first_contact_on"]})
    assert warnings(out) == [("p1", "reception_overdue", "2026-03-20")]


def test_a_new_receipt_date_starts_a_new_watch(make_watcher: Any) -> None:
    """A corrected receipt date moves the deadlines."""
    w = make_watcher(due_soon_day=None)
    w.feed(referral("p1", "2026-03-01"))
    w.feed(
        {
            "patient": "p1",
            "time": "2026-03-03T10:00:00",
            "set": {"referral_received_on": "2026-03-03"},
        }
    )
    assert warnings(w.feed(clock("2026-03-12"))) == []
    assert warnings(w.feed(clock("2026-03-14"))) == [("p1", "reception_overdue", "2026-03-14")]


def test_an_ended_episode_has_no_deadlines(make_watcher: Any) -> None:
    """A patient whose episode ended is not warned about."""
    w = make_watcher()
    w.feed(referral("p1", "2026-03-01"))
    w.feed({"patient": "p1", "time": "2026-03-02T10:00:00", "end": True})
    assert warnings(w.feed(clock("2026-03-20"))) == []


def test_bad_watchdog_settings_are_refused(make_watcher: Any) -> None:
    """A due-soon day after the standard's last day is a ValueError."""
    with pytest.raises(ValueError, match="due_soon_day"):
        make_watcher(due_soon_day=11)
    with pytest.raises(ValueError, match="standard_days"):
        make_watcher(standard_days=-1)
