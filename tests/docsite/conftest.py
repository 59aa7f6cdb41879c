"""The documentation site, built once per session, and one real headless browser.

``built`` runs ``docs/_build_site.py`` (docs/ copied to a temporary directory, the
notebooks executed there, ``mkdocs build --strict``) once. ``served`` serves a temporary
directory over HTTP on 127.0.0.1 (an ephemeral port, stopped at the end). ``browser`` is
Debian's chromium (``/usr/bin/chromium``, which scripts/test installs) driven by
playwright, headless, with a fresh profile, no network beyond the loopback server: any
request elsewhere is aborted and recorded, so a page that needs the network fails its
test. A missing chromium fails the tests (never a skip): the browser checks are part of
the suite.

Screenshots go to ``<pytest's basetemp>/screenshots/`` (one PNG per page checked, the
path printed by the test), kept after the run for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("VISITATION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUILD_TIMEOUT = 300
"""Seconds the notebook execution and the site build may take together."""
PAGE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Built:
    """What docs/_build_site.py made: the staged docs (executed notebooks) and the site."""

    docs: Path
    site: Path
    log: str


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The site, built with --strict from a copy of docs/ whose notebooks were executed."""
    out = tmp_path_factory.mktemp("site-build")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "_build_site.py"), "--out", str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=ROOT,
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"docs/_build_site.py failed (exit {proc.returncode}):\n{log}", pytrace=False)
    return Built(out / "docs", out / "site", log)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Served:
    """A directory served on 127.0.0.1; ``url(path)`` is a page's address."""

    root: Path
    base: str

    def url(self, relative: str) -> str:
        return self.base + relative


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, built: Built) -> Iterator[Served]:
    """The built site at / (its 404 page links from the root) and a directory for the
    renderings under /_renderings/."""
    root = tmp_path_factory.mktemp("served") / "root"
    shutil.copytree(built.site, root)
    (root / "_renderings").mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield Served(root, f"http://127.0.0.1:{server.server_port}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class PageReport:
    """What one page did in the browser: console errors, uncaught exceptions, failed and
    off-machine requests, and where its screenshot is."""

    url: str
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    status: int | None = None

    @property
    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"uncaught exception: {m}" for m in self.page_errors),
            *(f"request failed: {m}" for m in self.failed_requests),
            *(f"request off this machine: {m}" for m in self.external_requests),
            *([f"HTTP status {self.status}"] if self.status != 200 else []),
        ]


class Browser:
    """One chromium for the session; ``visit`` loads a page and reports on it."""

    def __init__(self, context: Any, shots: Path) -> None:
        self.context = context
        self.shots = shots

    def visit(self, url: str, name: str, *, full_page: bool = False) -> tuple[PageReport, Any]:
        """Load ``url`` until the network is idle (requests off 127.0.0.1 aborted and
        recorded), screenshot it as ``name``.png; the report and the open page (the caller
        closes it)."""
        report = PageReport(url, self.shots / f"{name}.png")
        page = self.context.new_page()

        def route(r: Any) -> None:
            if r.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
                r.continue_()
            else:
                report.external_requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: report.console_errors.append(m.text)
                if m.type == "error" else None)  # fmt: skip
        page.on("pageerror", lambda e: report.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: report.failed_requests.append(
            f"{r.url} ({r.failure})") if not r.url.startswith("data:") else None)  # fmt: skip
        response = page.goto(url, wait_until="networkidle", timeout=PAGE_TIMEOUT_MS)
        report.status = None if response is None else response.status
        page.screenshot(path=str(report.screenshot), full_page=full_page)
        print(f"screenshot of {url}: {report.screenshot}")
        return report, page


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's chromium, headless, with a fresh profile."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: apt-get install -y "
            "chromium (scripts/test installs it; VISITATION_CHROMIUM names another binary)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need playwright: pip install -e '.[dev]'", pytrace=False)
    shots = tmp_path_factory.getbasetemp() / "screenshots"
    shots.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="visitation-chromium-") as profile, \
            sync_playwright() as pw:  # fmt: skip
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield Browser(context, shots)
        finally:
            context.close()
