"""The wheel: the bundled rule files ship inside it and an installed copy evaluates a patient."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True,
    )  # fmt: skip
    [whl] = out.glob("visitation-*.whl")
    return whl


def test_wheel_holds_rules_and_py_typed(wheel: Path) -> None:
    """Every rule file under rules/ is in the wheel as visitation/rules/..., with py.typed."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "visitation/py.typed" in names
    for f in (ROOT / "rules").glob("*/*.yaml"):
        assert f"visitation/rules/{f.parent.name}/{f.name}" in names


def test_installed_wheel_evaluates_a_patient(wheel: Path, tmp_path: Path) -> None:
    """A copy installed from the wheel alone (not the source tree) finds its rules and evaluates."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import visitation\n"
        "assert visitation.__file__.startswith(sys.argv[1]), visitation.__file__\n"
        "assert str(visitation.registry.bundled_rules_dir()).startswith(sys.argv[1])\n"
        "a = visitation.evaluate({'age': 70}, 'dk-national@2.0.0', on='2026-11-23')\n"
        "print(a.family, a.version, sorted(a.verdicts))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("dk-national 2.0.0")
