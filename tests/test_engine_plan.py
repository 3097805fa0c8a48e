"""Grouped-aggregate plans (generator/engine/plan.py): which correlated subqueries become GROUP BY aggregates,
how equal ones are shared, and that the rewritten SQL gives the same rows as the correlated SQL on DuckDB."""

from __future__ import annotations

import itertools

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from generator.engine import sqlfuncs
from generator.engine.plan import AggregatePlan, analyse, correlated_with, empty_value, hoist


def _plan(outer: str = "g") -> AggregatePlan:
    counter = itertools.count()
    return AggregatePlan(outer, lambda prefix: f"{prefix}{next(counter)}")


def _engine_functions(node: exp.Expression) -> exp.Expression:
    """``error(…)`` as the engine builds it (:class:`sqlfuncs.DaxError`), not as an unknown function."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "error":
        return sqlfuncs.DaxError(this=node.expressions[0])
    return node


def _scalar(sql: str) -> exp.Subquery:
    found = sqlglot.parse_one(f"SELECT ({sql}) FROM x AS g").transform(_engine_functions).find(exp.Subquery)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE f (k VARCHAR, m INTEGER, x DOUBLE)")
    con.execute("INSERT INTO f VALUES ('a', 1, 1.5), ('a', 2, NULL), ('B', 1, 4), (NULL, 2, 8), ('b', NULL, 16)")
    con.execute("CREATE TABLE groups (c0 VARCHAR, c1 INTEGER)")
    con.execute("INSERT INTO groups VALUES ('a', 1), ('a', 2), ('B', 1), (NULL, 2), ('z', 1), ('b', NULL)")
    return con


def test_equality_correlation_becomes_one_grouped_aggregate() -> None:
    found = analyse(_scalar("SELECT SUM(t.x) FROM f AS t WHERE t.k IS NOT DISTINCT FROM g.c0 AND t.m > 1"), "g")
    assert found is not None
    aggregate, value = found
    assert [c.inner.sql() for c in aggregate.correlations] == ["__x0.k"]
    assert [c.outer.sql() for c in aggregate.correlations] == ["g.c0"]
    assert aggregate.correlations[0].null_safe
    assert value.sql() == "SUM(__x0.x)"
    assert aggregate.render().sql() == ("SELECT __x0.k AS k0 FROM f AS __x0 WHERE __x0.m > 1 GROUP BY __x0.k")


@pytest.mark.parametrize("sql", [
    "SELECT SUM(t.x) FROM f AS t WHERE t.k > g.c0",  # not an equality
    "SELECT SUM(t.x) FROM f AS t WHERE t.k = g.c0 OR t.m = 1",  # inside OR
    "SELECT SUM(t.x) FROM f AS t WHERE t.k = h.c0",  # another outer row
    "SELECT t.x FROM f AS t WHERE t.k = g.c0",  # not an aggregate
    "SELECT SUM(t.x) FROM f AS t WHERE t.k = g.c0 GROUP BY t.m",
    "SELECT SUM(t.x + g.c1) FROM f AS t WHERE t.k = g.c0",  # the value reads the outer row
    "SELECT SUM(t.x) FROM f AS t WHERE EXISTS (SELECT 1 FROM f AS u WHERE u.k = g.c0 AND u.m = t.m)",
    "SELECT SUM(CAST(error('DAX: no') AS DOUBLE)) FROM f AS t WHERE t.k = g.c0",  # may raise
    "SELECT SUM(t.x) FROM f AS t",  # not correlated: nothing to gain
])
def test_other_correlations_stay(sql: str) -> None:
    assert analyse(_scalar(sql), "g") is None


def test_an_iterator_over_rows_filtered_by_the_group_is_grouped_by_a_key_column() -> None:
    found = analyse(_scalar("SELECT AVG(r.x) FROM (SELECT t.x AS x FROM f AS t WHERE t.k = g.c0 AND t.m > 1) AS r"),
                    "g")
    assert found is not None
    aggregate, value = found
    assert aggregate.render().sql() == ("SELECT __x0.__k0 AS k0 FROM (SELECT __x1.x AS x, __x1.k AS __k0 FROM f AS "
                                        "__x1 WHERE __x1.m > 1) AS __x0 GROUP BY __x0.__k0")
    assert value.sql() == "AVG(__x0.x)" and not aggregate.correlations[0].null_safe


@pytest.mark.parametrize("sql", [
    "SELECT AVG(r.x) FROM (SELECT t.x AS x FROM f AS t WHERE t.k = g.c0 LIMIT 5) AS r",  # not every row
    "SELECT AVG(r.x) FROM (SELECT SUM(t.x) AS x FROM f AS t WHERE t.k = g.c0) AS r",  # rows of an aggregate
    "SELECT AVG(r.x) FROM (SELECT t.x + g.c1 AS x FROM f AS t WHERE t.k = g.c0) AS r",  # a value of the row
    "SELECT AVG(r.x) FROM (SELECT t.x AS x FROM f AS t WHERE t.k = g.c0) AS r, f AS u",  # a join beside it
])
def test_other_iterators_stay(sql: str) -> None:
    assert analyse(_scalar(sql), "g") is None


def test_equal_aggregates_are_shared_and_values_deduplicated() -> None:
    plan = _plan()
    value = sqlglot.parse_one(
        "SELECT (SELECT SUM(t1.x) FROM f AS t1 WHERE t1.k = g.c0) + (SELECT COUNT(t2.x) FROM f AS t2 WHERE t2.k = g.c0)"
        " + (SELECT SUM(t3.x) FROM f AS t3 WHERE t3.k = g.c0) + (SELECT SUM(t4.x) FROM f AS t4 WHERE t4.m = g.c1)"
    ).expressions[0]
    rewritten = hoist(value, plan)
    assert len(plan.aggregates) == 2
    first, second = plan.aggregates
    assert [v.sql() for v in first.values] == ["SUM(__x0.x)", "COUNT(__x0.x)"]
    assert first.needs_presence  # COUNT is 0, not NULL, over no rows
    assert [c.inner.sql() for c in second.correlations] == ["__x0.m"]
    assert not correlated_with(rewritten, "g")
    assert rewritten.sql().count("a0.v0") == 2


@pytest.mark.parametrize(("sql", "expected"), [
    ("SUM(x)", None), ("NULLIF(COUNT(*), 0)", None), ("COUNT(x)", 0), ("CAST(AVG(x) AS DOUBLE)", None),
    ("NULLIF(COUNT(DISTINCT x) + COALESCE(MAX(y), 0), 0)", None), ("COALESCE(SUM(x), 0)", 0),
    # the exact Currency sum: SUM of whole ten-thousandths, back to a DOUBLE
    ("CAST(SUM(CAST(FLOOR(x * 10000 + 0.5) AS BIGINT)) AS DOUBLE) / 10000", None),
    ("COUNT(x) * 2 - 1", -1.0), ("(COUNT(x) + 6) / 3", 2.0),
])
def test_empty_value(sql: str, expected: object) -> None:
    assert empty_value(sqlglot.parse_one(sql)) == expected


def test_unknown_empty_value_is_not_assumed_null() -> None:
    assert empty_value(sqlglot.parse_one("CASE WHEN COUNT(*) = 0 THEN 1 ELSE 2 END")) not in (None, 0)
    assert empty_value(sqlglot.parse_one("COUNT(x) / 0")) not in (None, 0)  # the database's division by zero
    assert empty_value(sqlglot.parse_one("SUM(x) + ABS(COUNT(y))")) not in (None, 0)  # NULL + unknown: not assumed


@pytest.mark.parametrize("value", [
    "(SELECT SUM(t.x) FROM f AS t WHERE t.k IS NOT DISTINCT FROM g.c0)",
    "(SELECT COUNT(t.x) FROM f AS t WHERE t.k IS NOT DISTINCT FROM g.c0 AND t.m IS NOT DISTINCT FROM g.c1)",
    "(SELECT NULLIF(COUNT(*), 0) FROM f AS t WHERE LOWER(t.k) = LOWER(g.c0))",
    "(SELECT CASE WHEN COUNT(*) = 0 THEN -1 ELSE MAX(t.x) END FROM f AS t WHERE t.m = g.c1)",
    "(SELECT AVG(r.x * 2) FROM (SELECT t.x AS x FROM f AS t WHERE t.k IS NOT DISTINCT FROM g.c0 AND t.m > 0) AS r)",
    "(SELECT COUNT(r.x) FROM (SELECT DISTINCT t.x AS x FROM f AS t WHERE t.m = g.c1) AS r WHERE r.x > 2)",
    "(SELECT v1.v / v2.v FROM (SELECT (SELECT SUM(t.x) FROM f AS t WHERE t.k IS NOT DISTINCT FROM g.c0) AS v) AS v1"
    " CROSS JOIN (SELECT (SELECT COUNT(*) FROM f AS u WHERE u.m IS NOT DISTINCT FROM g.c1) AS v) AS v2)",
])
def test_rewritten_sql_gives_the_same_rows(connection: duckdb.DuckDBPyConnection, value: str) -> None:
    correlated = sqlglot.parse_one(f"SELECT g.c0, g.c1, {value} AS v FROM groups AS g")
    plan = _plan()
    rewritten = correlated.copy()
    rewritten.set("expressions", [exp.column("c0", "g"), exp.column("c1", "g"),
                                  exp.alias_(hoist(sqlglot.parse_one(value), plan), "v")])
    rewritten = plan.apply(rewritten)
    assert plan.aggregates and not correlated_with(rewritten.expressions[2], "g")

    def rows(query: exp.Expression) -> list[tuple]:
        return sorted(connection.execute(query.sql(dialect="duckdb")).fetchall(), key=repr)

    assert rows(rewritten) == rows(correlated)


# ------------------------------------------------------------------------------------ the compiled-plan cache

SURVEY_SHAPE = ('EVALUATE SUMMARIZECOLUMNS(BI_SmileBack_Surveys[survey_month], "AvgScore", '
                '[SB - Average CSAT Score], "ResponseCount", COUNTROWS(BI_SmileBack_Surveys))')


def test_an_engine_compiles_each_query_text_once(demo_db: str) -> None:
    from generator.engine.run import Engine
    from generator.engine.sources import load_engine_model

    connection = duckdb.connect(demo_db, read_only=True)
    try:
        engine = Engine(load_engine_model(None), connection)
        first = engine.query(SURVEY_SHAPE)
        again = engine.query(SURVEY_SHAPE)
        assert (engine.plans.misses, engine.plans.hits) == (1, 1)
        assert first == again and first[0].rows
        assert engine.compile(SURVEY_SHAPE)[0] is engine.compile(SURVEY_SHAPE)[0]
        other = engine.query(SURVEY_SHAPE + " ORDER BY BI_SmileBack_Surveys[survey_month] DESC")
        assert engine.plans.misses == 2 and other[0].rows == tuple(reversed(first[0].rows))
    finally:
        connection.close()


def test_the_cache_is_bounded_and_keeps_no_failures() -> None:
    from generator.engine.plancache import PlanCache

    cache: PlanCache[int] = PlanCache(capacity=2)
    assert [cache.get(k, lambda k=k: len(k)) for k in ("a", "bb", "ccc", "a")] == [1, 2, 3, 1]
    assert len(cache) == 2 and cache.misses == 4

    def fails() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get("d", fails)
    assert "d" not in cache._entries
