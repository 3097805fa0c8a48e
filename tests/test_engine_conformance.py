"""The DAX engine against the shared conformance data (``../shared/reference/dax-conformance``).

The retail model (``retail.bim``) is loaded with :func:`model_from_bim` and its seed rows into an in-memory DuckDB
(tables named like the model's, typed from the bim). Then, through ``Engine.query`` only:

* every one of the 179 probes of ``desktop_goldens.json`` (values captured from Power BI Desktop) either matches
  within the file's relative tolerance or is refused with :class:`Unsupported` — never a wrong answer;
  ``test_probe_tally`` pins how many pass, so a probe that stops passing (or starts to) is noticed;
* every DAX query of ``golden_queries.json`` returns its expected rows (compared order-insensitively); the one
  DMV query (``SELECT … FROM $SYSTEM…``, handler ``schemaRowset``) is not DAX and is refused as a syntax error.

As in test_engine_scalars, the tests skip when the shared folder is missing locally and fail with CI=true.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineModel
from generator.engine.run import Engine
from generator.engine.sources import model_from_bim
from generator.engine.values import DaxType

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dax-conformance"
ON_CI = os.environ.get("CI", "").lower() == "true"
FILES = ("retail.bim", "seed_data.json", "desktop_goldens.json", "golden_queries.json")

# How many of the 179 Desktop probes the engine answers correctly, and how many it refuses (the README reports
# "N of 179 Desktop probes pass"). Change these only together with the engine.
PROBES_TOTAL = 179
PROBES_PASSING = 179
PROBES_REFUSED = 0

_SQL_TYPES = {
    DaxType.INTEGER: "BIGINT",
    DaxType.DOUBLE: "DOUBLE",
    DaxType.DECIMAL: "DOUBLE",
    DaxType.STRING: "VARCHAR",
    DaxType.BOOLEAN: "BOOLEAN",
    DaxType.DATETIME: "TIMESTAMP",
}


def _require_reference() -> None:
    missing = [name for name in FILES if not (REFERENCE / name).is_file()]
    if missing:
        message = f"shared reference files missing in {REFERENCE}: {', '.join(missing)}"
        if ON_CI:
            pytest.fail(message + " (CI=true, so this is a failure, not a skip)")
        pytest.skip(message)


def _load(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def _params(name: str, key: str) -> list[Any]:
    """One pytest param per entry of ``name``'s ``key`` list (id = its name); one placeholder when missing."""
    if not (REFERENCE / name).is_file():
        return [pytest.param(None, id="reference-missing")]
    return [pytest.param(entry, id=entry["name"]) for entry in _load(name)[key]]


# ------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def model() -> EngineModel:
    _require_reference()
    return model_from_bim(REFERENCE / "retail.bim")


@pytest.fixture(scope="module")
def engine(model: EngineModel) -> Iterator[Engine]:
    """The retail model bound to an in-memory DuckDB holding the seed rows."""
    seed = _load("seed_data.json")
    connection = duckdb.connect()
    for table in model.tables:
        columns = ", ".join(f'"{c.source}" {_SQL_TYPES[c.type]}' for c in table.columns)
        connection.execute(f'CREATE TABLE "{table.source}" ({columns})')
        rows = [tuple(row[c.source] for c in table.columns) for row in seed[table.name]]
        placeholders = ", ".join("?" for _ in table.columns)
        connection.executemany(f'INSERT INTO "{table.source}" VALUES ({placeholders})', rows)
    yield Engine(model, connection)
    connection.close()


