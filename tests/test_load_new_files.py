"""A command that fails leaves no database file it created: a failed ``load`` or ``demo`` into a new DuckDB path
removes the file (and its ``.wal``); an existing file is kept; read-only commands never create one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from generator.targets.duckdb_db import wal_path

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "csv" / "bad"


def _bad_export(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "tickets.csv").write_text("Ticket ID,Title\n1,x\n")  # no ticket number column
    return folder


def test_failed_load_into_a_new_path_leaves_no_file(cli, tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    result = cli("load", "--source", "autotask-csv", "--path", str(_bad_export(tmp_path)), "--db", str(db), "-q")
    assert result.code == 2 and "no column for ticket_number" in result.err and "Traceback" not in result.err
    assert not db.exists() and not wal_path(db).exists()


def test_strict_load_into_a_new_path_leaves_no_file(cli, tmp_path: Path) -> None:
    db = tmp_path / "strict.duckdb"
    result = cli("load", "--source", "smileback-csv", "--path", str(BAD), "--db", str(db), "-q", "--strict",
                 "--rejects", str(tmp_path / "r.csv"))
    assert result.code == 2 and "nothing written" in result.err
    assert not db.exists() and not wal_path(db).exists()


def test_failed_load_keeps_an_existing_file(cli, tmp_path: Path) -> None:
    db = tmp_path / "mine.duckdb"
    duckdb.connect(str(db)).close()
    result = cli("load", "--source", "autotask-csv", "--path", str(_bad_export(tmp_path)), "--db", str(db), "-q")
    assert result.code == 2 and db.is_file()


def test_failed_demo_into_a_new_path_leaves_no_file(cli, spec_copy: Path, tmp_path: Path) -> None:
    security = spec_copy / "model" / "security.yaml"
    text = security.read_text()
    line = next(x for x in text.splitlines() if x.strip().startswith("- {name: company_id"))
    security.write_text(text.replace(line, line + '\n      - {name: note, type: string, max_length: 20, '
                                                  'hidden: true, description: "A column the demo does not fill."}'))
    db = tmp_path / "demo.duckdb"
    result = cli("demo", "--db", str(db), "--specs", str(spec_copy))
    assert result.code == 2 and "rows for BI_Security_ClientUsers do not match its spec" in result.err
    assert not db.exists() and not wal_path(db).exists()


@pytest.mark.parametrize("command", [["query", "EVALUATE {1}"], ["validate"], ["report"]])
def test_read_only_commands_create_no_file(cli, tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "missing.duckdb"
    result = cli(*command, "--db", str(db), cwd=tmp_path)
    assert result.code == 2 and f"--db {db}: no such DuckDB file" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not db.exists() and not wal_path(db).exists()


def test_demo_into_a_new_path_keeps_its_file(demo_db: str) -> None:
    assert Path(demo_db).is_file()  # the success path: the file the demo created stays


