"""FORMAT, the PATH text functions, CALENDARAUTO, SUMMARIZE with added columns and Currency arithmetic (issue 22),
on small tables with values computed by hand.

``Sales`` (4 rows; Amount is a fixed-decimal (Currency) column):

==  ======  ======  ===  ==========
Id  Region  Amount  Qty  OrderDate
==  ======  ======  ===  ==========
1   North   0.1     1    2018-07-01
2   North   0.2     2    2018-11-15
3   South   30      3    2019-06-30
4   South   BLANK   4    BLANK
==  ======  ======  ===  ==========

``Staff`` (a parent-child table with its path as text): 1 (root), 3 (under 1), 7 (under 3), 13 (under 1);
``Broken`` (Id, Parent): (1, 2), (2, 1) a loop, (5, 9) a parent that is not an ID.
``Targets[Due]`` is a calculated date column (2030-01-01), which CALENDARAUTO ignores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from conftest import MARIADB_SERVER, PG_SERVER, _unavailable
from test_engine_issue22 import rows, value

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineColumn, EngineMeasure, EngineModel, EngineTable
from generator.engine.run import Engine
from generator.engine.session import open_odbc_read_only
from generator.engine.values import DaxType

T = DaxType
MODEL = EngineModel(
    tables=(
        EngineTable(
            "Sales",
            "sales",
            tuple(
                EngineColumn(name, dax_type, name)
                for name, dax_type in (
                    ("Id", T.INTEGER),
                    ("Region", T.STRING),
                    ("Amount", T.DECIMAL),
                    ("Qty", T.INTEGER),
                    ("OrderDate", T.DATETIME),
                )
            ),
        ),
        EngineTable(
            "Staff",
            "staff",
            (
                EngineColumn("Id", T.INTEGER, "Id"),
                EngineColumn("Parent", T.INTEGER, "Parent"),
                EngineColumn("Path", T.STRING, "Path"),
            ),
        ),
        EngineTable(
            "Broken", "broken", (EngineColumn("Id", T.INTEGER, "Id"), EngineColumn("Parent", T.INTEGER, "Parent"))
        ),
        EngineTable(
            "Targets",
            "targets",
            (
                EngineColumn("Region", T.STRING, "Region"),
                EngineColumn("Due", T.DATETIME, "Due", expression="DATE(2030, 1, 1)"),
            ),
        ),
    ),
    relationships=(),
    measures=(EngineMeasure("Total", "Sales", "SUM ( Sales[Amount] )"),),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE sales (Id BIGINT, Region VARCHAR, Amount DECIMAL(18, 4), Qty BIGINT, OrderDate DATE)"
    )
    connection.executemany(
        "INSERT INTO sales VALUES (?, ?, ?, ?, ?)",
        [
            (1, "North", 0.1, 1, "2018-07-01"),
            (2, "North", 0.2, 2, "2018-11-15"),
            (3, "South", 30, 3, "2019-06-30"),
            (4, "South", None, 4, None),
        ],
    )
    connection.execute("CREATE TABLE broken (Id BIGINT, Parent BIGINT)")
    connection.execute("INSERT INTO broken VALUES (1, 2), (2, 1), (5, 9)")
    connection.execute("CREATE TABLE targets (Region VARCHAR, Due DATE)")
    connection.execute("INSERT INTO targets VALUES ('North', '2030-01-01')")
    connection.execute("CREATE TABLE staff (Id BIGINT, Parent BIGINT, Path VARCHAR)")
    connection.executemany(
        "INSERT INTO staff VALUES (?, ?, ?)", [(1, None, "1"), (3, 1, "1|3"), (7, 3, "1|3|7"), (13, 1, "1|13")]
    )
    yield Engine(MODEL, connection)
    connection.close()


# ------------------------------------------------------------------------------------------------- FORMAT
NOON = "DATE(2024, 11, 5) + TIME(14, 7, 9)"
MORNING = "DATE(2024, 3, 5) + TIME(9, 5, 3)"
FORMATS = [
    # predefined numeric formats (en-US)
    ('FORMAT(1234.5, "General Number")', "1234.5"),
    ('FORMAT(1234.5, "Currency")', "$1,234.50"),
    ('FORMAT(-1234.5, "Currency")', "($1,234.50)"),
    ('FORMAT(1234.567, "Fixed")', "1234.57"),
    ('FORMAT(1234567.891, "Standard")', "1,234,567.89"),
    ('FORMAT(0.1234, "Percent")', "12.34%"),
    (
        'FORMAT(12345.67, "Scientific") & "|" & FORMAT(-0.000123, "Scientific") & "|" & FORMAT(0, "Scientific")',
        "1.23E+04|-1.23E-04|0.00E+00",
    ),
    # scientific: 9.999 rounds up to 10.00, which carries into the exponent; E- writes only a negative sign
    (
        'FORMAT(9.999, "0.00E+00") & "|" & FORMAT(1000, "0.0E-00") & "|" & FORMAT(1.5E-10, "0.0E-0")',
        "1.00E+01|1.0E03|1.5E-10",
    ),
    ('FORMAT(0, "Yes/No") & FORMAT(2, "Yes/No")', "NoYes"),
    ('FORMAT(TRUE(), "True/False") & FORMAT(FALSE(), "On/Off")', "TrueOff"),
    # custom numeric formats: digits round half away from zero
    ('FORMAT(2.5, "0")', "3"),
    ('FORMAT(-2.5, "0")', "-3"),
    ('FORMAT(1.005, "0.00")', "1.01"),
    ('FORMAT(1234567, "#,##0")', "1,234,567"),
    ('FORMAT(-1234.565, "#,##0.00")', "-1,234.57"),
    ('FORMAT(0.5, "#.00")', ".50"),
    # optional decimals: written only when not zero
    (
        'FORMAT(2.5, "0.##") & "|" & FORMAT(2, "0.##") & "|" & FORMAT(100, "#,##0.##") & "|" '
        '& FORMAT(1234.567, "#,##0.##")',
        "2.5|2|100|1,234.57",
    ),
    ('FORMAT(0.075, "0.0%")', "7.5%"),
    ('FORMAT(0.2, "0%")', "20%"),
    ('FORMAT(1234, "$#,##0")', "$1,234"),
    ('FORMAT(-3, "0;(0);""zero""") & "|" & FORMAT(0, "0;(0);""zero""") & "|" & FORMAT(3, "0;(0)")', "(3)|zero|3"),
    ('FORMAT(12, "0 ""units""")', "12 units"),
    ('FORMAT(BLANK(), "0.00")', ""),
    # dates and times
    ('FORMAT(DATE(2024, 3, 5), "yyyy-mm-dd")', "2024-03-05"),
    ('FORMAT(DATE(2024, 3, 5), "dd/mm/yyyy")', "05/03/2024"),
    ('FORMAT(DATE(2024, 3, 5), "mmm yyyy") & "|" & FORMAT(DATE(2024, 3, 5), "mmmm")', "Mar 2024|March"),
    ('FORMAT(DATE(2024, 3, 5), "ddd") & "|" & FORMAT(DATE(2024, 3, 5), "dddd d")', "Tue|Tuesday 5"),
    ('FORMAT(DATE(2024, 11, 5), "q") & "|" & FORMAT(DATE(2024, 11, 5), "yyyy ""Q""q")', "4|2024 Q4"),
    (f'FORMAT({NOON}, "hh:nn:ss")', "14:07:09"),
    (f'FORMAT({NOON}, "h:mm AM/PM") & "|" & FORMAT({MORNING}, "h:mm am/pm")', "2:07 PM|9:05 am"),
    (f'FORMAT({NOON}, "m/d/yy h:n:s")', "11/5/24 14:7:9"),
    (
        'FORMAT(DATE(2024, 3, 5), "Short Date") & "|" & FORMAT(DATE(2024, 3, 5), "Long Date")',
        "3/5/2024|Tuesday, March 5, 2024",
    ),
    (
        f'FORMAT({NOON}, "General Date") & "|" & FORMAT(DATE(2024, 3, 5), "General Date")',
        "11/5/2024 2:07:09 PM|3/5/2024",
    ),
    (
        f'FORMAT({NOON}, "Long Time") & "|" & FORMAT({NOON}, "Medium Time") & "|" & FORMAT({NOON}, "Short Time")',
        "2:07:09 PM|02:07 PM|14:07",
    ),
    ('FORMAT(1, "0.0", "en-US")', "1.0"),
]


