"""gen-measures load on CSV exports with broken rows (DuckDB): an unbalanced quote, out-of-range and implausible
values, the complete rejects file, time entries of rejected tickets, duplicate headers and duplicate ids."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from load_helpers import FIXTURES, ROOT, load, summary_line

from generator.load.pipeline import LoadOptions, run_load
from generator.load.report import LoadProgress
from generator.sources.base import StagePage
from generator.spec.loader import load_model
from generator.targets import open_database
from generator.targets.schema import ensure_schema

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


# -- item 13: out-of-range and implausible values --------------------------------------------------------------

def _autotask_exports(tmp_path: Path, tickets: dict[str, str] | None = None, entries: str = "") -> Path:
    """A copy of the Autotask fixtures with ticket lines replaced (old text → new) and time entry lines added."""
    folder = tmp_path / "autotask"
    shutil.copytree(FIXTURES / "autotask", folder)
    text = (folder / "tickets.csv").read_text()
    for old, new in (tickets or {}).items():
        assert old in text
        text = text.replace(old, new)
    (folder / "tickets.csv").write_text(text)
    with (folder / "time_entries.csv").open("a") as handle:
        handle.write(entries)
    return folder


def test_out_of_range_numbers_are_rejected_rows_not_a_failed_load(tmp_path: Path) -> None:
    folder = _autotask_exports(tmp_path, entries="5010,100,29682885,2025-06-02,inf\n"
                                                 "99999999999999999999,100,29682885,2025-06-02,1\n"
                                                 "5011,100,29682885,2025-06-02,1e300\n")
    db, rejects = str(tmp_path / "range.duckdb"), tmp_path / "rejected.csv"
    result = load("autotask-csv", folder, db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    assert "cannot safely cast" not in result.err and "Could not cast" not in result.err
    entries = str(folder / "time_entries.csv")
    assert [(r["origin"], r["line"], r["reason"]) for r in rejected(rejects)] == [
        (entries, "7", "Hours Worked 'inf' is not a number (or is out of range: ±10^15 at most)"),
        (entries, "8", "Time Entry ID '99999999999999999999' is not a whole number (or is beyond the 64-bit range)"),
        (entries, "9", "Hours Worked '1e300' is not a number (or is out of range: ±10^15 at most)")]
    assert rows(db, 'SELECT COUNT(*) FROM "BI_Autotask_TimeEntries"') == [(4,)]


def test_implausible_hours_and_dates_are_rejected_and_allow_dates_widens_the_window(tmp_path: Path) -> None:
    folder = _autotask_exports(tmp_path, tickets={",176,Client Portal,,Complete,Medium,,2025-06-01 07:00:00":
                                                  ",176,Client Portal,,Complete,Medium,,2999-06-01 07:00:00"},
                               entries="5010,100,29682885,2025-06-02,25\n5011,100,29682885,2025-06-02,-0.5\n"
                                       "5012,100,29682885,1989-12-31,1\n5013,100,29682885,1990-01-01,24\n")
    db, rejects = str(tmp_path / "plausible.duckdb"), tmp_path / "rejected.csv"
    result = load("autotask-csv", folder, db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    window = "is outside the accepted dates 1990-01-01..2100-12-31 (widen them with --allow-dates FROM:TO)"
    assert [(Path(r["origin"]).name, r["line"], r["reason"]) for r in rejected(rejects)][:4] == [
        ("tickets.csv", "5", f"Create Date/Time 2999-06-01 07:00:00 {window}"),
        ("time_entries.csv", "7", "Hours Worked 25 is not between 0 and 24 hours for one time entry"),
        ("time_entries.csv", "8", "Hours Worked -0.5 is not between 0 and 24 hours for one time entry"),
        ("time_entries.csv", "9", f"Date Worked 1989-12-31 {window}")]
    assert rows(db, 'SELECT MIN(date), MAX(date) FROM "BI_Date"')[0] == (date(1990, 1, 1), date(2025, 12, 31))
    assert rows(db, 'SELECT COUNT(*) FROM "BI_Autotask_Tickets" WHERE ticket_id = 103') == [(0,)]

    wider = load("autotask-csv", folder, db, "--rejects", str(rejects), "--allow-dates", "1980:2999")
    assert wider.code == 1, wider.err + wider.out
    assert [r["line"] for r in rejected(rejects)] == ["7", "8"]  # the hours only
    assert rows(db, 'SELECT COUNT(*) FROM "BI_Autotask_Tickets" WHERE ticket_id = 103') == [(1,)]


@pytest.mark.parametrize("value", ["2200:1990", "1990", "1990-02-30:2100", "x:y"])
def test_allow_dates_must_be_a_window(tmp_path: Path, value: str) -> None:
    result = load("autotask-csv", FIXTURES / "autotask", str(tmp_path / "x.duckdb"), "--allow-dates", value)
    assert result.code == 2 and result.err.startswith(f"error: --allow-dates '{value}': "), result.err
    assert "Traceback" not in result.err


class EntrySource:
    """An API-like source (rows as dicts, no file lines): one ticket, and time entries with out-of-range values."""

    source = "autotask-api"

    def entities(self) -> list[str]:
        return ["Companies", "Tickets", "TimeEntries"]

    def total_hint(self, entity: str) -> int | None:
        return None

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        if entity == "Companies":
            yield StagePage("STG_Autotask_Companies", entity, rows=[{"id": 1, "company_name": "Acme"}])
            return
        if entity == "Tickets":
            yield StagePage("STG_Autotask_Tickets", entity, rows=[
                {"id": 100, "ticket_number": "T1", "company_id": 1, "status": 5, "create_date": datetime(2025, 6, 1)}])
            return
        good = {"ticket_id": 100, "resource_id": 7, "date_worked": datetime(2025, 6, 2)}
        yield StagePage("STG_Autotask_TimeEntries", entity, rows=[
            {**good, "id": 1, "hours_worked": 1.5},
            {**good, "id": 2, "hours_worked": float("inf")},
            {**good, "id": 2**70, "hours_worked": 1.0},
            {**good, "id": 3, "hours_worked": 1.0, "date_worked": datetime(2999, 1, 1)},
            {**good, "id": 4, "hours_worked": 30.0}])


def test_api_rows_out_of_range_are_rejected_with_the_column(tmp_path: Path) -> None:
    db = str(tmp_path / "api.duckdb")
    model = load_model(ROOT)
    options = LoadOptions(spec_dir=ROOT, rejects_path=tmp_path / "rejected.csv")
    with open_database(db) as database:
        ensure_schema(database, model)
        summary = run_load(database, model, EntrySource(), options, LoadProgress(False), db)
    assert [(item.origin, item.reason) for item in summary.first_rejections] == [
        ("autotask-api TimeEntries", "STG_Autotask_TimeEntries id=2: hours_worked inf is out of range for double"),
        ("autotask-api TimeEntries", f"STG_Autotask_TimeEntries id={2**70}: id {2**70!r} is out of range for int64"),
        ("autotask-api TimeEntries", "STG_Autotask_TimeEntries id=3: date_worked 2999-01-01 is outside the accepted "
                                     "dates 1990-01-01..2100-12-31 (widen them with --allow-dates FROM:TO)"),
        ("autotask-api TimeEntries", "STG_Autotask_TimeEntries id=4: hours_worked 30 is not between 0 and 24 hours "
                                     "for one time entry")]
    assert rows(db, 'SELECT time_entry_id FROM "BI_Autotask_TimeEntries"') == [(1,)]


# -- item 14: complete rejects, orphan time entries, duplicate headers and ids -------------------------------

def test_every_rejected_row_is_counted_and_written(autotask_db: str, tmp_path: Path) -> None:
    unmatched = "".join(f"{n},Positive,,NOPE,999,Nobody,done,2025-06-02 12:00:00,2025-06-02 12:00:00\n"
                        for n in range(1000, 3100))  # 2,100 reviews matching no ticket and no company: merge rejects
    bad = "".join(f"{n},Ecstatic,,100,174,A,done,2025-06-02 12:00:00,2025-06-02 12:00:00\n" for n in range(1, 4))
    rejects = tmp_path / "rejected.csv"
    result = load("smileback-csv", _reviews(tmp_path, REVIEWS_HEADER + bad + unmatched), autotask_db,
                  "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    assert summary_line(result.out, "Reviews")[1:] == ["2,103", "3"]
    assert summary_line(result.out, "BI_SmileBack_Reviews")[1:5] == ["0", "0", "0", "2,100"]
    assert "2,103 rows rejected" in result.out
    listed = rejected(rejects)
    assert len(listed) == 2103
    merged = [r["origin"] for r in listed if r["origin"].startswith("BI_SmileBack_Reviews")]
    assert merged == [f"BI_SmileBack_Reviews review_id={n}" for n in range(1000, 3100)]


def test_duplicate_ids_with_different_values_are_rejected_and_plain_repeats_counted(
        autotask_db: str, tmp_path: Path) -> None:
    text = REVIEWS_HEADER + review(1) + review(2) + review(1, "changed") + review(2) + review(3)
    rejects = tmp_path / "rejected.csv"
    result = load("smileback-csv", _reviews(tmp_path, text), autotask_db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    assert summary_line(result.out, "Reviews")[1:] == ["5", "1", "1"]  # read, rejected, duplicates
    assert [(r["line"], r["reason"]) for r in rejected(rejects)] == [
        ("4", "Review ID 1 repeats line 2 with different values; line 2 is loaded, this line is not")]
    assert rows(autotask_db, 'SELECT review_id, comment FROM "BI_SmileBack_Reviews" WHERE review_id < 10 '
                             'ORDER BY 1') == [(1, "fine"), (2, "fine"), (3, "fine")]


@pytest.mark.parametrize("header", ["Rating", " rating "])
def test_duplicate_header_refuses_the_file(autotask_db: str, tmp_path: Path, header: str) -> None:
    text = REVIEWS_HEADER.rstrip("\n") + f",{header}\n" + review(1).rstrip("\n") + ",Negative\n"
    result = load("smileback-csv", _reviews(tmp_path, text), autotask_db)
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert result.err.strip() == (f"error: {tmp_path / 'smileback' / 'reviews.csv'}:1: the header 'Rating' appears "
                                  "twice (columns 2 and 10); which one to load is not clear — remove or rename one")


def test_time_entries_of_a_rejected_ticket_are_rejected_naming_the_ticket(tmp_path: Path) -> None:
    folder = _autotask_exports(tmp_path, tickets={"103,T20250601.0003,VPN drops,176": "103,T20250601.0003,VPN drops,"},
                               entries="5020,999,29682885,2025-06-02,1\n")  # no company: rejected; 999: no ticket
    db, rejects = str(tmp_path / "orphans.duckdb"), tmp_path / "rejected.csv"
    result = load("autotask-csv", folder, db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    listed = [(r["origin"], r["reason"]) for r in rejected(rejects)]
    assert listed[0] == (str(folder / "tickets.csv"), "Company is missing")
    assert listed[1:] == [(f"BI_Autotask_TimeEntries time_entry_id={entry}", f"its ticket {ticket} is not loaded "
                           "(rejected in this load, or in no export), so it is left out")
                          for entry, ticket in ((5005, 103), (5020, 999))]
    assert summary_line(result.out, "BI_Autotask_TimeEntries")[1:5] == ["3", "0", "0", "2"]
    assert rows(db, 'SELECT time_entry_id FROM "BI_Autotask_TimeEntries" ORDER BY 1') == [(5001,), (5002,), (5003,)]


def test_nps_score_outside_0_to_10_is_rejected(autotask_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "smileback"
    folder.mkdir()
    (folder / "nps.csv").write_text("Response ID,Score,Company ID,Responded On,Last Modified\n"
                                    "1,9,174,2025-06-01 11:33:00,2025-06-01 11:33:00\n"
                                    "2,11,174,2025-06-01 11:33:00,2025-06-01 11:33:00\n")
    (folder / "reviews.csv").write_text(REVIEWS_HEADER + review(1))
    rejects = tmp_path / "rejected.csv"
    result = load("smileback-csv", folder, autotask_db, "--rejects", str(rejects))
    assert result.code == 1, result.err + result.out
    assert [(r["line"], r["reason"]) for r in rejected(rejects)] == [
        ("3", "Score 11 is not between 0 and 10 for an NPS score")]
    assert rows(autotask_db, 'SELECT nps_response_id FROM "BI_SmileBack_NPS" ORDER BY 1') == [(1,)]


def test_an_unknown_company_name_is_named_in_the_singular(tmp_path: Path) -> None:
    """A ticket naming a company no export knows: the reason says 'no known company' (it said 'companie')."""
    exports = tmp_path / "autotask"
    shutil.copytree(FIXTURES / "autotask", exports)
    tickets = exports / "tickets.csv"
    lines = tickets.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",174,Client Portal,", ",Nobody Incorporated,Client Portal,", 1)
    tickets.write_text("".join(lines), encoding="utf-8")
    result = load("autotask-csv", exports, str(tmp_path / "t.duckdb"), "--rejects", str(tmp_path / "r.csv"))
    assert result.code == 1, result.err
    reasons = [row["reason"] for row in rejected(tmp_path / "r.csv")]
    assert any("'Nobody Incorporated' names no known company (not an id and not in the Companies export)" in reason
               for reason in reasons), reasons
