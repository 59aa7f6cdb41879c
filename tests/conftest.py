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

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("thorough", parent=settings.get_profile("dev"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


SERVER_GROUPS = {"spark": "spark", "postgres_server": "postgres", "cds_server": "cds-service"}
"""Fixtures that start a heavy server once per test process: their tests run in one
xdist worker (``--dist loadgroup``), so the suite starts each server once."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, group in SERVER_GROUPS.items():
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))
                break
