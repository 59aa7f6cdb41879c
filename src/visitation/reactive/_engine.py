"""durable-rules behind a guard: its measured limits handled, not hidden.

- **Registration**: a ruleset name can be registered once and never removed. Each watcher
  has its own :class:`_Host` and names its rulesets ``visitation-<content hash>-<n>`` with
  a per-process counter ``n``, so two watchers never share a name.
- **No background threads**: ``durable.engine.Host`` starts two timer threads that dispatch
  actions and wall-clock timers every 0.2 s. The watcher uses event time, not timers, and
  runs every action inside its own ``post``, so the private host starts none: the caller's
  thread is the one writer.
- **1,024 live keys per ruleset** (the 1,025th ``sid`` raises ``MemoryError``): patients are
  spread over shards, rulesets of at most ``keys_per_shard`` live patients each, and a
  patient's state is deleted when its episode ends, which frees its slot.
- **Exceptions in actions are stored, not raised**: every action runs inside a guard that
  keeps the exception; ``post`` raises :class:`ReactiveEngineError` with it. An event no rule
  handles (``MessageNotHandledException``) is raised the same way.
- **Batches lose work**: with ``post_batch``, when one event's action retracts or asserts a
  fact, the other events' matches are dropped and those events stay pending for good
  (measured; ``tests/reactive/test_durable_engine.py``). Events are posted one at a time,
  and after each post the engine checks that none is left pending (``check_pending``).
- **An observed event id is refused** (``MessageObservedException``): every event gets
  a fresh ``id`` from a per-engine counter.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any

from visitation.reactive._errors import ReactiveEngineError

try:
    import durable_rules_engine as _native
    from durable import engine as _durable
except ImportError:  # pragma: no cover - exercised where the extra is absent
    _durable = _native = None

__all__ = ["INSTALL_HINT", "MAX_KEYS", "Engine", "available"]

INSTALL_HINT = (
    "the durable-rules watcher needs durable-rules (Python < 3.13): "
    "pip install 'visitation[reactive]'; the pure-Python watcher (PureWatcher) needs nothing"
)

MAX_KEYS = 1024
"""Live ``sid`` s a durable-rules 2.0.28 ruleset holds (``MAX_STATE_INDEX_LENGTH``)."""

_NAMES = itertools.count(1)
"""Per-process counter in ruleset names: a name is never registered twice."""

Action = Callable[[Any], None]


def available() -> bool:
    """Whether durable-rules imports here."""
    return _durable is not None


def _require() -> Any:
    if _durable is None:
        raise ImportError(INSTALL_HINT)
    return _durable


class Engine:
    """Rulesets of one definition, sharded by key, on a private host."""

    def __init__(
        self,
        prefix: str,
        definition: Callable[[Callable[[Action], Action]], dict[str, Any]],
        *,
        keys_per_shard: int = MAX_KEYS,
        check_pending: bool = True,
    ) -> None:
        durable = _require()
        if not 1 <= keys_per_shard <= MAX_KEYS:
            raise ValueError(f"keys_per_shard must be 1 to {MAX_KEYS}, not {keys_per_shard}")

        class _Host(durable.Host):  # type: ignore[misc, name-defined]
            def _run(self) -> None:  # no dispatch or timer threads: see the module docstring
                pass

        self._host = _Host()
        self._prefix = prefix
        self._definition = definition
        self.keys_per_shard = keys_per_shard
        self.check_pending = check_pending
        """After each post, ask durable-rules whether every event was consumed."""
        self._shards: list[tuple[str, set[str]]] = []
        self._shard_of: dict[str, str] = {}
        self._failures: list[str] = []
        self._ids = itertools.count(1)
        self._not_handled = durable.MessageNotHandledException

    @property
    def shards(self) -> list[str]:
        """The ruleset names, in the order they were made."""
        return [name for name, _ in self._shards]

    def live_keys(self) -> dict[str, int]:
        """Ruleset name → live keys in it."""
        return {name: len(keys) for name, keys in self._shards}

    def _guard(self, action: Action) -> Action:
        def run(c: Any) -> None:
            try:
                action(c)
            except Exception as exc:
                tb = "".join(traceback.format_exception(exc))
                self._failures.append(f"{type(exc).__name__}: {exc}\n{tb}")

        return run

    def _ruleset(self, key: str) -> str:
        name = self._shard_of.get(key)
        if name is not None:
            return name
        free = [shard for shard in self._shards if len(shard[1]) < self.keys_per_shard]
        if free:
            name, keys = free[0]
        else:
            name, keys = f"{self._prefix}-{next(_NAMES)}", set()
            self._host.register_rulesets({name: self._definition(self._guard)})
            self._shards.append((name, keys))
        keys.add(key)
        self._shard_of[key] = name
        return name

    def post(self, key: str, messages: list[dict[str, Any]]) -> None:
        """Post events for one key, one at a time; raises what an action raised, and (with
        ``check_pending``) an event that no action consumed."""
        name = self._ruleset(key)
        try:
            for m in messages:
                m["sid"] = key
                m["id"] = next(self._ids)  # durable-rules refuses an id it has observed
                self._host.post(name, m)
        except self._not_handled as exc:
            raise ReactiveEngineError(f"durable-rules: no rule handled {exc.message}") from None
        except MemoryError:
            raise ReactiveEngineError(
                f"durable-rules ran out of state slots in {name} "
                f"({len(self._shards)} shards of {self.keys_per_shard} keys)"
            ) from None
        if self._failures:
            failure, self._failures = self._failures[0], []
            raise ReactiveEngineError(f"an action raised in durable-rules ({name}): {failure}")
        if self.check_pending:
            pending = self._host.get_pending_events(name, key)
            if pending:
                raise ReactiveEngineError(
                    f"durable-rules left {len(pending)} events for {key!r} unhandled: {pending}"
                )

    def facts(self, key: str) -> list[dict[str, Any]]:
        """The facts durable-rules holds for a key."""
        facts: list[dict[str, Any]] = self._host.get_facts(self._shard_of[key], key)
        return facts

    def close(self) -> None:
        """Delete every key's state and every ruleset (the memory is reused afterwards)."""
        shards, self._shards, self._shard_of = self._shards, [], {}
        for name, keys in shards:
            for key in keys:
                self._host.delete_state(name, key)
            _native.delete_ruleset(self._host.get_ruleset(name)._handle)
        self._host._ruleset_directory.clear()
        self._host._ruleset_list.clear()

    def delete(self, key: str) -> None:
        """Delete a key's state and free its slot."""
        name = self._shard_of.pop(key, None)
        if name is None:
            return
        self._host.delete_state(name, key)
        for shard, keys in self._shards:
            if shard == name:
                keys.discard(key)
