"""The wheel: the bundled rule files ship inside it, and a fresh virtual environment with
only the wheel installed evaluates a patient from its own copy of the rules."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
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


def test_fresh_venv_with_the_wheel_evaluates_a_patient(wheel: Path, tmp_path: Path) -> None:
    """A new virtual environment holding only the wheel (its dependencies, pydantic and
    pyyaml, reached through a path entry, so no network is needed) finds its own rules,
    evaluates a patient and runs the CLI."""
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", purelib,
         str(wheel)],
        check=True,
    )  # fmt: skip
    # the dependencies only: a plain path entry does not run the editable install's hooks
    (Path(purelib) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    code = (
        "import sys, visitation\n"
        "assert visitation.__file__.startswith(sys.prefix), visitation.__file__\n"
        "assert str(visitation.registry.bundled_rules_dir()).startswith(sys.prefix)\n"
        "a = visitation.evaluate({'age': 70}, 'dk-national@2.0.0', on='2026-11-23')\n"
        "print(a.family, a.version, sorted(a.verdicts))\n"
    )
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("dk-national 2.0.0")
    cli = subprocess.run(
        [str(python), "-m", "visitation", "rules"], capture_output=True, text=True, cwd=tmp_path
    )
    assert cli.returncode == 0, cli.stderr
    assert "dk-midtjylland" in cli.stdout
