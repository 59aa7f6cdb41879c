"""The durable-rules watcher: durable-rules does the stream work.

Per patient (durable-rules' ``sid``) the engine holds, as facts, each pathway's current
verdict, whether the reception is open (and since which receipt date), and which
warnings have fired. Each input event posts, for every pathway, the verdict the core
computed (``evaluate_core`` on the accumulated facts; durable-rules has no *unknown*, so
the three-valued logic stays in the core); durable-rules' rules decide, by joining the
posted verdict with the held one, whether it is a first verdict, a change or nothing.
Deadlines are date events (``tick``) posted when the watermark reaches them; the rules
decide whether the warning fires (the reception is still open for that receipt date and
the warning has not fired).

The rules (one ruleset per shard, see :mod:`visitation.reactive._engine`)::

    v_first    computed(P, V), no verdict(P)              -> emit; assert verdict(P, V)
    v_changed  verdict(P, W), computed(P, V), V != W      -> emit; replace by verdict(P, V)
    v_same     verdict(P, W), computed(P, V), V == W      -> nothing
    r_open     rec(R, open), no open                      -> assert open(R)
    r_reopen   open(R0), rec(R, open)                     -> replace by open(R)
    r_close    open(R0), rec(R, closed)                   -> retract open(R0)
    r_none     rec(R, closed), no open                    -> nothing
    w_overdue  open(R), tick(overdue, R), no fired(overdue, R)           -> emit; assert fired
    w_due      open(R), tick(due_soon, R), no fired(due_soon | overdue, R) -> emit; assert fired
    w_fired    tick(K, R), fired(K, R)                    -> nothing
    w_after    tick(due_soon, R), fired(overdue, R)       -> nothing
    w_closed   tick(K, R), no open(R)                     -> nothing
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from visitation import CompiledRuleSet, evaluate_core, facts_of
from visitation.reactive._emitted import WatchdogKind
from visitation.reactive._engine import MAX_KEYS, Action, Engine, _require
from visitation.reactive._watcher import DUE_SOON, OVERDUE, VERDICT_NAMES, Change, Live, Watcher

__all__ = ["DurableWatcher"]


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"$and": list(parts)}


def _same(field: str, alias: str) -> dict[str, Any]:
    """This message's ``field`` equals the ``field`` of the message named ``alias``."""
    return {field: {alias: field}}


