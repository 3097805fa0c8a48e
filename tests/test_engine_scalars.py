"""DAX operators and scalar functions compiled to SQL (generator.engine.scalars), run on an in-memory DuckDB.

The Desktop-captured probes of ``reference/dax-conformance/desktop_goldens.json`` whose expression uses only
literals, operators and functions are replayed through a small test-side compiler; focused tests cover the BLANK
rules, comparisons, ``&``, datetime arithmetic, DIVIDE, SWITCH, IF's type unification and the error cases.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from generator.dax import ast
from generator.dax.parser import parse_expression, parse_query
from generator.engine import functions
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind
from generator.engine.scalars import (
    KEYWORD_ARGUMENTS,
    binary,
    blank,
    cast_to,
    if_function,
    in_list,
    literal_boolean,
    literal_number,
    literal_string,
    truthy,
    unary,
    unify_types,
)
from generator.engine.values import DaxType, Scalar

T = DaxType
# The shared reference folder sits beside the repository (<repo>/../shared); as in test_build_outputs, the probe
# tests skip when it is missing locally and fail with CI=true.
GOLDENS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dax-conformance" / "desktop_goldens.json"
ON_CI = os.environ.get("CI", "").lower() == "true"

# One row of typed columns, some NULL (BLANK), that the tests reference as [name].
COLUMNS: dict[str, tuple[str, DaxType]] = {
    "i5": ("5::BIGINT", T.INTEGER),
    "i0": ("0::BIGINT", T.INTEGER),
    "inull": ("NULL::BIGINT", T.INTEGER),
    "d": ("2.5::DOUBLE", T.DOUBLE),
    "dnull": ("NULL::DOUBLE", T.DOUBLE),
    "s": ("'abc'", T.STRING),
    "snull": ("NULL::VARCHAR", T.STRING),
    "bt": ("TRUE", T.BOOLEAN),
    "bnull": ("NULL::BOOLEAN", T.BOOLEAN),
    "t1": ("TIMESTAMP '2024-01-01 18:00:00'", T.DATETIME),
    "t2": ("TIMESTAMP '2024-01-02 00:00:00'", T.DATETIME),
    "tnull": ("NULL::TIMESTAMP", T.DATETIME),
}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    select = ", ".join(f"{sql} AS {name}" for name, (sql, _) in COLUMNS.items())
    connection.execute(f"CREATE TABLE t AS SELECT {select}")
    yield connection
    connection.close()


def compile_node(node: ast.Expr) -> Scalar:
    """A tiny compiler for constant DAX: literals, operators, IN, [column] of table t and scalar functions."""
    if isinstance(node, ast.Number):
        return literal_number(node.text)
    if isinstance(node, ast.String):
        return literal_string(node.value)
    if isinstance(node, ast.Boolean):
        return literal_boolean(node.value)
    if isinstance(node, ast.Paren):
        return compile_node(node.expr)
    if isinstance(node, ast.NameRef):
        _, dax_type = COLUMNS[node.name]
        return Scalar(exp.column(node.name), dax_type)
    if isinstance(node, ast.Unary):
        return unary(node.op, compile_node(node.operand), *node.position)
    if isinstance(node, ast.Binary):
        if node.op == "IN":
            left = node.left.items if isinstance(node.left, ast.Tuple) else (node.left,)
            assert isinstance(node.right, ast.TableConstructor)
            rows = [[compile_node(item) for item in row] for row in node.right.rows]
            return in_list([compile_node(item) for item in left], rows, *node.position)
        return binary(node.op, compile_node(node.left), compile_node(node.right), *node.position)
    if isinstance(node, ast.Call):
        keywords = KEYWORD_ARGUMENTS.get(node.name, frozenset())
        args = [blank() if i in keywords else compile_node(arg) for i, arg in enumerate(node.args)]
        if node.name == "IF":  # a compiler handler (it compiles the branch taken only); this is its scalar form
            return if_function(args, node)
        entry = functions.lookup(node.name)
        assert entry is not None and entry.kind is Kind.SCALAR, node.name
        return entry.scalar(args, node)
    raise AssertionError(f"test compiler: unexpected {node!r}")


def compile_dax(text: str) -> Scalar:
    return compile_node(parse_expression(text))


def run(con: duckdb.DuckDBPyConnection, scalar: Scalar) -> object:
    return con.execute(f"SELECT {scalar.sql.sql(dialect='duckdb')} FROM t").fetchone()[0]


def ev(con: duckdb.DuckDBPyConnection, text: str) -> object:
    return run(con, compile_dax(text))


def same(got: object, want: object) -> bool:
    if want is None or got is None:
        return got is want
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    return got == want


# ------------------------------------------------------------------------------------------- Desktop probes
def _references_data(node: object) -> bool:
    if isinstance(node, (ast.ColumnRef, ast.TableRef, ast.NameRef)):
        return True
    if isinstance(node, tuple):
        return any(_references_data(item) for item in node)
    if isinstance(node, ast.Node):
        return any(_references_data(getattr(node, name)) for name in node.__dataclass_fields__)
    return False


def _scalar_probes() -> list[tuple[str, ast.Expr, float]]:
    if not GOLDENS.is_file():
        return []
    probes = json.loads(GOLDENS.read_text(encoding="utf-8"))["probes"]
    selected = []
    for probe in probes:
        table = parse_query(probe["dax"]).evaluates[0].table
        assert isinstance(table, ast.Call) and table.name in ("SUMMARIZECOLUMNS", "ROW"), probe["name"]
        expression = table.args[1]
        if not _references_data(expression):
            selected.append((probe["name"], expression, probe["want"]))
    return selected


SCALAR_PROBES = _scalar_probes()


def test_probe_selection_covers_every_constant_probe() -> None:
    """162 of the 179 probes are constant expressions (the other 17 aggregate the retail model's columns)."""
    if not GOLDENS.is_file():
        message = f"shared reference file {GOLDENS} is missing"
        if ON_CI:
            pytest.fail(message + " (CI=true, so this is a failure, not a skip)")
        pytest.skip(message)
    assert len(SCALAR_PROBES) == 162


@pytest.mark.parametrize(
    ("expression", "want"), [(e, w) for _, e, w in SCALAR_PROBES], ids=[n for n, _, _ in SCALAR_PROBES]
)
def test_desktop_probe(con: duckdb.DuckDBPyConnection, expression: ast.Expr, want: float) -> None:
    got = run(con, compile_node(expression))
    if isinstance(got, bool):
        got = int(got)
    assert isinstance(got, (int, float)), got
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (got, want)


def test_sql_renders_for_other_dialects() -> None:
    samples = [compile_node(e).sql for _, e, _ in SCALAR_PROBES]
    samples += [
        compile_dax(text).sql
        for text in (
            "([t2] - [t1]) * 24",
            "[t1] + 1.5",
            "[snull] = [s] & 1",
            'SWITCH(TRUE(), [i5] > 1, "a", [bnull], "b", "c")',
            "DIVIDE([i5], [inull], 0)",
            '(1, "a") IN {(1, "A"), (2, "b")}',
            'CONTAINSSTRING([s], "a*c") && NOT ISBLANK([snull])',
            "DATE([i5], [i0], 1) + TIME([i5], 0, 0)",
            "DATEDIFF([t1], [t2], HOUR) + WEEKNUM([t1], 21) + EOMONTH([t1], 1) - EDATE([t1], -1)",
            "FIXED([d], 1) & TRIM([s]) & [bt] & [t1]",
        )
    ]
    for dialect in ("tsql", "postgres", "spark", "duckdb"):
        for sql in samples:
            assert sql.sql(dialect=dialect)


# ----------------------------------------------------------------------------------------- BLANK arithmetic
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("BLANK() + BLANK()", None),
        ("BLANK() + 5", 5),
        ("5 - BLANK()", 5),
        ("BLANK() - 5", -5),
        ("BLANK() * 5", None),
        ("BLANK() / BLANK()", None),
        ("BLANK() / 5", None),
        ("5 / BLANK()", math.inf),
        ("0 / BLANK()", math.nan),
        ("-5 / 0", -math.inf),
        ("5 / 0", math.inf),
        ("0 / 0", math.nan),
        ("[inull] + [inull]", None),
        ("[inull] + 5", 5),
        ("5 - [inull]", 5),
        ("[inull] - 5", -5),
        ("[inull] - [dnull]", None),
        ("[inull] * 5", None),
        ("[i5] / [inull]", math.inf),
        ("[i0] / [inull]", math.nan),
        ("[inull] / [inull]", None),
        ("[i5] / [i0]", math.inf),
        ("-BLANK()", None),
        ("-[inull]", None),
        ("TRUE() + 1", 2),
        ('"22" + 22', 44),
        ("2000000000 * 2", 4000000000),
        ("-2 ^ 2", -4),
        ("(-2) ^ 2", 4),
        ("2 ^ -1", 0.5),
        ("BLANK() ^ 2", None),
        ("2 ^ BLANK()", 1),
        ("[d] ^ [inull]", 1),
        ("POWER(BLANK(), 0)", None),
        ("7 - 2 - 1", 4),
        ("2 * (3 + 4)", 14),
        ("-(2 - 5)", 3),
        ("10 - -2", 12),
    ],
)
def test_blank_arithmetic(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("1 + 2", T.INTEGER),
        ("1 * 2", T.INTEGER),
        ("1 - 2.0", T.DOUBLE),
        ("1 / 1", T.DOUBLE),
        ("2 ^ 2", T.DOUBLE),
        ("TRUE() + 1", T.INTEGER),
        ("BLANK() + 1", T.INTEGER),
        ("BLANK() + BLANK()", T.BLANK),
        ("[t2] - [t1]", T.DOUBLE),
        ("[t1] + 1", T.DATETIME),
        ("1 + [t1]", T.DATETIME),
        ("[t1] - 1", T.DATETIME),
        ("1 - [t1]", T.DOUBLE),
        ("[t1] * 1", T.DOUBLE),
        ("1 & 2", T.STRING),
        ("1 < 2", T.BOOLEAN),
        ("-[i5]", T.INTEGER),
    ],
)
def test_result_types(dax: str, want: DaxType) -> None:
    assert compile_dax(dax).type is want


