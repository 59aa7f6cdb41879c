"""Build the documentation site: execute the notebooks, then ``mkdocs build --strict``.

    python docs/_build_site.py [--out DIR]

The notebooks under docs/notebooks/ are kept without outputs in git. This script copies
docs/ to DIR/docs, executes each notebook there (nbclient, one kernel, the repository
root as working directory; a cell that raises stops the build with the cell and its
traceback) and builds the site from that copy into DIR/site with mkdocs.yml and
``--strict`` (a broken link or anchor, a docstring mkdocstrings cannot read or a
notebook it cannot convert is an error). DIR defaults to a new temporary directory; the
site is never built inside the repository. Prints DIR/site. See docs/site.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CELL_TIMEOUT = 120
"""Seconds one notebook cell may run."""


def stage(out: Path) -> Path:
    """Copy docs/ to ``out/docs`` (fresh) and return it."""
    staged = out / "docs"
    if staged.exists():
        shutil.rmtree(staged)
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(DOCS, staged, ignore=skip)
    return staged


def execute_notebook(path: Path) -> float:
    """Execute the notebook at ``path`` in place (outputs written into it); the seconds taken."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="visitation-kernel-") as ipc:
        # IPC sockets in a private directory: the kernel opens no TCP port
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(ipc) / "k"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=CELL_TIMEOUT,
            allow_errors=False,
            resources={"metadata": {"path": str(ROOT)}},
        )
        client.execute(cwd=str(ROOT))
    nbformat.write(nb, path)
    return time.perf_counter() - start


def build(out: Path) -> Path:
    """Stage docs/, execute the notebooks, build the site into ``out/site``; return it."""
    staged = stage(out)
    for notebook in sorted((staged / "notebooks").glob("*.ipynb")):
        seconds = execute_notebook(notebook)
        print(f"executed {notebook.relative_to(staged)} in {seconds:.1f} s", file=sys.stderr)
    site = out / "site"
    env = dict(os.environ, VISITATION_DOCS_DIR=str(staged), NO_MKDOCS_2_WARNING="1")
    env["VISITATION_EXECUTE_NOTEBOOKS"] = "false"  # executed above
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        check=True, env=env, cwd=ROOT,
    )  # fmt: skip
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="where to put docs/ and site/ (a new temp dir)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="visitation-site-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        site = build(out.resolve())
    except subprocess.CalledProcessError as exc:
        print(f"mkdocs build --strict failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    except Exception as exc:  # a notebook cell that raised: nbclient names the cell
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
