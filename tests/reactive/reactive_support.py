"""Shared by the reactive tests: both watchers, for tests that must hold for each.

Imported by the test modules (a module of its own rather than a conftest.py, so that its
name is unique in the test tree).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from visitation.reactive import DurableWatcher, PureWatcher, Watcher, available

RULES = "dk-national@2.0.0"

if not available():  # the extra is in `dev`: CI must run the durable-rules tests
    raise RuntimeError("durable-rules is not installed: pip install -e '.[dev]' (Python < 3.13)")


@pytest.fixture(params=["pure", "durable"])
def make_watcher(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A factory of watchers of one kind; every watcher made is closed afterwards."""
    made: list[Watcher] = []

    def make(rules: str = RULES, **kwargs: Any) -> Watcher:
        cls = PureWatcher if request.param == "pure" else DurableWatcher
        w = cls(rules, **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
