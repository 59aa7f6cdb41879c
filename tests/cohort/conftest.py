"""Real engines for the cohort tests: a throwaway PostgreSQL server and a local Spark.

PostgreSQL: ``initdb`` + ``pg_ctl`` in a temporary directory, listening only on a Unix
socket in that directory (no TCP port), stopped and removed at the end of the session.
``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` OS user
(via ``runuser``), which the Debian package creates. Spark: ``local[2]`` bound to
127.0.0.1, no UI. A missing binary (PostgreSQL, Java) fails the tests when ``CI`` is set
and skips them with the reason otherwise, never silently.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin",)
"""Where the PostgreSQL server binaries are looked for (then VISITATION_PG_BIN, PATH)."""

PG_TIMEOUT = 60
"""Seconds to wait for the server to start or stop."""


def missing(what: str) -> NoReturn:
    """A required engine is absent: fail under CI, skip loudly elsewhere."""
    message = f"cohort engine tests need {what}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: a missing engine is a failure)", pytrace=False)
    pytest.skip(message + " (not installed on this machine)")


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, if any."""
    candidates = [os.environ.get("VISITATION_PG_BIN", ""), *PG_BIN_DIRS]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


class PostgresServer:
    """One PostgreSQL server in a temporary directory, on a Unix socket only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="vis-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 5432  # only names the socket file inside self.root
        self.user = "postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb will not run as root: use the postgres OS user
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                missing("an OS user 'postgres' to run PostgreSQL as (running as root)")
            runuser = shutil.which("runuser")
            if runuser is None:
                missing("runuser (to run PostgreSQL as the postgres user)")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = [runuser, "-u", "postgres", "--"]
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        cmd = [*self._as, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        b = self.bin_dir
        self._run(str(b / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user,
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = f"-h '' -k {self.root} -p {self.port} -F -c max_connections=10"
        self._run(str(b / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", str(PG_TIMEOUT), "start")  # fmt: skip

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-w", "-t", str(PG_TIMEOUT), "stop")  # fmt: skip
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(host=str(self.root), port=self.port, user=self.user,
                               dbname="postgres", autocommit=True)  # fmt: skip


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running throwaway PostgreSQL 15 server (stopped after the session)."""
    bin_dir = pg_bin()
    if bin_dir is None:
        missing("PostgreSQL server binaries (initdb, pg_ctl; /usr/lib/postgresql/15/bin)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg (pip install 'visitation[cohort-postgres]')")
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[Any]:
    """A psycopg connection to the throwaway server (autocommit)."""
    conn = postgres_server.connect()
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session on 127.0.0.1 (two worker threads, no UI)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("Java (17) for Spark")
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        missing("pyspark (pip install 'visitation[cohort-spark]')")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("visitation-tests")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