@pytest.mark.parametrize(("expression", "expected"), FORMATS, ids=[e for e, _ in FORMATS])
def test_format(engine: Engine, expression: str, expected: str) -> None:
    assert value(engine, expression) == expected


def test_format_over_column_values(engine: Engine) -> None:
    """A BLANK value of a column is "" (DAX: BLANK → empty string); the others are formatted row by row."""
    got = rows(
        engine,
        'EVALUATE SELECTCOLUMNS(Sales, "i", Sales[Id], "a", FORMAT(Sales[Amount], "$#,##0.00"), '
        '"d", FORMAT(Sales[OrderDate], "mmm d, yyyy"))',
    )
    assert sorted(got) == [
        (1, "$0.10", "Jul 1, 2018"),
        (2, "$0.20", "Nov 15, 2018"),
        (3, "$30.00", "Jun 30, 2019"),
        (4, "", ""),
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('FORMAT(1, "0.0", "fr-FR")', 'unsupported: FORMAT with locale "fr-FR" at 1:23'),
        ('FORMAT(1, "0.00E+00 x")', 'unsupported: FORMAT with format "0.00E+00 x" at 1:23'),
        ('FORMAT(1, "0.0#")', 'unsupported: FORMAT with format "0.0#" at 1:23'),
        ('FORMAT(DATE(2024, 1, 1), "ww")', 'unsupported: FORMAT with format "ww" at 1:23'),
        ('FORMAT("abc", "0")', 'unsupported: FORMAT with format "0" at 1:23'),
        ('FORMAT(1, "0" & "")', "unsupported: FORMAT with a format that is not constant text at 1:23"),
    ],
)
def test_format_refusals(engine: Engine, expression: str, message: str) -> None:
    with pytest.raises(Unsupported) as raised:
        value(engine, expression)
    assert str(raised.value).startswith(message)


