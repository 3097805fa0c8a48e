"""gen-measures load on CSV exports with broken rows (DuckDB): an unbalanced quote, out-of-range and implausible
values, the complete rejects file, time entries of rejected tickets, duplicate headers and duplicate ids."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from load_helpers import FIXTURES, load, summary_line

REVIEWS_HEADER = "Review ID,Rating,Comment,Ticket ID,Company ID,Company,Status,Rated On,Last Modified\n"


def review(number: int, comment: str = "fine") -> str:
    """One line of a SmileBack reviews export (ticket 100 of the Autotask fixtures)."""
    return f"{number},Positive,{comment},100,174,Autotask Corporation,done,2025-06-02 12:00:00,2025-06-02 12:00:00\n"


def rows(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def rejected(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def autotask_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Autotask fixtures loaded once; tests get a copy."""
    db = tmp_path_factory.mktemp("autotask_db") / "load.duckdb"
    result = load("autotask-csv", FIXTURES / "autotask", str(db))
    assert result.code == 0, result.err + result.out
    return db


@pytest.fixture
def autotask_db(autotask_template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "load.duckdb"
    shutil.copy(autotask_template, copy)
    return str(copy)


def _reviews(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "smileback"
    folder.mkdir()
    (folder / "reviews.csv").write_text(text, encoding="utf-8")
    return folder


# -- item 12: an unbalanced quote ------------------------------------------------------------------------------

@pytest.mark.parametrize("closing", ["a later quoted comment", "the end of the file"])
def test_unbalanced_quote_rejects_its_line_and_loads_the_twelve_rows_after_it(
        autotask_db: str, tmp_path: Path, closing: str) -> None:
    later = [review(n) for n in range(3, 15)]
    if closing == "a later quoted comment":  # the quote of line 14 would close the one opened on line 3
        later[-1] = review(14, '"ok"')
    folder = _reviews(tmp_path, REVIEWS_HEADER + review(1) + review(2, '"great service, thanks') + "".join(later))
    rejects = tmp_path / "rejected.csv"
    result = load("smileback-csv", folder, autotask_db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    assert summary_line(result.out, "BI_SmileBack_Reviews")[1] == "13"  # line 2 and the 12 lines after line 3
    assert rows(autotask_db, 'SELECT COUNT(*) FROM "BI_SmileBack_Reviews" WHERE review_id BETWEEN 3 AND 14') \
        == [(12,)]
    assert "1 rows rejected" in result.out
    listed = rejected(rejects)
    assert [(r["origin"], r["line"]) for r in listed] == [(str(folder / "reviews.csv"), "3")]
    assert listed[0]["reason"].startswith("unbalanced quote: a quoted value opens on this line")
    assert "lines 4–15" in listed[0]["reason"] and "read again as rows" in listed[0]["reason"]
    assert "reviews.csv:3: unbalanced quote" in result.out


def test_unbalanced_quote_on_the_last_line_and_a_too_long_line(autotask_db: str, tmp_path: Path) -> None:
    text = REVIEWS_HEADER + review(1) + review(2) + "3,Positive,x,100,174,A,done,2025-06-02,2025-06-02,extra\n" \
        + review(4, '"never closed')
    rejects = tmp_path / "rejected.csv"
    result = load("smileback-csv", _reviews(tmp_path, text), autotask_db, "--rejects", str(rejects))
    assert result.code == 1 and "Traceback" not in result.err, result.err
    listed = rejected(rejects)
    assert [r["line"] for r in listed] == ["4", "5"]
    assert listed[0]["reason"] == "the line has 10 values, the header has 9"
    assert listed[1]["reason"].startswith("unbalanced quote") and "the file ends inside it" in listed[1]["reason"]
    assert rows(autotask_db, 'SELECT review_id FROM "BI_SmileBack_Reviews" WHERE review_id < 10 ORDER BY 1') \
        == [(1,), (2,)]


def test_multi_line_comments_are_not_unbalanced_quotes(autotask_db: str, tmp_path: Path) -> None:
    text = REVIEWS_HEADER + review(1, '"two\nlines, fine"') + review(2, '"say ""hi""\n\nthree"') + review(3)
    result = load("smileback-csv", _reviews(tmp_path, text), autotask_db)
    assert result.code == 0, result.err + result.out
    assert rows(autotask_db, 'SELECT review_id, comment FROM "BI_SmileBack_Reviews" WHERE review_id < 10 '
                             'ORDER BY 1') == [(1, "two\nlines, fine"), (2, 'say "hi"\n\nthree'), (3, "fine")]
