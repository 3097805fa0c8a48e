"""Two loads into one database at once: the second waits for the first (one load at a time per database) and
never dies on a raw duplicate key (23505); one that cannot get the target within MSP_CSAT_LOCK_TIMEOUT seconds
ends with one sentence, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli
from load_faults import command as fault_command

AUTOTASK = ROOT / "tests" / "fixtures" / "csv" / "autotask"
BUSY = ("error: another load into this database is running; try again when it ends (waited 1 s; "
        "MSP_CSAT_LOCK_TIMEOUT sets how long)")


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS")}
    env.update(extra)
    return env


def _start(db: str, folder: Path, pause: str | None = None) -> subprocess.Popen:
    """A load of the Autotask fixtures running in the background; ``pause`` names a phase where it waits, holding
    the target inside its transaction, until killed (tests/load_faults.py)."""
    args = ["load", "--source", "autotask-csv", "--path", str(AUTOTASK), "--db", db, "--quiet", "--rejects",
            str(folder / "rejected.csv")]
    argv = fault_command(f"pause:{pause}", *args) if pause else [sys.executable, "-m", "generator.cli", *args]
    return subprocess.Popen(argv, cwd=folder, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _load(db: str, folder: Path, **extra: str):
    return run_cli("load", "--source", "autotask-csv", "--path", str(AUTOTASK), "--db", db, "--quiet",
                   env=extra, cwd=folder)


def test_two_concurrent_loads_both_succeed(any_db: str, tmp_path: Path) -> None:
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    first, second = (_start(any_db, folder) for folder in folders)
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "23505" not in err and "Traceback" not in err and "committed in" in out


def test_a_load_that_cannot_get_the_target_in_time_says_so(any_db: str, tmp_path: Path) -> None:
    holder = _start(any_db, tmp_path, pause="staged")  # holds the target, inside its load
    try:
        assert holder.stderr.readline().strip() == "paused at staged"
        busy = _load(any_db, tmp_path, MSP_CSAT_LOCK_TIMEOUT="1")
        assert busy.code == 2 and "Traceback" not in busy.err and len(busy.err.strip().splitlines()) == 1
        if any_db.startswith("odbc:"):
            assert busy.err.strip() == BUSY
        else:
            assert busy.err.startswith(f"error: cannot open DuckDB file {any_db}: process ")
            assert busy.err.strip().endswith("has it open (a load, demo, query or report); try again when it "
                                             "ends (waited 1 s; MSP_CSAT_LOCK_TIMEOUT sets how long)")
    finally:
        holder.kill()
        holder.communicate(timeout=60)
    after = _load(any_db, tmp_path)  # a killed load's lock goes with its connection
    assert after.code == 0, after.err


def test_a_bad_lock_timeout_is_one_sentence(tmp_path: Path) -> None:
    result = _load(str(tmp_path / "t.duckdb"), tmp_path, MSP_CSAT_LOCK_TIMEOUT="soon")
    assert result.code == 2
    assert result.err.strip() == "error: MSP_CSAT_LOCK_TIMEOUT must be a number of seconds, 0 or more (it is 'soon')"



def test_a_demo_waits_for_a_running_load_on_a_server(postgres_db: str, tmp_path: Path) -> None:
    """``demo`` writes BI_ rows as a load does, so it takes the same lock: while a load holds a PostgreSQL target,
    a demo into it ends with the sentence instead of racing the load's schema and rows."""
    holder = _start(postgres_db, tmp_path, pause="staged")
    try:
        assert holder.stderr.readline().strip() == "paused at staged"
        busy = run_cli("demo", "--db", postgres_db, env={"MSP_CSAT_LOCK_TIMEOUT": "1"}, cwd=tmp_path)
        assert busy.code == 2, busy.err
        assert busy.err.strip().splitlines()[-1] == BUSY
    finally:
        holder.kill()
        holder.communicate(timeout=60)