# ---------------------------------------------------------------------------------------- datetime arithmetic
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("[t2] - [t1]", 0.25),
        ("([t2] - [t1]) * 24", 6.0),
        ("DATE(2024, 1, 2) - DATE(2024, 1, 1)", 1.0),
        ("DATE(2024, 3, 1) - DATE(2024, 2, 1)", 29.0),
        ("[t1] - [t2]", -0.25),
        ("[t1] + 1", dt.datetime(2024, 1, 2, 18, 0)),
        ("[t1] + 0.25", dt.datetime(2024, 1, 2, 0, 0)),
        ("1 + [t1]", dt.datetime(2024, 1, 2, 18, 0)),
        ("[t1] - 0.75", dt.datetime(2024, 1, 1, 0, 0)),
        ("[t1] + TRUE()", dt.datetime(2024, 1, 2, 18, 0)),
        ("[t1] * 1", 45292.75),
        ("[t1] + [inull]", dt.datetime(2024, 1, 1, 18, 0)),
        ("[t2] - [tnull]", 45293.0),
        ("[tnull] - [t1]", -45292.75),
        ("[tnull] - [tnull]", None),
        ("[tnull] + 1", dt.datetime(1899, 12, 31, 0, 0)),
        ("[t1] - BLANK()", dt.datetime(2024, 1, 1, 18, 0)),
        ("BLANK() - [t1]", -45292.75),
        ("46000 - [t2]", 46000 - 45293.0),
        ("-[t1]", -45292.75),
        ("INT([t2] - [t1] + 2.5)", 2),
    ],
)
def test_datetime_arithmetic(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


# ------------------------------------------------------------------------------------------------ comparisons
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("BLANK() = 0", True),
        ("BLANK() == 0", False),
        ("BLANK() = BLANK()", True),
        ("BLANK() == BLANK()", True),
        ("BLANK() <> BLANK()", False),
        ("BLANK() < BLANK()", False),
        ("BLANK() <= BLANK()", True),
        ("[inull] = 0", True),
        ("[inull] == 0", False),
        ("[inull] == BLANK()", True),
        ("[inull] == [dnull]", True),
        ("[i0] == [inull]", False),
        ("[inull] <> [inull]", False),
        ("[inull] < 1", True),
        ("[inull] > -1", True),
        ('[snull] = ""', True),
        ('[snull] == ""', False),
        ('BLANK() = ""', True),
        ('"ABC" = "abc"', True),
        ('"ABC" == "abc"', True),
        ('"a" < "B"', True),
        ('[s] = "ABC"', True),
        ("[bnull] = FALSE()", True),
        ("BLANK() = FALSE()", True),
        ("TRUE() > FALSE()", True),
        ("[tnull] = DATE(1899, 12, 30)", True),
        ("[t1] < [t2]", True),
        ("[t2] > 45292", True),
        ("45293 = [t2]", True),
        ("1 = 1.0", True),
        ("1 <> 2", True),
        ("2 >= 2", True),
        ("2 <= 1", False),
    ],
)
def test_comparisons(con: duckdb.DuckDBPyConnection, dax: str, want: bool) -> None:
    assert ev(con, dax) is want


