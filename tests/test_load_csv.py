"""gen-measures load from CSV exports into DuckDB: values, idempotence, rejected rows, --strict, deletions,
and the demo dataset round trip (exports written from the demo, loaded back, validate passes)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import run_cli
from load_helpers import assert_same_as_demo

from generator.errors import ToolError
from generator.load.command import load_command

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "csv"


def load(cli, source: str, path: Path, db: str, *extra: str, cwd: Path | None = None):
    return cli("load", "--source", source, "--path", str(path), "--db", db, "--quiet", *extra, cwd=cwd)


def rows(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def summary_line(out: str, name: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
    return line.split()


@pytest.fixture(scope="module")
def fixture_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixtures loaded once (Autotask, then SmileBack); tests get a copy."""
    db = tmp_path_factory.mktemp("fixture_db") / "load.duckdb"
    for source, folder in (("autotask-csv", "autotask"), ("smileback-csv", "smileback")):
        result = load(run_cli, source, FIXTURES / folder, str(db))
        assert result.code == 0, result.err + result.out
    return db


@pytest.fixture
def fixture_db(fixture_template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "load.duckdb"
    shutil.copy(fixture_template, copy)
    return str(copy)


def test_fixture_values(fixture_db: str) -> None:
    tickets = rows(fixture_db, 'SELECT ticket_id, status, priority, issue_type, queue_id, company_id, '
                               'assigned_resource_id, completed_date, completed_month, hours_worked, reopened '
                               'FROM "BI_Autotask_Tickets" ORDER BY ticket_id')
    assert [t[:7] for t in tickets] == [
        (100, "Complete", "Medium", "Software", 29682833, 174, 29682885),
        (101, "In Progress", "Low", "Software", 29682834, 174, 29682886),  # technician by "First Last"
        (102, "Complete", "High", "Hardware", 29682834, 175, 29682885),  # company by name, "Last, First"
        (103, "Complete", "Medium", None, 29682833, 176, None),
    ]
    assert str(tickets[0][7]) == "2025-06-02" and str(tickets[0][8]) == "2025-06-01"
    assert tickets[1][7] is None and tickets[1][8] is None  # open: no completion
    assert str(tickets[2][7]) == "2025-05-30"  # US date format of the export
    assert [float(t[9]) for t in tickets] == [2.25, 0.0, 2.0, 0.25]  # sum of time entries
    assert all(t[10] is False for t in tickets)
    reviews = rows(fixture_db, 'SELECT review_id, ticket_id, rating, rating_label, technician_name, queue_id '
                               'FROM "BI_SmileBack_Reviews" ORDER BY review_id')
    assert reviews == [
        (35929235, 100, 5, "Happy", "Ash King", 29682833),
        (35929236, 102, 3, "Neutral", "Ash King", 29682834),  # matched by ticket number
        (35929237, 103, 1, "Unhappy", "NiamhF", 29682833),  # no technician: SmileBack agent
        (35929240, None, 5, "Happy", "BenD", None),  # no ticket: company from its remote id
    ]  # 35929238 unrated and 35929239 deleted are not responses
    # the contact's e-mail and SmileBack's status (lower case) come through; this export has no contact id or name
    assert rows(fixture_db, 'SELECT review_id, contact_id, contact_name, contact_email, review_status '
                            'FROM "BI_SmileBack_Reviews" ORDER BY review_id') == [
        (35929235, None, None, "johndoe@example.com", "open"), (35929236, None, None, "jane.roe@example.com", "done"),
        (35929237, None, None, "sam.poe@example.com", "done"), (35929240, None, None, "x@example.com", "done")]
    assert rows(fixture_db, 'SELECT survey_id, score, survey_month FROM "BI_SmileBack_Surveys" '
                            'WHERE survey_id = 35929236')[0][1] == 3
    assert rows(fixture_db, 'SELECT company_type, churned_on FROM "BI_Autotask_Companies" WHERE company_id = 175') \
        == [("Cancellation", pd.Timestamp("2025-05-31").date())]
    assert rows(fixture_db, 'SELECT MIN(date), MAX(date) FROM "BI_Date"')[0] == (
        pd.Timestamp("2025-01-01").date(), pd.Timestamp("2025-12-31").date())
    marks = rows(fixture_db, 'SELECT source, entity, watermark FROM "ETL_Watermarks" ORDER BY 1, 2')
    assert [(s, e) for s, e, _ in marks] == [("autotask-csv", "Companies"), ("autotask-csv", "Tickets"),
                                             ("smileback-csv", "NPS"), ("smileback-csv", "Reviews")]
    assert str(marks[1][2]) == "2025-06-03 14:02:00"


def test_second_identical_load_changes_nothing(cli, fixture_db: str) -> None:
    before = rows(fixture_db, 'SELECT * FROM "BI_Autotask_Tickets" ORDER BY 1')
    again = load(cli, "autotask-csv", FIXTURES / "autotask", fixture_db)
    assert again.code == 0, again.err
    for table in ("BI_Autotask_Tickets", "BI_Autotask_TimeEntries", "BI_Autotask_Companies", "BI_Date"):
        assert summary_line(again.out, table)[1:5] == ["0", "0", "0", "0"], again.out
    reviews = load(cli, "smileback-csv", FIXTURES / "smileback", fixture_db)
    assert summary_line(reviews.out, "BI_SmileBack_Reviews")[1:5] == ["0", "0", "0", "0"], reviews.out
    assert rows(fixture_db, 'SELECT * FROM "BI_Autotask_Tickets" ORDER BY 1') == before


def test_changed_rows_are_updated_and_deleted_reviews_removed(cli, fixture_db: str, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(FIXTURES / "autotask", changed)
    text = (changed / "tickets.csv").read_text().replace("Printer offline on 2nd floor", "Printer fixed")
    (changed / "tickets.csv").write_text(text)
    result = load(cli, "autotask-csv", changed, fixture_db)
    assert summary_line(result.out, "BI_Autotask_Tickets")[1:4] == ["0", "1", "0"], result.out
    assert rows(fixture_db, 'SELECT title FROM "BI_Autotask_Tickets" WHERE ticket_id = 101') == [("Printer fixed",)]

    later = tmp_path / "later"
    later.mkdir()
    reviews = (FIXTURES / "smileback" / "reviews.csv").read_text().splitlines()
    header, first = reviews[0], reviews[1]
    (later / "reviews.csv").write_text(header + "\n" + first.replace(",open,", ",deleted,") + "\n")
    result = load(cli, "smileback-csv", later, fixture_db)
    assert result.code == 0, result.err
    assert summary_line(result.out, "BI_SmileBack_Reviews")[1:4] == ["0", "0", "1"], result.out
    assert summary_line(result.out, "BI_SmileBack_Surveys")[1:4] == ["0", "0", "1"], result.out
    assert rows(fixture_db, 'SELECT COUNT(*) FROM "BI_SmileBack_Reviews" WHERE review_id = 35929235') == [(0,)]
    assert rows(fixture_db, 'SELECT COUNT(*) FROM "BI_SmileBack_Reviews"') == [(3,)]


def test_rejected_rows_reported_with_file_line_and_reason(cli, fixture_db: str, tmp_path: Path) -> None:
    rejects = tmp_path / "rejected.csv"
    result = load(cli, "smileback-csv", FIXTURES / "bad", fixture_db, "--rejects", str(rejects))
    assert result.code == 1, result.err
    assert "4 rows rejected" in result.out and f"full list: {rejects}" in result.out
    with rejects.open() as handle:
        listed = list(csv.DictReader(handle))
    where = f"{FIXTURES / 'bad' / 'reviews.csv'}"
    assert [(r["origin"], r["line"]) for r in listed] == [(where, "4"), (where, "5"), (where, "6"),
                                                          ("BI_SmileBack_Reviews review_id=6", "")]
    assert "Ecstatic" in listed[0]["reason"] and listed[1]["reason"] == "Review ID is missing"
    assert "2025-31-31" in listed[2]["reason"] and "matches no Autotask ticket" in listed[3]["reason"]
    assert summary_line(result.out, "Reviews")[1:] == ["6", "3"]
    assert summary_line(result.out, "BI_SmileBack_Reviews")[1:5] == ["2", "0", "0", "1"]
    assert rows(fixture_db, 'SELECT review_id FROM "BI_SmileBack_Reviews" WHERE review_id < 10 ORDER BY 1') \
        == [(1,), (5,)]


def test_without_rejects_the_list_goes_to_the_state_folder_never_the_working_directory(fixture_db: str,
                                                                                      tmp_path: Path) -> None:
    work, state = tmp_path / "work", tmp_path / "state"
    work.mkdir()
    result = run_cli("load", "--source", "smileback-csv", "--path", str(FIXTURES / "bad"), "--db", fixture_db,
                     "--quiet", env={"XDG_STATE_HOME": str(state)}, cwd=work)
    assert result.code == 1, result.err
    listed = state / "msp-csat" / "load-rejected-smileback-csv.csv"
    assert result.out.splitlines()[-2] == f"full list: {listed}"
    assert len(listed.read_text().splitlines()) == 1 + 4  # header and the four rejections
    assert list(work.iterdir()) == []


def test_strict_rejection_writes_nothing(cli, fixture_db: str, tmp_path: Path) -> None:
    before = rows(fixture_db, 'SELECT * FROM "BI_SmileBack_Reviews" ORDER BY 1')
    marks = rows(fixture_db, 'SELECT * FROM "ETL_Watermarks" ORDER BY 1, 2')
    result = load(cli, "smileback-csv", FIXTURES / "bad", fixture_db, "--strict", "--rejects",
                  str(tmp_path / "r.csv"))
    assert result.code == 2
    assert "--strict: 3 rows rejected, nothing written" in result.err and "Traceback" not in result.err
    assert rows(fixture_db, 'SELECT * FROM "BI_SmileBack_Reviews" ORDER BY 1') == before
    assert rows(fixture_db, 'SELECT * FROM "ETL_Watermarks" ORDER BY 1, 2') == marks
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 4


def test_bad_input_is_exit_2(cli, tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "tickets.csv").write_text("Ticket ID,Title\n1,x\n")
    result = load(cli, "autotask-csv", folder, db)
    assert result.code == 2 and "tickets.csv:1: no column for ticket_number" in result.err
    assert "Traceback" not in result.err


def _api_load(source: str, paths: list[Path], db: str, mapping: Path | None = None) -> int:
    return load_command(source, paths, db, ROOT, mapping, strict=False, full=False, quiet=True,
                        rejects=Path(db).with_suffix(".rejected.csv"))


def test_bad_input_messages(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    with pytest.raises(ToolError, match="does not exist"):
        _api_load("autotask-csv", [tmp_path / "nowhere"], db)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ToolError, match="no smileback export files found"):
        _api_load("smileback-csv", [empty], db)
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(ToolError, match="cannot tell which autotask export"):
        _api_load("autotask-csv", [odd], db)
    bad_mapping = tmp_path / "mapping.yaml"
    bad_mapping.write_text("smileback:\n  Reviews:\n    table: STG_SmileBack_Reviews\n    columns:\n"
                           "      id: {headers: [ID], kind: integer}\n")
    with pytest.raises(ToolError, match="kind is 'integer'"):
        _api_load("smileback-csv", [FIXTURES / "smileback"], db, bad_mapping)
    with pytest.raises(ToolError, match="unknown --source 'autotask-xml'"):
        _api_load("autotask-xml", [], db)
    with pytest.raises(ToolError, match="needs --path"):
        _api_load("smileback-csv", [], db)
    not_utf8 = tmp_path / "latin" / "reviews.csv"
    not_utf8.parent.mkdir()
    not_utf8.write_bytes("Review ID,Comment\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ToolError, match="not UTF-8"):
        _api_load("smileback-csv", [not_utf8.parent], db)


def test_mapping_override(tmp_path: Path) -> None:
    db = str(tmp_path / "m.duckdb")
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "feedback_2025.csv").write_text("Nr,Smiley,When,Firm\n7,happy,2025-06-01 10:00,174\n"
                                              "8,unhappy,2025-06-02 10:00,174\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("datetime_formats: ['%Y-%m-%d %H:%M']\nratings: {happy: 1, unhappy: -1}\nsmileback:\n"
                       "  Reviews:\n    files: ['feedback*.csv']\n    table: STG_SmileBack_Reviews\n    columns:\n"
                       "      id: {headers: [Nr], kind: int, required: true}\n"
                       "      rating: {headers: [Smiley], kind: rating}\n"
                       "      rated_on: {headers: [When], kind: datetime}\n"
                       "      company_remote_id: {headers: [Firm], kind: text}\n")
    assert _api_load("autotask-csv", [FIXTURES / "autotask"], db) == 0
    assert _api_load("smileback-csv", [folder], db, mapping) == 0
    assert rows(db, 'SELECT review_id, rating, company_id FROM "BI_SmileBack_Reviews" ORDER BY 1') == [
        (7, 5, 174), (8, 1, 174)]


def test_refuses_to_mix_with_the_demo(cli, demo_db: str, tmp_path: Path) -> None:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    result = load(cli, "autotask-csv", FIXTURES / "autotask", str(copy))
    assert result.code == 2 and "holds the demo dataset" in result.err


def test_demo_exports_load_back_to_the_demo_rows_and_validate(cli, demo_exports, tmp_path: Path) -> None:
    db = str(tmp_path / "roundtrip.duckdb")
    autotask, smileback, demo = demo_exports
    for source, path in (("autotask-csv", autotask), ("smileback-csv", smileback)):
        result = load(cli, source, path, db)
        assert result.code == 0, result.err + result.out
    assert_same_as_demo(db, demo)
    validate = cli("validate", "--db", db)
    assert validate.code == 0, validate.out + validate.err
    assert " 0 mismatches" in validate.out
