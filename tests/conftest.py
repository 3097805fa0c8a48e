"""Shared fixtures: the repository's specs, a CLI runner, and throw-away PostgreSQL / MariaDB databases.

The PostgreSQL and MariaDB tests use the servers on 127.0.0.1 (see docs/testing.md). Locally they are skipped
when a server or its ODBC driver is missing; with CI=true they fail instead, so CI never passes without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyodbc
import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Uid=postgres"
MARIADB_SERVER = "Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Uid=root;Pwd="


@dataclass
class Result:
    """What a CLI run returned."""

    code: int
    out: str
    err: str


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
    """Run ``gen-measures`` in a child process, as a user would."""
    full_env = {key: value for key, value in os.environ.items() if key not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "generator.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=600)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(autouse=True, scope="session")
def _state_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A load that rejects rows and is given no --rejects writes the list under $XDG_STATE_HOME: in the tests that
    is a temporary folder (inherited by every child process), never the tester's home."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))


@pytest.fixture
def cli():
    """The CLI runner."""
    return run_cli


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's model/, measures/, sql/ and report/ specs."""
    for folder in ("model", "measures", "sql", "report"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, tmp_path / "specs" / folder)
    return tmp_path / "specs"


def _unavailable(server: str, why: str) -> None:
    message = f"{server} is not available ({why}); see docs/testing.md"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI=true, so this is a failure, not a skip")
    pytest.skip(message)


def _fresh_database(server_string: str, create: str, drop: str, name_prefix: str, label: str) -> Iterator[str]:
    name = f"{name_prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = pyodbc.connect(server_string, autocommit=True, timeout=5)
    except pyodbc.Error as exc:
        _unavailable(label, str(exc.args[-1])[:200])
    admin.cursor().execute(create.format(name=name))
    try:
        yield name
    finally:
        admin.cursor().execute(drop.format(name=name))
        admin.close()


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """``odbc:`` connection string of a new, empty PostgreSQL database (dropped afterwards)."""
    for name in _fresh_database(PG_SERVER + ";Database=postgres", 'CREATE DATABASE "{name}"',
                                'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "msp_csat_test", "PostgreSQL"):
        yield f"odbc:{PG_SERVER};Database={name}"


@pytest.fixture
def mariadb_db() -> Iterator[str]:
    """``odbc:`` connection string of a new, empty MariaDB database (dropped afterwards)."""
    for name in _fresh_database(MARIADB_SERVER, "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
                                "DROP DATABASE IF EXISTS `{name}`", "msp_csat_test", "MariaDB"):
        yield f"odbc:{MARIADB_SERVER};Database={name}"


@pytest.fixture(params=["duckdb", "postgres", "mariadb"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each target in turn: a new DuckDB file, a new PostgreSQL database, a new MariaDB database."""
    if request.param == "duckdb":
        return str(tmp_path / "target.duckdb")
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB file holding the demo dataset (scale 1), built once per test session; treat it as read-only."""
    db = tmp_path_factory.mktemp("demo_db") / "demo.duckdb"
    result = run_cli("demo", "--db", str(db))
    assert result.code == 0, result.err
    return str(db)


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory: pytest.TempPathFactory):
    """Autotask and SmileBack CSV exports of the demo dataset (scale 1) and the demo's BI_ frames, written once per
    test session: (autotask folder, smileback folder, frames by table); treat them as read-only."""
    from demo_csv import write_autotask_exports, write_smileback_exports

    from generator.demo.build import build_demo

    folder = tmp_path_factory.mktemp("demo_exports")
    tables = build_demo()
    write_autotask_exports(tables, folder / "autotask")
    write_smileback_exports(tables, folder / "smileback")
    return folder / "autotask", folder / "smileback", tables