@pytest.mark.parametrize("dax", ['1 = "1"', '"1" > 0', "TRUE() = 1", "[s] <> [i5]", '[t1] = "x"'])
def test_comparing_incompatible_types_is_an_error(dax: str) -> None:
    with pytest.raises(DaxEngineError, match="cannot compare") as caught:
        compile_dax(dax)
    assert (caught.value.line, caught.value.column) == (1, 1)


# -------------------------------------------------------------------------------------------------------- IN
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("2 IN {1, 2}", True),
        ("3 IN {1, 2}", False),
        ("BLANK() IN {0}", True),
        ("[inull] IN {1, 2}", False),
        ("[inull] IN {BLANK()}", True),
        ('"a" IN {"A", "b"}', True),
        ('(1, "a") IN {(1, "A"), (2, "b")}', True),
        ('(2, "a") IN {(1, "A"), (2, "b")}', False),
        ("NOT 2 IN {1, 2}", False),
    ],
)
def test_in(con: duckdb.DuckDBPyConnection, dax: str, want: bool) -> None:
    assert ev(con, dax) is want


def test_in_with_mismatched_arity_is_an_error() -> None:
    with pytest.raises(DaxEngineError, match="counts must match"):
        compile_dax("(1, 2) IN {(1, 2, 3)}")
    assert in_list([literal_number("1")], []).sql.sql() == "FALSE"


