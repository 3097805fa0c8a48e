"""Hints of a load say only what works for its source: ``--full`` is refused for the CSV sources (a CSV export is
read whole every time), and the note on reviews without a ticket tells a CSV user to load the export again — which
does link them once the ticket is loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from generator.load.plan import reload_hint

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "csv"
UNLINKED_REVIEW = 35929240  # its ticket number OLD-4711 is not in the fixture's tickets.csv


def _load(cli, source: str, path: Path, db: Path, *extra: str):
    return cli("load", "--source", source, "--path", str(path), "--db", str(db), "--quiet", *extra, cwd=db.parent)


@pytest.mark.parametrize("source, folder", [("autotask-csv", "autotask"), ("smileback-csv", "smileback"),
                                            ("client-users-csv", "autotask")])
def test_full_is_refused_for_csv_sources(cli, tmp_path: Path, source: str, folder: str) -> None:
    db = tmp_path / "t.duckdb"
    result = _load(cli, source, FIXTURES / folder, db, "--full")
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.strip() == (f"error: --full applies to the API sources only (autotask-api, smileback-api): "
                                  f"--source {source} reads its files whole every time")
    assert not db.exists()


def test_api_sources_keep_the_full_hint() -> None:
    assert reload_hint("smileback-api") == "load --source smileback-api again with --full"


def test_csv_note_says_load_again_and_loading_again_links_the_review(cli, tmp_path: Path) -> None:
    db = tmp_path / "hint.duckdb"
    autotask = tmp_path / "autotask"
    shutil.copytree(FIXTURES / "autotask", autotask)
    assert _load(cli, "autotask-csv", autotask, db).code == 0
    first = _load(cli, "smileback-csv", FIXTURES / "smileback", db)
    assert first.code == 0, first.err
    note = next(line for line in first.out.splitlines() if "match no Autotask ticket" in line)
    assert note.endswith("load Autotask first, then load this smileback-csv export again") and "--full" not in note
    tickets = autotask / "tickets.csv"
    tickets.write_text(tickets.read_text() + "104,OLD-4711,Legacy ticket,176,Service Desk,,Complete,Medium,,"
                                             "2025-06-01 07:00:00,,,2025-06-01 08:30:00,Yes,2025-06-01 08:30:00\n")
    assert _load(cli, "autotask-csv", autotask, db).code == 0
    again = _load(cli, "smileback-csv", FIXTURES / "smileback", db)  # as the note says: no --full
    assert again.code == 0 and "match no Autotask ticket" not in again.out
    with duckdb.connect(str(db), read_only=True) as connection:
        linked = connection.execute('SELECT ticket_id FROM "BI_SmileBack_Reviews" WHERE review_id = ?',
                                    [UNLINKED_REVIEW]).fetchall()
    assert linked == [(104,)]
