"""The getting-started property-test example passes on a fresh run with hypothesis' own
default settings (health checks and deadline on, no example database, no warm caches)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).parents[1] / "docs" / "getting-started.md"


def test_the_property_test_example_passes_with_default_settings(tmp_path: Path) -> None:
    """A user's first test file, copied from the docs, passes as written: the shipped
    strategies are fast enough for hypothesis' default health checks from the first
    example on (no Unicode table to build, no regular expression to compile)."""
    section = DOC.read_text(encoding="utf-8").split("## Property tests of your own code")[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    (tmp_path / "test_my_rules.py").write_text(code.group(1), encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("HYPOTHESIS_PROFILE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_rules.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"\b3 passed\b", proc.stdout), proc.stdout[-2000:]