# ----------------------------------------------------------------------------------------------- concatenation
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("12 & 34", "1234"),
        ('1.5 & ""', "1.5"),
        ('2.0 & "x"', "2x"),
        ('0.1 + 0.2 & ""', "0.3"),
        ('1 / 3 & ""', "0.333333333333333"),
        ('-5 & ""', "-5"),
        ("BLANK() & BLANK()", ""),
        ('[snull] & "a"', "a"),
        ('"a" & [inull]', "a"),
        ("[dnull] & [snull]", ""),
        ('TRUE() & ""', "TRUE"),
        ('[bnull] & ""', ""),
        ('DATE(2024, 8, 5) & ""', "8/5/2024"),
        ('[t1] & ""', "1/1/2024 6:00:00 PM"),
        ('"x" & 1 & "y"', "x1y"),
        ('CONCATENATE("a", 1)', "a1"),
    ],
)
def test_concatenation(con: duckdb.DuckDBPyConnection, dax: str, want: str) -> None:
    assert ev(con, dax) == want


# ---------------------------------------------------------------------------------------------------- logic
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("FALSE() || BLANK()", False),
        ("TRUE() || BLANK()", True),
        ("TRUE() && BLANK()", False),
        ("FALSE() && BLANK()", False),
        ("BLANK() || BLANK()", None),
        ("BLANK() && BLANK()", None),
        ("[bnull] || [bnull]", None),
        ("[bnull] && [bnull]", None),
        ("[bnull] || TRUE()", True),
        ("[bnull] || FALSE()", False),
        ("[bnull] && TRUE()", False),
        ("TRUE() && [bnull]", False),
        ("[bt] || [bnull]", True),
        ("OR([bnull], [bt])", True),
        ("AND([bt], [bt])", True),
        ("AND(1, 0)", False),
        ("1 && 2", True),
        ("[inull] || 3", True),
        ("NOT BLANK()", True),
        ("NOT [inull]", True),
        ("NOT [bnull]", True),
        ("NOT(1)", False),
        ('NOT ""', True),
        ("1 < 2 && 2 < 3 || FALSE()", True),
    ],
)
def test_logic(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert ev(con, dax) is want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("BLANK()", False),
        ("FALSE()", False),
        ("0", False),
        ("0.0", False),
        ('""', False),
        ("[inull]", False),
        ("[snull]", False),
        ("[bnull]", False),
        ("[tnull]", False),
        ("DATE(1899, 12, 30)", False),
        ("2", True),
        ("-0.5", True),
        ("TRUE()", True),
        ('"true"', True),
        ('"FALSE"', False),
        ("[t1]", True),
    ],
)
def test_truthy(con: duckdb.DuckDBPyConnection, value: str, want: bool) -> None:
    condition = truthy(compile_dax(value))
    assert con.execute(f"SELECT {condition.sql(dialect='duckdb')} FROM t").fetchone()[0] is want
    assert ev(con, f"IF({value}, 1, 0)") == int(want)


def test_truthy_of_other_text_is_a_runtime_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match="DAX: cannot convert a text value"):
        ev(con, 'IF("abc", 1, 0)')


# ---------------------------------------------------------------------------------------------- IF / SWITCH
@pytest.mark.parametrize(
    ("dax", "want_type", "want"),
    [
        ("IF(TRUE(), 1, 0)", T.INTEGER, 1),
        ("IF(FALSE(), 1, 0.5)", T.DOUBLE, 0.5),
        ("IF(TRUE(), 1, 0.5)", T.DOUBLE, 1.0),
        ("IF(FALSE(), 1)", T.INTEGER, None),
        ("IF(TRUE(), BLANK(), 2.5)", T.DOUBLE, None),
        ("IF(FALSE(), BLANK(), 2.5)", T.DOUBLE, 2.5),
        ("IF(TRUE(), BLANK())", T.BLANK, None),
        ('IF([inull], "a", "b")', T.STRING, "b"),
        ("IF([i5] > 1, [t1], BLANK())", T.DATETIME, dt.datetime(2024, 1, 1, 18, 0)),
        ('IF.EAGER(1 = 1, "y", "n")', T.STRING, "y"),
        ("IF(TRUE(), TRUE(), [bnull])", T.BOOLEAN, True),
    ],
)
def test_if(con: duckdb.DuckDBPyConnection, dax: str, want_type: DaxType, want: object) -> None:
    scalar = compile_dax(dax)
    assert scalar.type is want_type
    assert same(run(con, scalar), want)
    if isinstance(want, float):
        assert isinstance(run(con, scalar), float)


def test_if_with_mixed_result_types_is_unsupported() -> None:
    with pytest.raises(Unsupported, match=r"unsupported: IF with results of different types \(INTEGER, STRING\)"):
        compile_dax('IF(TRUE(), 1, "x")')