def _number_matches(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    return math.isclose(got, want, rel_tol=tolerance)


def _probe_outcome(engine: Engine, probe: dict[str, Any], tolerance: float) -> tuple[str, str]:
    """``("pass" | "refused" | "wrong" | "error", detail)`` for one probe."""
    try:
        results = engine.query(probe["dax"])
    except Unsupported as refusal:
        return "refused", str(refusal)
    except Exception as error:  # any other failure is reported with its type
        return "error", f"{type(error).__name__}: {error}"
    if len(results) != 1 or len(results[0].rows) != 1 or probe["column"] not in results[0].columns:
        shape = [(r.columns, r.rows) for r in results]
        return "wrong", f"expected one row with column {probe['column']}, got {shape}"
    got = results[0].records()[0][probe["column"]]
    if _number_matches(got, probe["want"], tolerance):
        return "pass", ""
    return "wrong", f"got {got!r}, Desktop gives {probe['want']!r}"


@pytest.fixture(scope="module")
def probe_outcomes(engine: Engine) -> dict[str, tuple[str, str]]:
    goldens = _load("desktop_goldens.json")
    tolerance = float(goldens["toleranceRel"])
    return {probe["name"]: _probe_outcome(engine, probe, tolerance) for probe in goldens["probes"]}


# --------------------------------------------------------------------------------------------------- probes


@pytest.mark.parametrize("probe", _params("desktop_goldens.json", "probes"))
def test_desktop_probe(probe: dict[str, Any] | None, probe_outcomes: dict[str, tuple[str, str]]) -> None:
    """The Desktop value (relative tolerance 1e-9), or an Unsupported refusal; never a wrong value or a crash."""
    assert probe is not None
    outcome, detail = probe_outcomes[probe["name"]]
    assert outcome in ("pass", "refused"), f"{probe['dax']}: {detail}"


def test_probe_tally(probe_outcomes: dict[str, tuple[str, str]]) -> None:
    goldens = _load("desktop_goldens.json")
    assert len(goldens["probes"]) == goldens["probeCount"] == PROBES_TOTAL
    tally = Counter(outcome for outcome, _ in probe_outcomes.values())
    print(f"{tally['pass']} of {PROBES_TOTAL} Desktop probes pass, {tally['refused']} refused")
    not_passing = {name: outcome for name, (outcome, _) in probe_outcomes.items() if outcome != "pass"}
    assert (tally["pass"], tally["refused"]) == (PROBES_PASSING, PROBES_REFUSED), f"not passing: {not_passing}"


def test_probes_are_summarizecolumns_or_row_queries() -> None:
    """The probes are queries (EVALUATE …), run as they are: no test-side rewriting."""
    _require_reference()
    probes = _load("desktop_goldens.json")["probes"]
    assert all(p["dax"].startswith(("EVALUATE SUMMARIZECOLUMNS(", "EVALUATE ROW(")) for p in probes)
    assert len({p["name"] for p in probes}) == len(probes)


# ------------------------------------------------------------------------------------------- golden queries


def _same_value(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, int | float) and not isinstance(want, bool):
        return isinstance(got, int | float) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    return got == want


def _unmatched(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> tuple[list, list]:
    """Rows of ``want`` without an equal row in ``got`` and rows of ``got`` left over (a multiset match)."""
    left = list(got)
    missing = []
    for expected in want:
        index = next((i for i, row in enumerate(left)
                      if row.keys() == expected.keys() and all(_same_value(row[k], v) for k, v in expected.items())),
                     None)
        if index is None:
            missing.append(expected)
        else:
            left.pop(index)
    return missing, left


@pytest.mark.parametrize("golden", _params("golden_queries.json", "queries"))
def test_golden_query(golden: dict[str, Any] | None, engine: Engine) -> None:
    assert golden is not None
    if golden["handler"] == "schemaRowset":
        # A DMV (SELECT … FROM $SYSTEM.…) is not DAX: refused as a syntax error, not evaluated.
        with pytest.raises(DaxEngineError, match="syntax error") as refusal:
            engine.query(golden["dax"])
        assert not isinstance(refusal.value, Unsupported)
        return
    assert golden["handler"] == "dax"
    expected = golden["expected"]
    assert expected["orderInsensitive"] is True
    (result,) = engine.query(golden["dax"])
    assert list(result.columns) == expected["columns"]
    missing, extra = _unmatched(result.records(), expected["rows"])
    assert not missing and not extra, f"missing rows {missing}; unexpected rows {extra}"


def test_golden_query_count() -> None:
    """As the fixture asks: a file that failed to load must not pass vacuously."""
    _require_reference()
    goldens = _load("golden_queries.json")
    dax_queries = [q for q in goldens["queries"] if q["handler"] == "dax"]
    assert len(dax_queries) == goldens["daxQueryCount"] == 6
    assert [q["handler"] for q in goldens["queries"]].count("schemaRowset") == 1