class DurableWatcher(Watcher):
    """The watcher on durable-rules 2.0.28 (see :class:`Watcher` for the arguments).

    ``keys_per_shard`` (at most 1,024, durable-rules' limit) is how many live patients one
    ruleset holds; more patients open more rulesets on the watcher's private host.
    ``check_pending`` asks durable-rules after every post whether an event was left
    unhandled (a lost update) and raises if so; it costs a state read per post.
    """

    def __init__(
        self,
        *args: Any,
        keys_per_shard: int = MAX_KEYS,
        check_pending: bool = True,
        **kwargs: Any,
    ) -> None:
        _require()
        self.keys_per_shard = keys_per_shard
        self.check_pending = check_pending
        self._engine: Engine | None = None
        self._out: list[tuple[Any, ...]] = []
        super().__init__(*args, **kwargs)

    @property
    def engine(self) -> Engine:
        """The durable-rules engine (known once the rule set is)."""
        if self._engine is None:
            raise RuntimeError("the rule set is chosen on the first event's date")
        return self._engine

    def _b_start(self, compiled: CompiledRuleSet) -> None:
        prefix = f"visitation-{compiled.content_hash.removeprefix('sha256:')[:16]}"
        self._engine = Engine(
            prefix,
            self._definition,
            keys_per_shard=self.keys_per_shard,
            check_pending=self.check_pending,
        )

    def verdicts(self, patient: str) -> dict[str, str]:
        self._get(patient)
        held = {
            int(f["pathway"]): f["verdict"]
            for f in self.engine.facts(patient)
            if f.get("t") == "verdict"
        }
        return {pid: held[j] for j, (pid, _) in enumerate(self.compiled.pathways) if j in held}

    def close(self) -> None:
        """Delete the patients' state and the rulesets in durable-rules; the watcher is
        unusable afterwards (``with DurableWatcher(...) as w:`` closes it)."""
        if self._engine is not None:
            self._engine.close()
        super().close()

    # -- the rules --------------------------------------------------------------------------
    def _definition(self, guard: Callable[[Action], Action]) -> dict[str, Any]:
        out = self._out

        def first(c: Any) -> None:
            e = c.e
            out.append(("v", e.pathway, None, e.verdict))
            c.assert_fact({"t": "verdict", "pathway": e.pathway, "verdict": e.verdict})

        def changed(c: Any) -> None:
            e, f = c.e, c.f
            out.append(("v", e.pathway, f.verdict, e.verdict))
            c.retract_fact(f._d)
            c.assert_fact({"t": "verdict", "pathway": e.pathway, "verdict": e.verdict})

        def open_(c: Any) -> None:
            c.assert_fact({"t": "open", "received": c.e.received})

        def reopen(c: Any) -> None:
            c.retract_fact(c.o._d)
            c.assert_fact({"t": "open", "received": c.e.received})

        def close(c: Any) -> None:
            c.retract_fact(c.o._d)

        def fire(c: Any) -> None:
            e = c.e
            out.append(("w", e.kind, e.received))
            c.assert_fact({"t": "fired", "kind": e.kind, "received": e.received})

        def nothing(c: Any) -> None:
            pass

        tick = {"t": "tick"}
        rec_open = {"e": _and({"t": "rec"}, {"open": 1})}
        rec_closed = {"e": _and({"t": "rec"}, {"open": 0})}
        no_open = {"n$not": {"t": "open"}}
        is_open = {"o": {"t": "open"}}

        def fired(kind: str | None, name: str) -> dict[str, Any]:
            what = _same("kind", "e") if kind is None else {"kind": kind}
            return {name: _and({"t": "fired"}, what, _same("received", "e"))}

        def tick_for(kind: str) -> dict[str, Any]:
            return {"e": _and(tick, {"kind": kind}, _same("received", "o"))}

        rules: dict[str, tuple[list[dict[str, Any]], Action]] = {
            "v_first": (
                [
                    {"e": {"t": "computed"}},
                    {"n$not": _and({"t": "verdict"}, _same("pathway", "e"))},
                ],
                first,
            ),
            "v_changed": (
                [
                    {"f": {"t": "verdict"}},
                    {
                        "e": _and(
                            {"t": "computed"},
                            _same("pathway", "f"),
                            {"$neq": {"verdict": {"f": "verdict"}}},
                        )
                    },
                ],
                changed,
            ),
            "v_same": (
                [
                    {"f": {"t": "verdict"}},
                    {"e": _and({"t": "computed"}, _same("pathway", "f"), _same("verdict", "f"))},
                ],
                nothing,
            ),
            "r_open": ([rec_open, no_open], open_),
            "r_reopen": ([is_open, rec_open], reopen),
            "r_close": ([is_open, rec_closed], close),
            "r_none": ([rec_closed, no_open], nothing),
            "w_overdue": (
                [is_open, tick_for(OVERDUE), {"x$not": fired(OVERDUE, "x")["x"]}],
                fire,
            ),
            "w_due": (
                [
                    is_open,
                    tick_for(DUE_SOON),
                    {"x$not": fired(DUE_SOON, "x")["x"]},
                    {"y$not": fired(OVERDUE, "y")["y"]},
                ],
                fire,
            ),
            "w_fired": ([{"e": tick}, fired(None, "f")], nothing),
            "w_after": ([{"e": _and(tick, {"kind": DUE_SOON})}, fired(OVERDUE, "f")], nothing),
            "w_closed": (
                [{"e": tick}, {"n$not": _and({"t": "open"}, _same("received", "e"))}],
                nothing,
            ),
        }
        return {name: {"all": cond, "run": guard(action)} for name, (cond, action) in rules.items()}

    # -- backend hooks ------------------------------------------------------------------------
    def _post(self, live: Live, messages: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        self._out.clear()
        self.engine.post(live.id, messages)
        got = list(self._out)
        self._out.clear()
        return got

    def _b_first(self, live: Live) -> list[Change]:
        live.state = True
        return self._b_update(live, [], True)

    def _b_update(self, live: Live, changed: list[str], dated: bool) -> list[Change]:
        core = evaluate_core(self.compiled, facts_of(live.patient), live.on)
        messages = [
            {"t": "computed", "pathway": j, "verdict": VERDICT_NAMES[v]}
            for j, v in enumerate(core.verdicts)
        ]
        return [(int(p), prev, new) for _, p, prev, new in self._post(live, messages)]

    def _b_reception(self, live: Live, received: date | None, open_: bool) -> None:
        day = received.toordinal() if received is not None else 0
        self._post(live, [{"t": "rec", "received": day, "open": 1 if open_ else 0}])

    def _b_tick(self, live: Live, kind: WatchdogKind, received: date) -> bool:
        got = self._post(live, [{"t": "tick", "kind": kind, "received": received.toordinal()}])
        return bool(got)

    def _b_end(self, live: Live) -> None:
        self.engine.delete(live.id)