@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("SWITCH(0, BLANK(), 10, 99)", 99),
        ("SWITCH(BLANK(), 0, 5, BLANK(), 10, 99)", 10),
        ("SWITCH([inull], 0, 1, BLANK(), 2, 3)", 2),
        ("SWITCH([i0], BLANK(), 1, 0, 2, 3)", 2),
        ('SWITCH(TRUE(), 1 > 2, "a", 2 > 1, "b", "c")', "b"),
        ('SWITCH(TRUE(), [bnull], "a", [bt], "b")', "b"),
        ("SWITCH(TRUE(), FALSE(), 1)", None),
        ("SWITCH(TRUE(), BLANK(), 1, 2)", 2),
        ('SWITCH("A", "a", 1, 2)', 1),
        ("SWITCH(2, 1, 1, 2, 2.5)", 2.5),
        ('SWITCH(3, 1, "one", 2, "two")', None),
        ("SWITCH(FALSE(), TRUE(), 1, FALSE(), 2)", 2),
    ],
)
def test_switch(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


def test_switch_types() -> None:
    assert compile_dax("SWITCH(1, 1, 1, 2, 2.5)").type is T.DOUBLE
    assert compile_dax("SWITCH(1, 1, 1, 2)").type is T.INTEGER
    with pytest.raises(Unsupported):
        compile_dax('SWITCH(1, 1, "a", 2)')
    with pytest.raises(DaxEngineError, match="cannot compare"):
        compile_dax('SWITCH(TRUE(), 1, "a")')


def test_unify_types_and_cast_to(con: duckdb.DuckDBPyConnection) -> None:
    assert unify_types([T.INTEGER, T.INTEGER]) is T.INTEGER
    assert unify_types([T.INTEGER, T.DOUBLE]) is T.DOUBLE
    assert unify_types([T.INTEGER, T.DECIMAL]) is T.DOUBLE
    assert unify_types([T.BLANK, T.STRING]) is T.STRING
    assert unify_types([T.BLANK, T.BLANK]) is T.BLANK
    assert unify_types([]) is T.BLANK
    assert unify_types([T.STRING, T.INTEGER]) is T.VARIANT
    assert unify_types([T.BOOLEAN, T.INTEGER]) is T.VARIANT
    assert unify_types([T.DATETIME, T.VARIANT]) is T.VARIANT
    cases = [
        (literal_number("2.5"), T.INTEGER, 3),
        (compile_dax("-2.5"), T.INTEGER, -3),
        (literal_number("7"), T.DOUBLE, 7.0),
        (literal_boolean(True), T.INTEGER, 1),
        (literal_string("12"), T.INTEGER, 12),
        (literal_number("1.5"), T.STRING, "1.5"),
        (literal_number("1.23456"), T.DECIMAL, 1.2346),
        (literal_number("0"), T.BOOLEAN, False),
        (blank(), T.INTEGER, None),
        (compile_dax("[t1]"), T.DOUBLE, 45292.75),
        (literal_number("45292.75"), T.DATETIME, dt.datetime(2024, 1, 1, 18, 0)),
    ]
    for value, target, want in cases:
        converted = cast_to(value, target)
        assert converted.type is target
        assert same(run(con, converted), want), (value, target)
    with pytest.raises(Unsupported):
        cast_to(literal_number("1"), T.VARIANT)


# ---------------------------------------------------------------------------------------------------- DIVIDE
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("DIVIDE(6, 3)", 2.0),
        ("DIVIDE(5, 0)", None),
        ("DIVIDE(5, 0, 1)", 1.0),
        ("DIVIDE(BLANK(), 2)", None),
        ("DIVIDE(5, BLANK())", None),
        ("DIVIDE(5, BLANK(), -1)", -1.0),
        ("DIVIDE(BLANK(), 0, 7)", 7.0),
        ("DIVIDE([i5], [i0])", None),
        ("DIVIDE([i5], [inull], -1)", -1.0),
        ("DIVIDE([inull], [i5])", None),
        ("DIVIDE([inull], [i5], 0)", None),
        ("DIVIDE([i5], 2)", 2.5),
        ("DIVIDE([i5], [d] - 2.5, BLANK())", None),
    ],
)
def test_divide(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    scalar = compile_dax(dax)
    assert scalar.type in (T.DOUBLE, T.BLANK)
    assert same(run(con, scalar), want)


def test_divide_with_a_text_alternate_is_unsupported() -> None:
    with pytest.raises(Unsupported):
        compile_dax('DIVIDE(1, 2, "n/a")')


# ------------------------------------------------------------------------------------------- more functions
@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("COALESCE(BLANK(), [inull], 3)", 3),
        ('COALESCE("", "x")', ""),
        ("COALESCE([inull], 2.5)", 2.5),
        ('ISBLANK("")', False),
        ("ISBLANK([snull])", True),
        ("ISBLANK(BLANK())", True),
        ("ABS([inull])", None),
        ("ABS(-3)", 3),
        ("SIGN(BLANK())", None),
        ("SIN(BLANK())", None),
        ("COS(BLANK())", 1.0),
        ("COS([dnull])", 1.0),
        ("EXP(BLANK())", 1.0),
        ("ROUND(BLANK(), 0)", None),
        ("ROUND(2.5, BLANK())", 3.0),
        ("ROUND(-0.5, 0)", -1.0),
        ("ROUND(1234.5678, [i0] + 2)", 1234.57),
        ("ROUNDUP(2.2, 1)", 2.2),
        ("ROUNDUP(2.21, 1)", 2.3),
        ("ROUNDUP(-2.21, 1)", -2.3),
        ("ROUNDUP(1234, -2)", 1300.0),
        ("ROUNDUP(2.21, [i0] + 1)", 2.3),
        ("ROUNDDOWN(-2.29, 1)", -2.2),
        ("ROUNDDOWN(2.99, 0)", 2.0),
        ("TRUNC(0.29, 2)", 0.29),
        ("TRUNC(-2.9)", -2.0),
        ("INT([d])", 2),
        ("MOD(-7.5, 2)", 0.5),
        ("MOD([inull], 3)", None),
        ("MOD([i5], [d])", 0.0),
        ("MOD(-10, [i5] - 2)", 2),
        ("QUOTIENT(7.9, 2)", 3),
        ("FLOOR(0.3, 0.1)", 0.3),
        ("CEILING(0.3, 0.1)", 0.3),
        ("CEILING(2.5, [i0])", 0.0),
        ("FLOOR(2.5, [i5] - 4)", 2.0),
        ("LOG(8, 2)", 3.0),
        ("LOG(1000)", 3.0),
        ("SQRT([inull])", None),
        ("POWER(2, 10)", 1024.0),
        ("POWER(-8, 1)", -8.0),
        ("POWER(4, [d] - 2)", 2.0),
        ("ACOS(BLANK())", math.pi / 2),
        ("DEGREES(BLANK())", None),
        ('VALUE(" 12.5 ")', 12.5),
        ("VALUE(3)", 3.0),
        ("CONVERT(2.5, INTEGER)", 3),
        ('CONVERT("12", DOUBLE)', 12.0),
        ("CONVERT(1, BOOLEAN)", True),
        ("CONVERT(12, STRING)", "12"),
        ("CONVERT(45292.75, DATETIME)", dt.datetime(2024, 1, 1, 18, 0)),
    ],
)
def test_functions(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ("DATE(2024, 1, 31) + 1", dt.datetime(2024, 2, 1)),
        ("DATE(2024, -1, 1)", dt.datetime(2023, 11, 1)),
        ("DATE(2024, 2, 30)", dt.datetime(2024, 3, 1)),
        ("DATE([i5], 13, 1)", dt.datetime(2006, 1, 1)),
        ("DATE([i5] + 95, 1, 1)", dt.datetime(100, 1, 1)),
        ("DATE([i5] + 60, 1, [i5] + 27)", dt.datetime(1965, 2, 1)),
        ("DATE([inull] + 2024, [d], 1)", dt.datetime(2024, 3, 1)),
        ("TIME(12, 30, 45)", dt.datetime(1899, 12, 30, 12, 30, 45)),
        ("TIME([i5], 90, [inull])", dt.datetime(1899, 12, 30, 6, 30)),
        ("TIME(1, -30, 0)", dt.datetime(1899, 12, 30, 0, 30)),
        ("TIME(BLANK(), BLANK(), BLANK())", dt.datetime(1899, 12, 30)),
        ("DATE(2024, 1, 1) + TIME(6, 0, 0)", dt.datetime(2024, 1, 1, 6, 0)),
        ("YEAR(BLANK())", 1899),
        ("MONTH([tnull])", 12),
        ("QUARTER(DATE(2024, 8, 15))", 3),
        ("HOUR([t1])", 18),
        ("YEAR(45292)", 2024),
        ('YEAR("2024-08-15")', 2024),
        ("WEEKDAY(BLANK())", 7),
        ("WEEKDAY([t1], 2)", 1),
        ("WEEKNUM(DATE(2024, 1, 7), 2)", 1),
        ("WEEKNUM(DATE(2024, 1, 8), 2)", 2),
        ("WEEKNUM(DATE(2024, 1, 6), 1)", 1),
        ("WEEKNUM(DATE(2023, 1, 1), 1)", 1),
        ("WEEKNUM(DATE(2023, 1, 2), 1)", 1),
        ("WEEKNUM(DATE(2023, 1, 8), 1)", 2),
        ("WEEKNUM(DATE(2023, 1, 2), 2)", 2),
        ("WEEKNUM(DATE(2021, 1, 1), 21)", 53),
        ("WEEKNUM(DATE(2023, 12, 31), 16)", 53),
        ("EOMONTH(DATE(2008, 3, 3), 1.5)", dt.datetime(2008, 5, 31)),
        ("EOMONTH([t1], -1)", dt.datetime(2023, 12, 31)),
        ("EOMONTH([tnull], 0)", None),
        ("EDATE(DATE(2024, 1, 31), 1.9)", dt.datetime(2024, 2, 29)),
        ("EDATE([t1], 0)", dt.datetime(2024, 1, 1)),
        ("EDATE(BLANK(), 1)", None),
        ("DATEDIFF(DATE(2019, 7, 1), DATE(2021, 12, 31), YEAR)", 2),
        ("DATEDIFF(DATE(2019, 7, 1), DATE(2021, 12, 31), QUARTER)", 9),
        ("DATEDIFF(DATE(2019, 7, 1), DATE(2021, 12, 31), MONTH)", 29),
        ("DATEDIFF(DATE(2019, 7, 1), DATE(2021, 12, 31), WEEK)", 130),
        ("DATEDIFF(DATE(2019, 7, 1), DATE(2021, 12, 31), DAY)", 914),
        ("DATEDIFF(DATE(2016, 1, 1), DATE(2016, 3, 31), HOUR)", 2160),
        ("DATEDIFF(DATE(2016, 1, 1), DATE(2016, 3, 31), SECOND)", 7776000),
        ("DATEDIFF(DATE(2024, 8, 17), DATE(2024, 8, 18), WEEK)", 1),
        ("DATEDIFF(DATE(2024, 8, 18), DATE(2024, 8, 24), WEEK)", 0),
        ("DATEDIFF([t2], [t1], MINUTE)", -360),
        ("DATEDIFF([t1], [tnull], DAY)", None),
    ],
)
def test_dates(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


@pytest.mark.parametrize(
    ("dax", "want"),
    [
        ('UPPER("abc")', "ABC"),
        ('LOWER([s] & "XY")', "abcxy"),
        ("UPPER(BLANK())", None),
        ("UPPER(12)", "12"),
        ('LEN("héllo")', 5),
        ("LEN(BLANK())", 0),
        ("LEN(12.5)", 4),
        ('LEFT("abc")', "a"),
        ('LEFT("abc", 2)', "ab"),
        ('LEFT("abc", 10)', "abc"),
        ('RIGHT("abc", 2)', "bc"),
        ("RIGHT([s], [i0])", ""),
        ('MID("abcdef", 2, 3)', "bcd"),
        ("MID([s], [i5] - 3, 10)", "bc"),
        ('TRIM("  a   b  ")', "a b"),
        ('SUBSTITUTE("aXbX", "X", "-")', "a-b-"),
        ('SUBSTITUTE("aXbX", "x", "-")', "aXbX"),
        ('SUBSTITUTE("abc", "b", BLANK())', "ac"),
        ('EXACT("a", "A")', False),
        ('EXACT("a", "a")', True),
        ('EXACT(BLANK(), "")', True),
        ('CONTAINSSTRING("Abc", "b")', True),
        ('CONTAINSSTRING("abc", "B")', True),
        ('CONTAINSSTRING("abc", "a*c")', True),
        ('CONTAINSSTRING("abc", "a?c")', True),
        ('CONTAINSSTRING("abc", "a?b")', False),
        ('CONTAINSSTRING("a%c", "%")', True),
        ('CONTAINSSTRING("abc", "%")', False),
        ('CONTAINSSTRING("a*c", "~*")', True),
        ('CONTAINSSTRING("abc", "~*")', False),
        ('CONTAINSSTRING(BLANK(), "a")', False),
        ('CONTAINSSTRING([s], [s] & "")', True),
        ('CONTAINSSTRINGEXACT("Abc", "a")', False),
        ('CONTAINSSTRINGEXACT("Abc", "A")', True),
        ("FIXED(1234.567)", "1,234.57"),
        ("FIXED(1234.567, 1, TRUE())", "1234.6"),
        ("FIXED(-1234.5, 0)", "-1,235"),
        ("FIXED(1234.567, -2)", "1,200"),
    ],
)
def test_text(con: duckdb.DuckDBPyConnection, dax: str, want: object) -> None:
    assert same(ev(con, dax), want)


# ----------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("dax", "message", "position"),
    [
        ("IF(1)", "IF takes 2 or 3 arguments, got 1", (1, 1)),
        ("1 + ROUND(1)", "ROUND takes 2 arguments, got 1", (1, 5)),
        ("AND(1, 2, 3)", "AND takes 2 arguments, got 3", (1, 1)),
        ("OR(TRUE())", "OR takes 2 arguments, got 1", (1, 1)),
        ("PI(1)", "PI takes no arguments, got 1", (1, 1)),
        ("BLANK(1)", "BLANK takes no arguments, got 1", (1, 1)),
        ("SWITCH(1, 2)", "SWITCH takes at least 3 arguments, got 2", (1, 1)),
        ("COALESCE(1)", "COALESCE takes at least 2 arguments, got 1", (1, 1)),
        ("DIVIDE(1, 2, 3, 4)", "DIVIDE takes 2 or 3 arguments, got 4", (1, 1)),
        ("FIXED(1, 2, 3, 4)", "FIXED takes 1 to 3 arguments, got 4", (1, 1)),
        ("\n  DATE(2024, 1)", "DATE takes 3 arguments, got 2", (2, 3)),
        ("ISBLANK()", "ISBLANK takes 1 argument, got 0", (1, 1)),
        ("WEEKDAY(DATE(2024, 1, 1), 4)", "WEEKDAY: return type 4", (1, 1)),
        ("DATEDIFF(DATE(2024, 1, 1), DATE(2024, 1, 2), FORTNIGHT)", "DATEDIFF: the interval", (1, 46)),
        ("CONVERT(1, FOO)", "CONVERT: unknown data type", (1, 12)),
    ],
)
def test_compile_errors(dax: str, message: str, position: tuple[int, int]) -> None:
    with pytest.raises(DaxEngineError) as caught:
        compile_dax(dax)
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == position
    assert str(caught.value).endswith(f"at {position[0]}:{position[1]}")


