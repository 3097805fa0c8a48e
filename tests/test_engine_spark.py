"""The DAX engine's Spark SQL (``--dialect spark``) executed on a local Spark session (pyspark, ``local[1]``).

One Spark session for the module holds, as temporary views, the retail seed rows of the shared conformance data
(typed from the model) and the demo's ``BI_`` tables (the shared demo DuckDB, written to Parquet so that Spark reads
the same types). Each query is compiled once by an engine bound to DuckDB, run there (the answer) and, rendered with
:mod:`generator.engine.sqlfuncs`' Spark dialect, on Spark; the rows must be equal (numbers within 1e-9 relative).

Spark takes 9–30 s to start and up to seconds to plan a query on the 2-core machine, so by default a sample runs
(see :func:`_sampled`): every :data:`PROBE_STRIDE`-th Desktop probe, every golden query, and the measures of
:data:`MEASURES` on the slices of :data:`SLICES`. ``MSP_CSAT_SPARK_ALL=1`` runs every probe and every shipped
measure on the total and client slices (docs/engine.md has the counts of that run).

Without pyspark or Java the tests skip locally and fail with CI=true.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from conftest import _unavailable
from test_engine_conformance import _SQL_TYPES, REFERENCE, _load, _require_reference
from test_engine_corpus import _plain

from generator.engine.errors import DaxEngineError
from generator.engine.run import Engine
from generator.engine.sources import load_engine_model, model_from_bim
from generator.engine.values import DaxType
from generator.validation.compare import same_value, slice_query

pytestmark = pytest.mark.spark

EVERYTHING = os.environ.get("MSP_CSAT_SPARK_ALL") == "1"
#: every PROBE_STRIDE-th Desktop probe runs by default (the first included)
PROBE_STRIDE = 12
#: shipped measures run by default: a count, a ratio of two grouped aggregates bound once (written out for Spark),
#: and one that Spark cannot run by client (:data:`SPARK_CANNOT`)
MEASURES = (
    "Tickets - Opened",
    "Tickets - First Contact Resolution %",
    "CSAT - Happy % Churned Clients",
)
SLICES = ("total", "client")
#: Measures × slices whose Spark SQL Spark cannot run: Spark resolves an outer query's column one query level up
#: only, never inside a derived table of a subquery's FROM — which the engine writes for a row context read inside
#: an iterator over a table (``UNRESOLVED_COLUMN``, never a wrong number; docs/engine.md).
SPARK_CANNOT = {
    ("CSAT - Happy % Churned Clients", "client"),
    ("CSAT - Happy % Churned vs Retained", "client"),
}

_SPARK_TYPES = {
    DaxType.INTEGER: "LongType",
    DaxType.DOUBLE: "DoubleType",
    DaxType.DECIMAL: "DoubleType",
    DaxType.STRING: "StringType",
    DaxType.BOOLEAN: "BooleanType",
    DaxType.DATETIME: "TimestampNTZType",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session: one core, no UI, one shuffle partition, 1 GB of driver memory, a silent log;
    timestamps in UTC (see docs/engine.md). Stopped at the end of the module."""
    try:
        with warnings.catch_warnings():  # pyspark warns that it does not yet support pandas 3 (we pass no frames)
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession
    except ImportError:
        _unavailable("Spark", "pyspark is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("Spark", "no Java runtime: install openjdk-17-jre-headless")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # for the JVM: no warning about the host's address
    builder = SparkSession.builder.master("local[1]").appName("msp-csat-tests")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "1",
        "spark.default.parallelism": "1",
        "spark.driver.memory": "1g",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        # tiny tables: compiling each plan to Java (whole-stage codegen) and re-planning it (AQE) cost more
        # than they save
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.adaptive.enabled": "false",
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("FATAL")  # the runtime-error test fails a task on purpose: no stack traces
    yield session
    session.stop()


@pytest.fixture(scope="module")
def retail(spark: Any) -> Iterator[Engine]:
    """The retail model on DuckDB, its seed rows also in Spark as temporary views of the same types."""
    from pyspark.sql import types

    _require_reference()
    model = model_from_bim(REFERENCE / "retail.bim")
    seed = _load("seed_data.json")
    connection = duckdb.connect()
    for table in model.tables:
        rows = [tuple(row[c.source] for c in table.columns) for row in seed[table.name]]
        connection.execute(
            f'CREATE TABLE "{table.source}" ('
            + ", ".join(f'"{c.source}" {_SQL_TYPES[c.type]}' for c in table.columns)
            + ")"
        )
        connection.executemany(f'INSERT INTO "{table.source}" VALUES ({", ".join("?" for _ in table.columns)})', rows)
        schema = types.StructType(
            [types.StructField(c.source, getattr(types, _SPARK_TYPES[c.type])()) for c in table.columns]
        )
        spark.createDataFrame(rows, schema).createOrReplaceTempView(table.source)
    yield Engine(model, connection)
    connection.close()


@pytest.fixture(scope="module")
def demo(spark: Any, demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The shipped model on the demo DuckDB; its BI_ tables also in Spark, through Parquet (DuckDB's types kept)."""
    folder = tmp_path_factory.mktemp("spark_demo")
    connection = duckdb.connect(demo_db, read_only=True)
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'BI\\_%' ESCAPE '\\'"
        ).fetchall()
    ]
    for name in tables:
        path = folder / f"{name}.parquet"
        connection.execute(f"COPY \"{name}\" TO '{path}' (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(name)
    assert len(tables) >= 14
    yield Engine(load_engine_model(None, None), connection)
    connection.close()


def _equal(got: Any, want: Any) -> bool:
    got, want = _plain(got), _plain(want)
    if isinstance(got, dt.datetime) or isinstance(want, dt.datetime):
        return got == want
    if isinstance(want, int | float) and not isinstance(want, bool) and isinstance(got, int | float):
        return same_value(float(got), float(want)) or (math.isnan(got) and math.isnan(want))
    return same_value(got, want)


def _on_spark(spark: Any, engine: Engine, dax: str) -> str | None:
    """None when Spark gives the rows DuckDB gives for ``dax``; else what differs (or Spark's error)."""
    (want,) = engine.query(dax)
    (sql,) = engine.sql(dax, "spark", pretty=False)
    try:
        got = [tuple(row) for row in spark.sql(sql).collect()]
    except Exception as error:  # Spark's AnalysisException and friends: reported, not raised
        return f"Spark cannot run it: {str(error).splitlines()[0]}"
    if len(got) != len(want.rows) or not all(
        len(g) == len(w) and all(_equal(a, b) for a, b in zip(g, w, strict=True))
        for g, w in zip(got, want.rows, strict=True)
    ):
        return f"Spark gives {got[:5]} ({len(got)} rows), DuckDB {list(want.rows[:5])} ({len(want.rows)} rows)"
    return None


def _sampled(items: list[Any], stride: int) -> list[Any]:
    return items if EVERYTHING else items[::stride]


# ------------------------------------------------------------------------------------------------ conformance
def test_conformance_queries_give_duckdbs_rows_on_spark(spark: Any, retail: Engine) -> None:
    """The sampled Desktop probes and every golden DAX query: Spark's rows equal DuckDB's (which the conformance
    tests compare with Desktop's and the expected rows)."""
    probes = _load("desktop_goldens.json")["probes"]
    goldens = [q for q in _load("golden_queries.json")["queries"] if q["handler"] == "dax"]
    queries = [(p["name"], p["dax"]) for p in _sampled(probes, PROBE_STRIDE)] + [(q["name"], q["dax"]) for q in goldens]
    assert len(queries) == (179 if EVERYTHING else 15) + 6
    differing = {name: why for name, dax in queries if (why := _on_spark(spark, retail, dax)) is not None}
    print(f"{len(queries) - len(differing)} of {len(queries)} conformance queries give DuckDB's rows on Spark")
    assert not differing, differing


def test_weekday_and_weeknum_count_days_as_duckdb_does(spark: Any, retail: Engine) -> None:
    """Spark numbers weekdays from Sunday = 1 and has no ISODOW: the dialect writes DuckDB's numbering."""
    dax = (
        'EVALUATE ROW("a", WEEKDAY(DATE(2024, 8, 18)), "b", WEEKDAY(DATE(2024, 8, 18), 2), "c", '
        'WEEKDAY(DATE(2024, 8, 19), 3), "d", WEEKNUM(DATE(2024, 12, 31)), "e", WEEKNUM(DATE(2024, 12, 30), 21), '
        '"f", WEEKNUM(DATE(2023, 1, 1), 2))'
    )
    assert retail.query(dax)[0].rows == ((1, 7, 0, 53, 1, 1),)
    assert _on_spark(spark, retail, dax) is None


def test_a_dax_runtime_error_fails_the_spark_query_with_its_text(spark: Any, retail: Engine) -> None:
    (sql,) = retail.sql('EVALUATE ROW("x", MOD(5, 0))', "spark", pretty=False)
    with pytest.raises(Exception, match="DAX: MOD: division by zero"):
        spark.sql(sql).collect()
    with pytest.raises(DaxEngineError, match="DAX: MOD: division by zero"):
        retail.query('EVALUATE ROW("x", MOD(5, 0))')


# ------------------------------------------------------------------------------------------------ the demo
def test_shipped_measures_give_duckdbs_rows_on_spark(spark: Any, demo: Engine) -> None:
    """The sampled measures on the sampled slices (validate's queries): Spark's rows equal DuckDB's, except the
    pairs of :data:`SPARK_CANNOT`, which Spark refuses to analyse (never a wrong number)."""
    names = [m.name for m in demo.model.measures if m.origin != "query"] if EVERYTHING else list(MEASURES)
    pairs = [(name, slice_name) for slice_name in SLICES for name in names]
    outcomes = {pair: _on_spark(spark, demo, slice_query(pair[1], [pair[0]])) for pair in pairs}
    failing = {pair: why for pair, why in outcomes.items() if why is not None}
    print(
        f"{len(pairs) - len(failing)} of {len(pairs)} measure slices give DuckDB's rows on Spark; not {sorted(failing)}"
    )
    assert set(failing) == SPARK_CANNOT & set(pairs), failing
    assert all("UNRESOLVED_COLUMN" in why for why in failing.values()), failing
    assert len(pairs) - len(failing) >= (72 if EVERYTHING else 5)
