"""The errors of the reactive watchers."""

from __future__ import annotations

__all__ = ["EventError", "ReactiveEngineError"]


class EventError(ValueError):
    """An event the watcher refuses, with the input line and the field at fault."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.line = line
        self.field = field
        where = f"line {line}: " if line is not None else ""
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{message}")


class ReactiveEngineError(RuntimeError):
    """The stream engine failed: an exception in a durable-rules action (which the engine
    stores instead of raising), an event no rule handled, or a second writer thread."""