@pytest.mark.parametrize(
    ("dax", "message"),
    [
        ("POWER(0, 0)", "POWER of 0 to a zero or negative power"),
        ("0 ^ 0", "POWER of 0 to a zero or negative power"),
        ("POWER(0, -1)", "POWER of 0 to a zero or negative power"),
        ("POWER(-8, 1 / 3)", "POWER of a negative number to a fractional power"),
        ("POWER([i0], [inull])", "POWER of 0 to a zero or negative power"),
        ("SQRT(-1)", "SQRT: the argument is negative"),
        ("LN(0)", "LN: the argument must be greater than 0"),
        ("LN(BLANK())", "LN: the argument is BLANK"),
        ("ROUND(LN(BLANK()), 2)", "LN: the argument is BLANK"),
        ("LOG(-1)", "LOG: the number must be greater than 0"),
        ("LOG([inull])", "LOG: the number must be greater than 0"),
        ("LOG(8, 1)", "LOG: the base is 1"),
        ("LOG10(0)", "LOG10: the number must be greater than 0"),
        ("ASIN(2)", "ASIN: the argument is outside"),
        ("ACOS(-1.5)", "ACOS: the argument is outside"),
        ("MOD(5, 0)", "MOD: division by zero"),
        ("ABS(MOD(5, 0))", "MOD: division by zero"),
        ("MOD(5, BLANK())", "MOD: division by zero"),
        ("MOD(5, [i0])", "MOD: division by zero"),
        ("QUOTIENT(1, 0)", "QUOTIENT: division by zero"),
        ("QUOTIENT(1, [inull])", "QUOTIENT: division by zero"),
        ("FLOOR(1, 0)", "FLOOR: the significance is 0"),
        ("FLOOR(2.5, [i0])", "FLOOR: the significance is 0"),
        ("FLOOR(2.5, -1)", "FLOOR: a positive number with a negative significance"),
        ("CEILING(2.5, [i0] - 1)", "CEILING: a positive number with a negative significance"),
        ("DATE(2024, 1, 0)", "DATE: the day must be at least 1"),
        ("YEAR(DATE(2024, 1, 0))", "DATE: the day must be at least 1"),
        ("DATE(2024, 1, [i0])", "DATE: the day must be at least 1"),
        ("DATE(-1900, 1, 1)", "DATE: the year is outside 1-9999"),
        ("TIME(-1, 0, 0)", "TIME: the time is negative"),
        ("TIME([i0] - 1, 0, 0)", "TIME: the time is negative"),
        ('LEFT("abc", -1)', "LEFT: the number of characters must be at least 0"),
        ('MID("abc", 0, 1)', "MID: the start must be at least 1"),
        ('CONTAINSSTRING("abc", [s] & "*")', "CONTAINSSTRING: wildcards"),
        ('VALUE("abc")', "Could not convert"),
        ('"abc" + 1', "Could not convert"),
    ],
)
def test_runtime_errors(con: duckdb.DuckDBPyConnection, dax: str, message: str) -> None:
    """Inputs DAX rejects raise when the query runs (the SQL calls DuckDB's error()), never a wrong number."""
    prefix = "" if message.startswith("Could not") else "DAX: "
    with pytest.raises(duckdb.Error, match=re.escape(prefix + message)):
        ev(con, dax)


