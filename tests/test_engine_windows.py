"""DAX window functions (OFFSET, INDEX, WINDOW, RANK, ROWNUMBER) on a small hand-made model, values by hand.

The data (in-memory DuckDB):

* ``Cal``: months 1–6, ``Quarter`` 1 for months 1–3 and 2 for months 4–6;
* ``Fact`` → ``Cal[Month]``: one row per month with an amount, none in month 5:
  m1 10, m2 20, m3 30, m4 40, m6 60 (``[Amt]`` = SUM, 160 in all);
* ``Score`` (no relationships), ties and BLANKs, in two groups:
  a G1 5 · b G1 -2 · c G1 BLANK · d G1 0 · e G2 5 · f G2 5 · g G2 3 · h G2 BLANK.

Rules (generator/engine/windows.py): BLANK sorts between the negative numbers and zero (DEFAULT), FIRST/LAST
put it at an end; the current row comes from the row context, else from the filter context (every value it
holds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import duckdb
import pyodbc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineColumn, EngineMeasure, EngineModel, EngineRelationship, EngineTable
from generator.engine.run import Engine
from generator.engine.session import open_odbc_read_only
from generator.engine.values import DaxType

T = DaxType


def _table(name: str, *columns: tuple[str, DaxType]) -> EngineTable:
    """A model table read from the SQL table of its name in lower case, its columns named alike."""
    return EngineTable(name, name.lower(), tuple(EngineColumn(c, t, c) for c, t in columns))


MODEL = EngineModel(
    tables=(
        _table("Cal", ("Month", T.INTEGER), ("Quarter", T.INTEGER)),
        _table("Fact", ("Month", T.INTEGER), ("Amount", T.INTEGER)),
        _table("Score", ("Name", T.STRING), ("Grp", T.STRING), ("Pts", T.DOUBLE)),
    ),
    relationships=(EngineRelationship("Fact", "Month", "Cal", "Month"),),
    measures=(EngineMeasure("Amt", "Fact", "SUM ( Fact[Amount] )"),),
)

SCORES = {
    "a": ("G1", 5),
    "b": ("G1", -2),
    "c": ("G1", None),
    "d": ("G1", 0),
    "e": ("G2", 5),
    "f": ("G2", 5),
    "g": ("G2", 3),
    "h": ("G2", None),
}


def _load(execute: Callable[[str], object], double: str) -> None:
    """Create and fill the three tables through ``execute`` (DuckDB and PostgreSQL read the same SQL)."""
    execute('CREATE TABLE cal ("Month" BIGINT, "Quarter" BIGINT)')
    execute("INSERT INTO cal VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2)")
    execute('CREATE TABLE fact ("Month" BIGINT, "Amount" BIGINT)')
    execute("INSERT INTO fact VALUES (1, 10), (2, 20), (3, 30), (4, 40), (6, 60)")
    execute(f'CREATE TABLE score ("Name" VARCHAR(10), "Grp" VARCHAR(10), "Pts" {double})')
    values = ", ".join(f"('{n}', '{g}', {'NULL' if p is None else p})" for n, (g, p) in SCORES.items())
    execute(f"INSERT INTO score VALUES {values}")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    connection = duckdb.connect()
    _load(connection.execute, "DOUBLE")
    yield Engine(MODEL, connection)
    connection.close()


def rows(engine: Engine, text: str) -> dict:
    """The rows of a two-column result as {first: second}."""
    (result,) = engine.query(text)
    assert len({row[0] for row in result.rows}) == len(result.rows)
    return {row[0]: row[1] for row in result.rows}


def by_month(engine: Engine, expression: str) -> dict:
    return rows(engine, f'EVALUATE SUMMARIZECOLUMNS ( Cal[Month], "v", {expression} )')


def score_ranks(engine: Engine, expression: str) -> dict:
    return rows(
        engine, f'EVALUATE SELECTCOLUMNS ( ADDCOLUMNS ( Score, "v", {expression} ), "n", Score[Name], "v", [v] )'
    )


# ------------------------------------------------------------------------------------------------ OFFSET


def test_offset_previous_month_in_summarizecolumns(engine: Engine) -> None:
    # the group's month is the current row; month 1 has no previous row, month 6's previous (5) has no sales:
    # both BLANK, so SUMMARIZECOLUMNS drops them
    previous = "CALCULATE ( [Amt], OFFSET ( -1, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ) )"
    assert by_month(engine, previous) == {2: 10, 3: 20, 4: 30, 5: 40}


def test_offset_desc_in_a_row_context_and_through_a_measure(engine: Engine) -> None:
    # DESC: +1 is the month before; the row context of ADDCOLUMNS gives the current row
    assert rows(
        engine,
        'EVALUATE ADDCOLUMNS ( VALUES ( Cal[Month] ), "v", CALCULATE ( [Amt], OFFSET ( 1, '
        "ALL ( Cal[Month] ), ORDERBY ( Cal[Month], DESC ) ) ) )",
    ) == {1: None, 2: 10, 3: 20, 4: 30, 5: 40, 6: None}
    # a measure: context transition turns the row into the filter context the current row comes from
    text = (
        "DEFINE MEASURE Fact[Prev] = CALCULATE ( [Amt], OFFSET ( -1, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] "
        ') ) ) EVALUATE ADDCOLUMNS ( VALUES ( Cal[Month] ), "v", [Prev] )'
    )
    assert rows(engine, text) == {1: None, 2: 10, 3: 20, 4: 30, 5: 40, 6: None}


def test_offset_partitioned_by_quarter(engine: Engine) -> None:
    # the quarter is not grouped: its values in the group's context complete the current row
    previous = (
        "CALCULATE ( [Amt], OFFSET ( -1, ALL ( Cal[Quarter], Cal[Month] ), ORDERBY ( Cal[Month] ), "
        "PARTITIONBY ( Cal[Quarter] ) ) )"
    )
    assert by_month(engine, previous) == {2: 10, 3: 20, 5: 40}


def test_offset_out_of_range_and_several_current_rows(engine: Engine) -> None:
    count = (
        'EVALUATE ADDCOLUMNS ( VALUES ( Cal[Month] ), "v", COUNTROWS ( OFFSET ( {d}, ALL ( Cal[Month] ), '
        "ORDERBY ( Cal[Month] ) ) ) )"
    )
    assert rows(engine, count.format(d="-10")) == dict.fromkeys(range(1, 7))
    assert rows(engine, count.format(d="2")) == {1: 1, 2: 1, 3: 1, 4: 1, 5: None, 6: None}
    assert rows(engine, count.format(d="BLANK ()")) == dict.fromkeys(range(1, 7), 1)  # BLANK delta: the row
    # no filter on the month: every month is a current row, and the result is each one's next row
    assert engine.evaluate("COUNTROWS ( OFFSET ( 1, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ) )") == 5
    assert engine.evaluate("CALCULATE ( [Amt], OFFSET ( 1, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ) )") == 150


# ------------------------------------------------------------------------------------------- INDEX, WINDOW


def test_index(engine: Engine) -> None:
    index = "CALCULATE ( [Amt], INDEX ( {p}, ALL ( Cal[Month] ), ORDERBY ( Cal[Month], DESC ) ) )"
    assert engine.evaluate(index.format(p="1")) == 60
    assert engine.evaluate(index.format(p="-1")) == 10
    assert engine.evaluate(index.format(p="2")) is None  # month 5: no sales
    for outside in ("0", "7", "-7", "BLANK ()"):
        assert engine.evaluate(f"COUNTROWS ( INDEX ( {outside}, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ) )") is None
    first = (
        'EVALUATE SUMMARIZECOLUMNS ( Cal[Quarter], "v", CALCULATE ( [Amt], INDEX ( 1, ALL ( Cal[Quarter], '
        "Cal[Month] ), ORDERBY ( Cal[Month] ), PARTITIONBY ( Cal[Quarter] ) ) ) )"
    )
    assert rows(engine, first) == {1: 10, 2: 40}


def test_window(engine: Engine) -> None:
    window = "CALCULATE ( [Amt], WINDOW ( {w}, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ) )"
    assert by_month(engine, window.format(w="1, ABS, 0, REL")) == {1: 10, 2: 30, 3: 60, 4: 100, 5: 100, 6: 160}
    assert by_month(engine, window.format(w="-2, REL, 0, REL")) == {1: 10, 2: 30, 3: 60, 4: 90, 5: 70, 6: 100}
    assert by_month(engine, window.format(w="-2, 0")) == {1: 10, 2: 30, 3: 60, 4: 90, 5: 70, 6: 100}  # REL
    # clipped at the partition's end; month 6 has no next rows at all
    assert by_month(engine, window.format(w="1, REL, 3, REL")) == {1: 90, 2: 70, 3: 100, 4: 60, 5: 60}
    assert by_month(engine, window.format(w="0, ABS, -1, ABS")) == dict.fromkeys(range(1, 7), 160)
    assert by_month(engine, window.format(w="-2, ABS, -1, ABS")) == dict.fromkeys(range(1, 7), 60)
    assert by_month(engine, window.format(w="2, REL, 1, REL")) == {}  # ends before it starts
    quarter_to_date = (
        "CALCULATE ( [Amt], WINDOW ( 1, ABS, 0, REL, ALL ( Cal[Quarter], Cal[Month] ), "
        "ORDERBY ( Cal[Month] ), PARTITIONBY ( Cal[Quarter] ) ) )"
    )
    assert by_month(engine, quarter_to_date) == {1: 10, 2: 30, 3: 60, 4: 40, 5: 40, 6: 100}


# ------------------------------------------------------------------------------------------ RANK, ROWNUMBER


def test_rank_ties_and_blanks(engine: Engine) -> None:
    # DESC, DEFAULT: 5 a e f, 3 g, 0 d, BLANK c h, -2 b
    desc = "ORDERBY ( Score[Pts], DESC )"
    assert score_ranks(engine, f"RANK ( SKIP, Score, {desc} )") == {
        "a": 1,
        "e": 1,
        "f": 1,
        "g": 4,
        "d": 5,
        "c": 6,
        "h": 6,
        "b": 8,
    }
    assert score_ranks(engine, f"RANK ( DENSE, Score, {desc} )") == {
        "a": 1,
        "e": 1,
        "f": 1,
        "g": 2,
        "d": 3,
        "c": 4,
        "h": 4,
        "b": 5,
    }
    assert score_ranks(engine, f"RANK ( , Score, {desc} )")["g"] == 4  # SKIP is the default
    # ROWNUMBER breaks ties by the other columns (Name first)
    assert score_ranks(engine, f"ROWNUMBER ( Score, {desc} )") == {
        "a": 1,
        "e": 2,
        "f": 3,
        "g": 4,
        "d": 5,
        "c": 6,
        "h": 7,
        "b": 8,
    }
    assert score_ranks(engine, "RANK ( SKIP, Score, ORDERBY ( Score[Pts] ) )") == {
        "b": 1,
        "c": 2,
        "h": 2,
        "d": 4,
        "g": 5,
        "a": 6,
        "e": 6,
        "f": 6,
    }
    assert score_ranks(engine, "RANK ( SKIP, Score, ORDERBY ( Score[Pts], ASC ), LAST )") == {
        "b": 1,
        "d": 2,
        "g": 3,
        "a": 4,
        "e": 4,
        "f": 4,
        "c": 7,
        "h": 7,
    }
    assert score_ranks(engine, f"RANK ( SKIP, Score, {desc}, FIRST )") == {
        "c": 1,
        "h": 1,
        "a": 3,
        "e": 3,
        "f": 3,
        "g": 6,
        "d": 7,
        "b": 8,
    }
    # ORDERBY's own blanks rule wins over the function's
    assert score_ranks(engine, "RANK ( SKIP, Score, ORDERBY ( Score[Pts], DESC, LAST ), FIRST )")["c"] == 7


def test_text_order_blank_and_case(engine: Engine) -> None:
    # ascending, DEFAULT: BLANK, then "", then "a" before "B" (text compares case-insensitively)
    index = (
        'CONCATENATEX ( INDEX ( {p}, {{ "B", BLANK (), "", "a" }}, ORDERBY ( [Value]{order} ){blanks} ), '
        'IF ( ISBLANK ( [Value] ), "blank", "<" & [Value] & ">" ) )'
    )
    got = [engine.evaluate(index.format(p=p, order="", blanks="")) for p in (1, 2, 3, 4)]
    assert got == ["blank", "<>", "<a>", "<B>"]
    assert engine.evaluate(index.format(p=-1, order=", DESC", blanks="")) == "blank"
    assert engine.evaluate(index.format(p=1, order="", blanks=", LAST")) == "<>"
    assert engine.evaluate(index.format(p=-1, order="", blanks=", LAST")) == "blank"


def test_rank_partitioned(engine: Engine) -> None:
    assert score_ranks(engine, "RANK ( SKIP, Score, ORDERBY ( Score[Pts], DESC ), , PARTITIONBY ( Score[Grp] ) )") == {
        "a": 1,
        "d": 2,
        "c": 3,
        "b": 4,
        "e": 1,
        "f": 1,
        "g": 3,
        "h": 4,
    }


def test_rank_of_a_measure_and_rownumber_per_group(engine: Engine) -> None:
    assert by_month(engine, "RANK ( DENSE, ALL ( Cal[Month] ), ORDERBY ( [Amt], DESC ) )") == {
        6: 1,
        4: 2,
        3: 3,
        2: 4,
        1: 5,
        5: 6,
    }  # month 5's BLANK sorts after the positive amounts
    assert by_month(engine, "ROWNUMBER ( ALL ( Cal[Month] ), ORDERBY ( Cal[Month], DESC ) )") == {
        1: 6,
        2: 5,
        3: 4,
        4: 3,
        5: 2,
        6: 1,
    }
    # no matching row: BLANK
    assert (
        engine.evaluate("CALCULATE ( ROWNUMBER ( ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) ), Cal[Month] = 99 )")
        is None
    )


def test_errors_and_refusals(engine: Engine) -> None:
    with pytest.raises(DaxEngineError, match="more than one current row"):
        engine.evaluate("ROWNUMBER ( ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ) )")
    with pytest.raises(DaxEngineError, match="no column tells apart"):
        engine.evaluate("COUNTROWS ( OFFSET ( 1, { 1, 1, 2 }, ORDERBY ( [Value] ) ) )")
    matchby = (
        'EVALUATE ROW ( "v", COUNTROWS ( OFFSET ( 1, ALL ( Cal[Month] ), ORDERBY ( Cal[Month] ), , , '
        "MATCHBY ( Cal[Month] ) ) ) )"
    )
    with pytest.raises(Unsupported, match=f"unsupported: MATCHBY at 1:{matchby.index('MATCHBY') + 1}$"):
        engine.query(matchby)
    default = 'EVALUATE ROW ( "v", CALCULATE ( [Amt], OFFSET ( -1, ORDERBY ( Cal[Month] ) ) ) )'
    where = f"1:{default.index('OFFSET') + 1}"
    with pytest.raises(Unsupported, match=rf"unsupported: ALLSELECTED at {where} \(OFFSET without a relation"):
        engine.query(default)
    with pytest.raises(DaxEngineError, match="ORDERBY is an argument of OFFSET"):
        engine.evaluate("ORDERBY ( Cal[Month] )")


# ------------------------------------------------------------------------------------------------ PostgreSQL

#: Quick on PostgreSQL; a WINDOW with a REL bound or a RANK ordered by a measure per group takes seconds there (its
#: planner and correlated subqueries, as docs/engine.md says of other measures).
ON_SERVERS = (
    'SUMMARIZECOLUMNS ( Cal[Month], "v", CALCULATE ( [Amt], OFFSET ( -1, ALL ( Cal[Quarter], Cal[Month] ), '
    "ORDERBY ( Cal[Month] ), PARTITIONBY ( Cal[Quarter] ) ) ) )",
    'ADDCOLUMNS ( VALUES ( Cal[Month] ), "v", CALCULATE ( [Amt], OFFSET ( 1, ALL ( Cal[Month] ), '
    "ORDERBY ( Cal[Month], DESC ) ) ) )",
    'SUMMARIZECOLUMNS ( Cal[Quarter], "v", CALCULATE ( [Amt], INDEX ( -1, ALL ( Cal[Quarter], Cal[Month] ), '
    "ORDERBY ( Cal[Month] ), PARTITIONBY ( Cal[Quarter] ) ) ) )",
    'ADDCOLUMNS ( Score, "v", RANK ( DENSE, Score, ORDERBY ( Score[Pts], DESC, LAST ), , '
    'PARTITIONBY ( Score[Grp] ) ), "w", ROWNUMBER ( Score, ORDERBY ( Score[Pts] ) ) )',
)


def test_postgresql_agrees_with_duckdb(engine: Engine, postgres_db: str) -> None:
    connection_string = postgres_db.removeprefix("odbc:")
    loader = pyodbc.connect(connection_string, autocommit=True)
    _load(loader.cursor().execute, "DOUBLE PRECISION")
    loader.close()
    session = open_odbc_read_only(connection_string)
    try:
        server = Engine(MODEL, session)
        for query in ON_SERVERS:
            (want,), (got,) = engine.query(f"EVALUATE {query}"), server.query(f"EVALUATE {query}")
            assert Counter(got.rows) == Counter(want.rows), query
            assert len(want.rows) >= 2
    finally:
        session.close()


# ------------------------------------------------------------------------------------------------ property

_VALUES = st.one_of(st.none(), st.integers(-3, 3))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(st.sampled_from("xy"), _VALUES), min_size=1, max_size=8), descending=st.booleans())
@example(data=[("x", None), ("x", 0), ("x", -1), ("x", 1), ("x", None), ("y", 1), ("y", 1)], descending=False)
@example(data=[("x", None), ("x", 0), ("x", -1), ("x", 1), ("y", None), ("y", 2)], descending=True)
def test_rank_and_rownumber_against_counting(data: list[tuple[str, int | None]], descending: bool) -> None:
    """RANK = 1 + the rows of the partition strictly before the row; ROWNUMBER = 1 + the rows before it, ties
    broken by the other column (Id); BLANK sorts as DEFAULT puts it (between the negatives and zero)."""
    model = EngineModel(
        tables=(_table("T", ("Id", T.INTEGER), ("Grp", T.STRING), ("Val", T.INTEGER)),), relationships=()
    )
    connection = duckdb.connect()
    connection.execute('CREATE TABLE t ("Id" BIGINT, "Grp" VARCHAR, "Val" BIGINT)')
    connection.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, g, v) for i, (g, v) in enumerate(data)])
    direction = "DESC" if descending else "ASC"
    clauses = f"T, ORDERBY ( T[Val], {direction} ), , PARTITIONBY ( T[Grp] )"
    (result,) = Engine(model, connection).query(
        f'EVALUATE SELECTCOLUMNS ( ADDCOLUMNS ( T, "rk", RANK ( SKIP, {clauses} ), "rn", ROWNUMBER ( {clauses} ) ), '
        '"id", T[Id], "rk", [rk], "rn", [rn] )'
    )
    connection.close()

    def key(value: int | None) -> tuple[int, int]:
        sort = (value or 0, 0 if value is None else 1)
        return (-sort[0], -sort[1]) if descending else sort

    expected = Counter()
    for i, (group, value) in enumerate(data):
        peers = [(j, v) for j, (g, v) in enumerate(data) if g == group]
        rank = 1 + sum(1 for _, v in peers if key(v) < key(value))
        number = 1 + sum(1 for j, v in peers if (key(v), j) < (key(value), i))
        expected[(i, rank, number)] += 1
    assert Counter(result.rows) == expected
