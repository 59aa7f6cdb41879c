"""The wheel: the bundled rule files ship inside it, and a fresh virtual environment with
only the wheel installed evaluates a patient from its own copy of the rules."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import site
import subprocess
import sys
import tomllib
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


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of the modules ``path`` imports that are neither stdlib nor ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "visitation"}


def _distribution(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_runtime_import_is_declared() -> None:
    """Each third-party module the package imports comes from a declared distribution: the
    core modules' from `dependencies`, visitation.testing's and an extra's from their extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {_distribution(r) for r in project["dependencies"]}
    extras = {
        name: core | {_distribution(r) for r in reqs}
        for name, reqs in project["optional-dependencies"].items()
    }
    provided = importlib.metadata.packages_distributions()
    undeclared = []
    src = ROOT / "src" / "visitation"
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if path.name == "testing.py" and len(rel.parts) == 1:
            allowed = extras["testing"]
        elif len(rel.parts) > 1:  # an extra's subpackage: any extra's distributions
            allowed = set().union(*extras.values())
        else:
            allowed = core
        for module in sorted(_third_party_imports(path)):
            dists = {d.lower().replace("_", "-") for d in provided.get(module, [module])}
            if not dists & allowed:
                undeclared.append(f"{rel}: {module} ({', '.join(sorted(dists))})")
    assert not undeclared, undeclared