def test_unsupported_constructs() -> None:
    with pytest.raises(Unsupported, match="SUBSTITUTE with an instance number"):
        compile_dax('SUBSTITUTE("a", "a", "b", 1)')
    with pytest.raises(Unsupported, match="non-constant return type"):
        compile_dax("WEEKDAY([t1], [i5])")
    with pytest.raises(Unsupported):
        binary("+", Scalar(exp.column("v"), T.VARIANT), literal_number("1"))
    assert not functions.is_kind("SUM", Kind.SCALAR)
    assert functions.lookup("SEARCH") is None  # FORMAT is generator/engine/formatting.py


def test_literals() -> None:
    assert literal_number("12").type is T.INTEGER
    assert literal_number("1.5").type is T.DOUBLE
    assert literal_number(".5").type is T.DOUBLE
    assert literal_number("99999999999999999999").type is T.DOUBLE
    assert blank().sql == exp.Null() and blank().type is T.BLANK
    assert literal_string("it's").sql.sql(dialect="duckdb") == "'it''s'"


def test_shared_operands_are_not_aliased() -> None:
    """A compiled operand used twice (e.g. in COALESCE fallbacks) is copied, so each SQL node has one parent."""
    operand = compile_dax("[inull]")
    result = binary("+", operand, compile_dax("[dnull]")).sql
    nodes = [node for node in result.walk() if isinstance(node, exp.Column)]
    assert len(nodes) == 4
    assert len({id(node) for node in nodes}) == 4
    for node in nodes:
        assert any(child is node for child in node.parent.iter_expressions())
