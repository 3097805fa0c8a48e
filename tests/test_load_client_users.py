"""`gen-measures load --source client-users-csv`: the Client role's user mapping, a complete snapshot.

The target first gets the Autotask CSV fixtures (companies 174 Autotask Corporation, 175 "Example Ltd, Inc.",
176 Missing NZ); the mapping files are written by the tests.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
AUTOTASK = ROOT / "tests" / "fixtures" / "csv" / "autotask"


def _load(path: Path, db: str, *extra: str):
    return run_cli("load", "--source", "client-users-csv", "--path", str(path), "--db", db, "--quiet", *extra)


def _mapping(db: str) -> set[tuple[str, int]]:
    with duckdb.connect(db, read_only=True) as connection:
        return set(connection.execute(
            "SELECT user_principal_name, company_id FROM BI_Security_ClientUsers").fetchall())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("client_users") / "template.duckdb"
    result = run_cli("load", "--source", "autotask-csv", "--path", str(AUTOTASK), "--db", str(db), "--quiet")
    assert result.code in (0, 1), result.err
    return db


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "loaded.duckdb"
    shutil.copy(template, target)
    return str(target)


def test_mapping_loaded_by_id_or_name_and_bad_rows_reported(db: str, tmp_path: Path) -> None:
    users = tmp_path / "client_users.csv"
    users.write_text(
        "User Principal Name,Company ID,Company Name\n"
        "Alex@Autotask.example,174,\n"                   # line 2: by id, stored in lower case
        "sam@example-ltd.example,,\"Example Ltd, Inc.\"\n"  # line 3: by name
        "pat@autotask.example,999,\n"                     # line 4: unknown company
        ",174,\n"                                          # line 5: blank principal name
        "not-an-upn,174,\n"                                # line 6: malformed
        "alex@autotask.example,174,\n"                     # line 7: repeats line 2 (case-insensitive)
        "kim@nz.example,,Nowhere Ltd\n"                    # line 8: unknown company name
        "lee@nz.example,17x,\n")                           # line 9: not a number
    rejects = tmp_path / "rejected.csv"
    result = _load(users, db, "--rejects", str(rejects))
    assert result.code == 1, result.out + result.err
    assert "BI_Security_ClientUsers: read 8, inserted 2, deleted 0, unchanged 0, rejected 6" in result.out
    assert _mapping(db) == {("alex@autotask.example", 174), ("sam@example-ltd.example", 175)}
    with rejects.open(newline="") as handle:
        listed = [(row[0], int(row[1]), row[2]) for row in list(csv.reader(handle))[1:]]
    where = str(users)
    assert [(line, reason.split(" (")[0]) for origin, line, reason in listed if origin == where] == [
        (4, "company 999 is not in BI_Autotask_Companies"),
        (5, "blank user principal name"),
        (6, "'not-an-upn' is not a user principal name"),
        (7, f"repeats the mapping of {users}:2"),
        (8, "company 'Nowhere Ltd' is not in BI_Autotask_Companies"),
        (9, "company id '17x' is not a whole number"),
    ]
    assert f"rejected {users}:4: company 999 is not in BI_Autotask_Companies" in result.out


def test_the_files_replace_the_mapping_and_a_second_load_changes_nothing(db: str, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("upn,company_id\na@autotask.example,174\nb@autotask.example,174\nb@autotask.example,176\n")
    assert _load(users, db).code == 0
    again = _load(users, db)
    assert again.code == 0
    assert "read 3, inserted 0, deleted 0, unchanged 3, rejected 0" in again.out
    # Revoking: a user removed from the file loses access; a new one gains it.
    users.write_text("upn,company_id\na@autotask.example,174\nc@nz.example,176\n")
    changed = _load(users, db)
    assert changed.code == 0
    assert "read 2, inserted 1, deleted 2, unchanged 1, rejected 0" in changed.out
    assert _mapping(db) == {("a@autotask.example", 174), ("c@nz.example", 176)}


def test_the_role_then_shows_each_user_only_their_companies(db: str, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("upn,company_id\na@autotask.example,174\n")
    assert _load(users, db).code == 0
    query = "EVALUATE VALUES ( BI_Autotask_Companies[company_name] )"
    seen = run_cli("query", "--db", db, "--role", "Client", "--user", "a@autotask.example", "--format", "csv",
                   query)
    assert seen.code == 0, seen.err
    assert seen.out.splitlines()[1:] == ["Autotask Corporation"]
    nobody = run_cli("query", "--db", db, "--role", "Client", "--user", "x@unmapped.example", "--format", "csv",
                     query)
    assert nobody.code == 0, nobody.err
    assert nobody.out.splitlines()[1:] == []


def test_strict_rejection_writes_nothing(db: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("upn,company_id\na@autotask.example,174\n")
    assert _load(good, db).code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("upn,company_id\nb@autotask.example,175\nc@autotask.example,12345\n")
    result = _load(bad, db, "--strict", "--rejects", str(tmp_path / "r.csv"))
    assert result.code == 2
    assert "--strict is set; nothing was written" in result.err
    assert f"{bad}:3: company 12345 is not in BI_Autotask_Companies" in result.err
    assert _mapping(db) == {("a@autotask.example", 174)}


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("name,company\nx,1\n", "expected a user principal name column"),
])
def test_unusable_files_are_clear_errors(db: str, tmp_path: Path, content: str, message: str) -> None:
    users = tmp_path / "users.csv"
    users.write_text(content)
    result = _load(users, db)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_demo_database_is_refused(demo_db: str, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("upn,company_id\na@autotask.example,1\n")
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    result = _load(users, str(copy))
    assert result.code == 2
    assert "holds the demo dataset" in result.err


def test_mapping_into_postgres(postgres_db: str, tmp_path: Path) -> None:
    loaded = run_cli("load", "--source", "autotask-csv", "--path", str(AUTOTASK), "--db", postgres_db, "--quiet")
    assert loaded.code in (0, 1), loaded.err
    users = tmp_path / "users.csv"
    users.write_text("upn,company_id\na@autotask.example,174\nb@autotask.example,999\n")
    result = _load(users, postgres_db, "--rejects", str(tmp_path / "r.csv"))
    assert result.code == 1, result.out + result.err
    assert "read 2, inserted 1, deleted 0, unchanged 0, rejected 1" in result.out
    again = _load(users, postgres_db, "--rejects", str(tmp_path / "r2.csv"))
    assert "inserted 0, deleted 0, unchanged 1, rejected 1" in again.out
