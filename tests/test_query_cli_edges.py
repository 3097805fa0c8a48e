"""Rough edges of ``gen-measures query`` a new user hit (issue 15): format strings in the table output, a stable
row order without ORDER BY, "did you mean" for unknown names, ``-f`` meaning ``--format`` as everywhere,
DEFINE TABLE over a model table, and counted nouns in messages."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from generator.engine.display import format_number
from generator.text import plural, singular

MONTHLY = ('EVALUATE SUMMARIZECOLUMNS(BI_Date[month_start], "Happy", [CSAT - Happy %], '
           '"Reviews", [CSAT - Total Ratings], "Average", [CSAT - Average Rating], '
           '"Twice", [CSAT - Average Rating] * 2)')


def table_rows(output: str) -> list[list[str]]:
    """The cells of a table printed by ``query`` (header, rule and row count left out)."""
    return [line.split() for line in output.splitlines()[2:-1]]


def test_table_shows_measures_in_their_format_strings_and_csv_json_stay_raw(cli, demo_db: str) -> None:
    table = cli("query", "--db", demo_db, MONTHLY)
    assert table.code == 0, table.err
    as_json = cli("query", "--db", demo_db, "--format", "json", MONTHLY)
    records = json.loads(as_json.out)
    rows = table_rows(table.out)
    assert len(rows) == len(records) > 3
    for cells, record in zip(rows, records, strict=True):
        _month, happy, reviews, average, twice = cells
        assert happy == f"{record['[Happy]'] * 100:.1f}%"  # format: percent = #,0.0%;-#,0.0%;#,0.0%
        assert reviews == f"{record['[Reviews]']:,}"  # format: whole = #,0
        assert average == f"{record['[Average]']:.2f}"  # format: "#,0.00"
        assert twice == repr(record["[Twice]"]) or twice == str(record["[Twice]"])  # not a measure: as it is
    as_csv = cli("query", "--db", demo_db, "--format", "csv", MONTHLY)
    assert "%" not in as_csv.out and str(records[0]["[Happy]"]) in as_csv.out


def test_rows_without_order_by_come_in_the_order_of_the_group_columns(cli, demo_db: str) -> None:
    first = cli("query", "--db", demo_db, MONTHLY)
    second = cli("query", "--db", demo_db, MONTHLY)
    assert first.code == 0, first.err
    months = [cells[0] for cells in table_rows(first.out)]
    assert months == sorted(months) and len(set(months)) == len(months) > 3
    assert first.out == second.out
    values = cli("query", "--db", demo_db, "--format", "csv", "EVALUATE VALUES(BI_Date[month_start])")
    listed = values.out.splitlines()[1:]
    assert listed == sorted(listed) and len(listed) > 12


def test_order_by_still_wins(cli, demo_db: str) -> None:
    result = cli("query", "--db", demo_db, "--format", "csv", MONTHLY + " ORDER BY BI_Date[month_start] DESC")
    months = [line.split(",")[0] for line in result.out.splitlines()[1:]]
    assert months == sorted(months, reverse=True)


@pytest.mark.parametrize(("query", "expected"), [
    ('EVALUATE ROW("x", SUM(BI_SmileBack_Reviews[ratng]))',
     "unknown column 'ratng' in table 'BI_SmileBack_Reviews' at 1:23; did you mean [rating]?"),
    ('EVALUATE ROW("x", COUNTROWS(BI_SmileBack_Review))',
     "unknown table 'BI_SmileBack_Review' at 1:29; did you mean 'BI_SmileBack_Reviews'?"),
    ('EVALUATE ROW("x", [csat - hapy %])', "unknown measure or column [csat - hapy %] at 1:19; "
                                           "did you mean [CSAT - Happy %]?"),
])
def test_unknown_names_suggest_the_closest_one(cli, demo_db: str, query: str, expected: str) -> None:
    result = cli("query", "--db", demo_db, query)
    assert result.code == 2
    assert result.err.strip() == f"error: {expected}"


def test_unknown_name_far_from_every_name_gets_no_suggestion(cli, demo_db: str) -> None:
    result = cli("query", "--db", demo_db, 'EVALUATE ROW("x", [zzqqxx])')
    assert result.code == 2 and "did you mean" not in result.err and "[zzqqxx] at 1:19" in result.err


def test_short_f_is_format_and_i_reads_the_query_file(cli, demo_db: str, tmp_path: Path) -> None:
    file = tmp_path / "q.dax"
    file.write_text('EVALUATE ROW("Total", [CSAT - Total Ratings])\n', encoding="utf-8")
    result = cli("query", "--db", demo_db, "-i", str(file), "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"[Total]": 3024}]
    old_habit = cli("query", "--db", demo_db, "-f", str(file))
    assert old_habit.code == 2
    assert "-f is short for --format; read the query from a file with -i/--file" in old_habit.err


def test_define_table_cannot_take_the_name_of_a_model_table(cli, demo_db: str) -> None:
    result = cli("query", "--db", demo_db, "DEFINE TABLE BI_Date = {1} EVALUATE BI_Date")
    assert result.code == 2
    assert "DEFINE TABLE 'BI_Date' has the name of a model table" in result.err
    other = cli("query", "--db", demo_db, "-f", "csv", "DEFINE TABLE Picked = {1, 2} EVALUATE Picked")
    assert other.code == 0 and other.out.splitlines() == ["[Value]", "1", "2"]


def test_counts_of_one_are_singular(cli, demo_db: str) -> None:
    one = cli("validate", "--db", demo_db, "--measure", "CSAT - Total Ratings", "--slice", "total")
    assert one.code == 0, one.err
    assert "1 check (1 measure x 1 slice): 0 mismatches" in one.out
    treatas = cli("query", "--db", demo_db, "EVALUATE TREATAS({1}, BI_Date[year], BI_Date[month_number])")
    assert treatas.code == 2 and "the table has 1 column but 2 target columns are given" in treatas.err


@pytest.mark.parametrize(("count", "words"), [(0, "0 clients"), (1, "1 client"), (2, "2 clients"),
                                              (1234, "1,234 clients")])
def test_plural(count: int, words: str) -> None:
    assert plural(count, "client") == words
    assert plural(count, "entry", "entries").endswith("entry" if count == 1 else "entries")


@pytest.mark.parametrize(("value", "format_string", "shown"), [
    (0.9583333333333334, "#,0.0%;-#,0.0%;#,0.0%", "95.8%"),
    (-0.05, "#,0.0%;-#,0.0%;#,0.0%", "-5.0%"),
    (-0.05, "0.0%;(0.0%)", "(5.0%)"),
    (0.0004, "0.0;-0.0;\"none\"", "none"),
    (-3, "0;\"below zero\"", "below zero"),
    (-0.01, "0.0", "0.0"),
    (1234567, "#,0", "1,234,567"),
    (1234.5, "#,0", "1,235"),
    (2.345, "0.00", "2.35"),
    (Decimal("1234.5"), "#,0.00", "1,234.50"),
    (7, "000", "007"),
    (0.25, "0.0 %", "25.0 %"),
    (5, '"about "0\\h', "about 5h"),
    (1234567, "#,0,", "1,235"),
    (0.5, "Percent", "50.00%"),
    (1234.5, "Standard", "1,234.50"),
    (1e300, "#,0.00", "1" + ",000" * 100 + ".00"),
])
def test_format_number(value: object, format_string: str, shown: str) -> None:
    assert format_number(value, format_string) == shown


@pytest.mark.parametrize(("value", "format_string"), [
    (5, "yyyy-mm-dd"), (1.5, "0.0E+0"), (True, "0"), ("text", "0"), (None, "0"), (float("nan"), "0"),
    (3.5, "General Number"), (3.5, None), (3.5, ""),
])
def test_format_number_leaves_other_values_and_formats_alone(value: object, format_string: str | None) -> None:
    assert format_number(value, format_string) is None


def test_twice_is_byte_identical_for_a_multi_column_table(cli, demo_db: str) -> None:
    query = ("EVALUATE SUMMARIZE(BI_SmileBack_Reviews, BI_SmileBack_Reviews[company_name], "
             "BI_SmileBack_Reviews[rating])")
    first, second = (cli("query", "--db", demo_db, "-f", "json", query) for _ in range(2))
    assert first.code == 0, first.err
    assert first.out == second.out
    pairs = [tuple(record.values()) for record in json.loads(first.out)]
    assert pairs == sorted(pairs) and len({name for name, _ in pairs}) > 1


@pytest.mark.parametrize(("noun", "one"), [("Companies", "Company"), ("Resources", "Resource"), ("Tickets", "Ticket"),
                                          ("row", "row"), ("QUERIES", "QUERY")])
def test_singular(noun: str, one: str) -> None:
    assert singular(noun) == one
