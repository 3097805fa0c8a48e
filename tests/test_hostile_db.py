"""A DuckDB file is not trusted: a view standing in for a BI_ table that reads a local file (``read_text``) must not
bring the file into ``query``, ``validate`` or ``report`` output; each ends in one sentence, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

SECRET = "TOPSECRET-7f3a9c"


@pytest.fixture(scope="module")
def hostile_db(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    db = folder / "hostile.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as connection:
        connection.execute('ALTER TABLE "BI_Autotask_Companies" RENAME TO real_companies')
        connection.execute(f"""CREATE VIEW "BI_Autotask_Companies" AS SELECT * REPLACE (
                                   (SELECT content FROM read_text('{secret}')) AS company_name) FROM real_companies""")
        # the view works when external access is on: the tool must be what stops it
        assert SECRET in connection.execute('SELECT company_name FROM "BI_Autotask_Companies"').fetchone()[0]
    return str(db)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "EVALUATE VALUES(BI_Autotask_Companies[company_name])"],
        ["query", 'EVALUATE ROW("n", COUNTROWS(BI_Autotask_Companies))'],
        ["validate"],
        ["report", "--out", "{tmp}/report.html"],
    ],
    ids=["query values", "query count", "validate", "report"],
)
def test_a_view_reading_a_local_file_is_refused(cli, hostile_db: str, tmp_path: Path, args: list[str]) -> None:
    result = cli(*[arg.format(tmp=tmp_path) for arg in args], "--db", hostile_db)
    assert result.code == 2, result.err[-2000:]
    assert SECRET not in result.out and SECRET not in result.err
    assert "Traceback" not in result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "file system operations are disabled" in last
    assert not (tmp_path / "report.html").exists()