@pytest.fixture(scope="module", params=["postgres", "mariadb"])
def server_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on an empty database of the server (ROW queries need no tables)."""
    connection = PG_SERVER + ";Database=postgres" if request.param == "postgres" else MARIADB_SERVER
    try:
        session = open_odbc_read_only(connection)
    except Exception as exc:
        _unavailable(request.param, str(exc)[:200])
    yield Engine(EngineModel(tables=(), relationships=(), measures=()), session)
    session.close()


def test_format_and_paths_on_the_servers(server_engine: Engine) -> None:
    """Every FORMAT case above, and the PATH text functions, give on PostgreSQL and MariaDB what they give on
    DuckDB (one query)."""
    cases = [e for e, _ in FORMATS] + [
        'PATHITEM("1|3|7", 2) & PATHITEMREVERSE("1|3|7", 1) & PATHITEM("1|3", 3)',
        'PATHLENGTH("1|3|7") + PATHITEM("1|30", 2, INTEGER)',
        'PATHCONTAINS("1|13|7", 3) || PATHCONTAINS("1|13|7", 13)',
    ]
    query = "EVALUATE ROW(" + ", ".join(f'"c{i}", {e}' for i, e in enumerate(cases)) + ")"
    (got,) = rows(server_engine, query)
    assert list(got) == [x for _, x in FORMATS] + ["37", 33, True]


# ------------------------------------------------------------------------------------------------- PATH functions
def test_path_functions_on_a_path_column(engine: Engine) -> None:
    got = rows(
        engine,
        'EVALUATE SELECTCOLUMNS(Staff, "id", Staff[Id], "len", PATHLENGTH(Staff[Path]), '
        '"top", PATHITEM(Staff[Path], 1, INTEGER), "second", PATHITEM(Staff[Path], 2), '
        '"self", PATHITEMREVERSE(Staff[Path], 1, 1), "under3", PATHCONTAINS(Staff[Path], 3))',
    )
    assert sorted(got) == [
        (1, 1, 1, None, 1, False),
        (3, 2, 1, "3", 3, True),
        (7, 3, 1, "3", 7, True),
        (13, 2, 1, "13", 13, False),
    ]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('PATHLENGTH("")', 0),
        ("PATHLENGTH(BLANK())", 0),
        ('PATHITEM("1|3|7", 0)', None),  # below 1: BLANK
        ('PATHITEM("1|3|7", 4)', None),  # beyond the last item: BLANK
        ('PATHITEMREVERSE("1|3|7", 3)', "1"),
        ('PATHITEM("1|3|7", 3, TEXT) & "x"', "7x"),
        ('PATHCONTAINS("1|13|7", "3")', False),  # whole IDs only
    ],
)
def test_path_function_edges(engine: Engine, expression: str, expected: Any) -> None:
    assert value(engine, expression) == expected


def test_path_walks_up_the_whole_table(engine: Engine) -> None:
    """PATH(Id, Parent) in the row context of Staff: the IDs from the root to the row; a filter on the rows does
    not cut the walk (the ancestors of 7 are filtered away, its path is still 1|3|7)."""
    got = rows(
        engine,
        'EVALUATE ADDCOLUMNS(Staff, "p", PATH(Staff[Id], Staff[Parent]), '
        '"level", PATHLENGTH(PATH(Staff[Id], Staff[Parent])))',
    )
    assert sorted((r[0], r[3], r[4]) for r in got) == [(1, "1", 1), (3, "1|3", 2), (7, "1|3|7", 3), (13, "1|13", 2)]
    filtered = rows(
        engine, 'EVALUATE CALCULATETABLE(SELECTCOLUMNS(Staff, "p", PATH(Staff[Id], Staff[Parent])), Staff[Id] = 7)'
    )
    assert filtered == [("1|3|7",)]


@pytest.mark.parametrize("rows_of", ["Broken[Id] = 5", "Broken[Id] = 1"], ids=["missing parent", "loop"])
def test_path_errors(engine: Engine, rows_of: str) -> None:
    """Broken: 5's parent 9 is not an ID; 1 and 2 are each other's parent."""
    query = f'EVALUATE CALCULATETABLE(SELECTCOLUMNS(Broken, "p", PATH(Broken[Id], Broken[Parent])), {rows_of})'
    with pytest.raises(DaxEngineError, match=r"PATH: a value in Broken\[Parent\] is not in Broken\[Id\], or the"):
        rows(engine, query)


def test_path_needs_a_row_and_one_table_and_pathitem_a_type(engine: Engine) -> None:
    with pytest.raises(DaxEngineError, match="cannot be determined"):
        value(engine, "PATH(Staff[Id], Staff[Parent])")
    with pytest.raises(DaxEngineError, match="PATH: the ID and parent columns must be columns of one table"):
        rows(engine, 'EVALUATE ADDCOLUMNS(Staff, "p", PATH(Staff[Id], Broken[Parent]))')
    with pytest.raises(DaxEngineError, match=r"PATHITEM: the type is TEXT \(0\) or INTEGER \(1\) at 1:42"):
        value(engine, 'PATHITEM("1|2", 1, 5)')


# ------------------------------------------------------------------------------------------------- CALENDARAUTO
def test_calendarauto_spans_whole_fiscal_years_of_the_imported_dates(engine: Engine) -> None:
    """Documentation's example: MinDate 2018-07-01, MaxDate 2019-06-30 → 2018-01-01 … 2019-12-31 (730 days), and
    with a March year-end 2018-04-01 … 2020-03-31 (731 days); Targets[Due] (2030, calculated) is ignored."""
    got = rows(
        engine,
        'EVALUATE ROW("n", COUNTROWS(CALENDARAUTO()), "first", MINX(CALENDARAUTO(), [Date]), '
        '"last", MAXX(CALENDARAUTO(), [Date]), "n3", COUNTROWS(CALENDARAUTO(3)), '
        '"first3", MINX(CALENDARAUTO(3), [Date]), "last3", MAXX(CALENDARAUTO(3), [Date]))',
    )
    assert got == [
        (
            730,
            dt.datetime(2018, 1, 1),
            dt.datetime(2019, 12, 31),
            731,
            dt.datetime(2018, 4, 1),
            dt.datetime(2020, 3, 31),
        )
    ]
    days = rows(engine, "EVALUATE CALENDARAUTO(6)")
    assert len(days) == 365 and days[0] == (dt.datetime(2018, 7, 1),) and days[-1] == (dt.datetime(2019, 6, 30),)


def test_calendarauto_errors(engine: Engine) -> None:
    with pytest.raises(DaxEngineError, match="fiscal year-end month is a whole number from 1 to 12 at 1:23"):
        rows(engine, "EVALUATE CALENDARAUTO(13)")
    no_dates = EngineModel(
        tables=(EngineTable("S", "sales", (EngineColumn("Id", T.INTEGER, "Id"),)),), relationships=(), measures=()
    )
    with pytest.raises(DaxEngineError, match="the model has no date column that is not calculated"):
        Engine(no_dates, None).sql("EVALUATE CALENDARAUTO()")


# ------------------------------------------------------------------------------------------------- SUMMARIZE
def test_summarize_with_added_columns(engine: Engine) -> None:
    """Each expression sees the rows of its group: North 0.1 + 0.2, South 30 (Id 4's Amount is BLANK)."""
    got = rows(
        engine,
        'EVALUATE SUMMARIZE(Sales, Sales[Region], "Total", [Total], "Qty", SUM(Sales[Qty]), "Rows", COUNTROWS(Sales))',
    )
    assert sorted(got) == [("North", 0.3, 3, 2), ("South", 30.0, 7, 2)]


def test_summarize_of_a_filtered_table_sees_only_its_rows(engine: Engine) -> None:
    """SUMMARIZE(FILTER(Sales, Qty > 1), …): the expressions see the group's rows of the filtered table only."""
    got = rows(
        engine,
        'EVALUATE SUMMARIZE(FILTER(Sales, Sales[Qty] > 1), Sales[Region], "Qty", SUM(Sales[Qty]), '
        '"Rows", COUNTROWS(Sales))',
    )
    assert sorted(got) == [("North", 2, 1), ("South", 7, 2)]


def test_summarize_rollup_is_refused(engine: Engine) -> None:
    with pytest.raises(Unsupported, match=r"^unsupported: SUMMARIZE with ROLLUP at 1:27"):
        rows(engine, 'EVALUATE SUMMARIZE(Sales, ROLLUP(Sales[Region]), "Qty", SUM(Sales[Qty]))')


# ------------------------------------------------------------------------------------------------- Currency
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # SUM of a Currency column adds ten-thousandths exactly (doubles give 0.30000000000000004)
        ("SUM(Sales[Amount])", 30.3),
        ('CALCULATE(SUM(Sales[Amount]), Sales[Region] = "North")', 0.3),
        ('SUMX(FILTER(Sales, Sales[Region] = "North"), Sales[Amount] * 3)', 0.9),  # 0.30000000000000004 + 0.6
        ("CURRENCY(0.1) + CURRENCY(0.2)", 0.3),
        ("CURRENCY(0.1) * 3", 0.3),
        # CURRENCY × REAL is CURRENCY: 1.5 × 0.33333 = 0.499995 → 0.5
        ("CURRENCY(1.5) * 0.33333", 0.5),
        # CURRENCY × CURRENCY is REAL: 1.5 × 0.3333 = 0.49995 (not rounded)
        ("CURRENCY(1.5) * CURRENCY(0.3333)", 0.49995),
        # CURRENCY ÷ INTEGER and CURRENCY ÷ REAL are CURRENCY; CURRENCY ÷ CURRENCY and REAL ÷ CURRENCY are REAL
        ("CURRENCY(10) / 3", 3.3333),
        ("CURRENCY(10) / 3.0", 3.3333),
        ("CURRENCY(10) / CURRENCY(3)", 10 / 3),
        ("10.0 / CURRENCY(3)", 10 / 3),
        # CURRENCY + REAL is REAL: nothing rounded
        ("CURRENCY(0.1) + 0.00001", 0.10001),
        ('CURRENCY(3.0123456789) & "|" & CURRENCY(3.6666666666666)', "3.0123|3.6667"),
        ("CURRENCY(1) / 0", float("inf")),
    ],
)
def test_currency_arithmetic(engine: Engine, expression: str, expected: Any) -> None:
    assert value(engine, expression) == expected
