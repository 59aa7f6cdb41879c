"""Shared test configuration: the hypothesis profiles of the property tests.

``dev`` is loaded by default: hypothesis' usual 100 examples per test that does not set its
own count, and no deadline (the first evaluation of a rule set compiles it, and a busy CI
machine must not fail a law on timing). ``thorough`` runs ten times as many examples, for a
nightly run or before a release::

    pytest --hypothesis-profile=thorough tests/test_laws.py

``HYPOTHESIS_PROFILE=thorough`` in the environment does the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("thorough", parent=settings.get_profile("dev"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


SERVER_GROUPS = {
    "spark": "spark",
    "postgres_server": "postgres",
    "cds_server": "cds-service",
    "two_workers": "cds-workers",
}
"""Fixtures that start a heavy server once per test process: their tests run in one
xdist worker (``--dist loadgroup``), so the suite starts each server once."""


ONE_PROCESS = {"reactive": "reactive"}
"""Test folders that run together in one worker, in file order, as they did in one process:
durable-rules keeps native engine state per process, and a ruleset deleted while another
test's engine of the same process is interleaved has crashed it (a segfault in
``delete_ruleset``)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        group = next((g for f, g in SERVER_GROUPS.items() if f in names), None)
        if group is None:
            folder = item.path.parent.name
            group = ONE_PROCESS.get(folder)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _cycles_left(run: Callable[[], object]) -> int:
    """What the collector finds unreachable after one ``run()`` (after a first, warming
    one: what a first call prepares for the process is not garbage)."""
    import gc

    run()
    gc.collect()
    gc.disable()
    try:
        run()
        return gc.collect()
    finally:
        gc.enable()


@pytest.fixture(scope="session")
def cycles_left() -> Callable[[Callable[[], object]], int]:
    """``cycles_left(run)``: the objects a second ``run()`` leaves for the collector (0 when
    everything it made is freed by reference counting)."""
    return _cycles_left
