"""The tools of ``gen-measures mcp`` for one identity: every answer is the DAX engine's, under that identity's roles.

An :class:`Analyst` is bound to a DuckDB file, the specs' catalogue, a row-level security identity (roles and user,
or none: the Manager's view) and :class:`Limits`. Each call opens its own read-only connection (external access
off), runs inside the engine's deadline and memory limit, and fetches at most ``max_rows`` rows. Results are plain
dicts ready to be sent as JSON; bad input is a :class:`~generator.errors.ToolError` with one sentence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.assistant.catalogue import Dimension, dimensions, find_dimension, find_measure, measure_infos
from generator.assistant.dax import ORDERS, MeasureQuery, measure_query_dax
from generator.engine.errors import did_you_mean
from generator.engine.limits import deadline
from generator.engine.output import json_records, shown_records
from generator.engine.run import Engine, QueryResult, parse
from generator.engine.session import connect_read_only
from generator.errors import ToolError
from generator.powerbi.docs import measures_markdown
from generator.report import risk
from generator.report.build import ReportOptions, report_thresholds, write_report
from generator.report.catalogue import catalogue_of
from generator.report.data import clients, data_span, trend_halves
from generator.report.period import DEFAULT_PERIOD, Period, PeriodError, check_period, resolve_period
from generator.spec.model import Model
from generator.text import plural

SAMPLE_MEMBERS = 5
MAX_FILTER_VALUES = 100


@dataclass(frozen=True)
class Limits:
    """Bounds on every tool call: rows returned, seconds and memory of database work, calls at once."""

    max_rows: int = 1000
    timeout: float = 30.0
    memory_limit: str = "2GB"
    max_calls: int = 4


def _period_error(error: PeriodError) -> ToolError:
    return ToolError(str(error).replace("--period", "period", 1))


class Analyst:
    """Answers the tools on ``db`` as ``user`` under ``roles`` (none: every row, the Manager's view)."""

    def __init__(self, db: str, model: Model, roles: Sequence[str] = (), user: str | None = None,
                 limits: Limits | None = None, reports: Path = Path("reports")):
        self.db = db
        self.model = model
        self.catalogue = catalogue_of(model)
        self.roles = tuple(roles)
        self.user = user
        self.limits = limits or Limits()
        self.reports = reports
        self.measures = measure_infos(model)
        self.dimensions = dimensions(model)
        Engine(self.catalogue.model, None, self.roles or None, user)  # an unknown role stops the server at start
        connect_read_only(db, self.limits.memory_limit).close()  # so do a bad database and a bad memory limit

    # --- running queries --------------------------------------------------------------------------------------

    @contextmanager
    def _engine(self) -> Iterator[Engine]:
        connection = connect_read_only(self.db, self.limits.memory_limit)
        try:
            with deadline(connection, self.limits.timeout, self.limits.memory_limit):
                yield Engine(self.catalogue.model, connection, self.roles or None, self.user)
        finally:
            connection.close()

    def _run(self, engine: Engine, text: str) -> tuple[list[QueryResult], bool]:
        """The results of ``text``, each cut to ``max_rows`` rows (the database is asked for one more, to tell), and
        whether any was cut."""
        limit = self.limits.max_rows
        statements = [dataclasses.replace(s, sql=s.sql.limit(limit + 1)) for s in engine.compile(text)]
        results = engine.run(statements)
        cut = any(len(result.rows) > limit for result in results)
        return [dataclasses.replace(result, rows=result.rows[:limit]) for result in results], cut

    def _limit_note(self, cut: bool) -> dict[str, Any]:
        if not cut:
            return {}
        return {"truncated": True,
                "note": f"The answer is cut at {plural(self.limits.max_rows, 'row')} (the server's --max-rows); "
                        "group by fewer columns, filter, or ask for top_n."}

    # --- tools ------------------------------------------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """Who the answers are for, and the limits."""
        return {"roles": list(self.roles) or ["Manager"], "user": self.user,
                "row_level_security": bool(self.roles), "limits": dataclasses.asdict(self.limits)}

    def list_measures(self, folder: str | None = None) -> dict[str, Any]:
        """The catalogue's measures (optionally one folder's)."""
        chosen = [m for m in self.measures.values() if folder is None or m.folder.lower() == folder.strip().lower()]
        if not chosen:
            folders = sorted({m.folder for m in self.measures.values()})
            raise ToolError(f"no folder '{folder}'{did_you_mean(folder or '', folders, lambda f: f) or ''}; the "
                            f"folders: {', '.join(folders)}")
        return {"measures": [m.summary() for m in chosen]}

    def describe_measure(self, name: str) -> dict[str, Any]:
        """One measure with its DAX."""
        return find_measure(name, self.measures).details()

    def list_dimensions(self) -> dict[str, Any]:
        """The columns to group and filter by, with how many members this identity sees and a few of them."""
        result = []
        with self._engine() as engine:
            for dimension in self.dimensions:
                count = engine.evaluate(f"COUNTROWS ( VALUES ( {dimension.reference} ) )")
                sample = engine.query(f"EVALUATE TOPN ( {SAMPLE_MEMBERS}, VALUES ( {dimension.reference} ), "
                                      f"{dimension.reference}, ASC )")[0]
                result.append({"column": dimension.reference, "type": dimension.type,
                               "description": dimension.description, "members": count or 0,
                               "sample": sorted(str(v[dimension.reference]) for v in json_records(sample))})
        return {"dimensions": result}

    def _filters(self, filters: Mapping[str, Any] | None) -> tuple[tuple[Dimension, tuple[object, ...]], ...]:
        chosen = []
        for column, values in (filters or {}).items():
            listed = tuple(values) if isinstance(values, list | tuple) else (values,)
            if not listed or len(listed) > MAX_FILTER_VALUES:
                raise ToolError(f"filter on {column}: give 1 to {MAX_FILTER_VALUES} values, not {len(listed)}")
            chosen.append((find_dimension(column, self.dimensions), listed))
        return tuple(chosen)

    def _period(self, engine: Engine, text: str | None) -> Period | None:
        if text is None or not text.strip():
            return None
        try:
            check_period(text)
            return resolve_period(text, data_span(engine))
        except PeriodError as error:
            raise _period_error(error) from None

    def query_measures(self, measures: Sequence[str], group_by: Sequence[str] = (),
                       filters: Mapping[str, Any] | None = None, period: str | None = None,
                       top_n: int | None = None, order: str | None = None) -> dict[str, Any]:
        """Measures by the group-by columns, filtered, over a period: the rows (formatted and raw) and the DAX."""
        if not measures:
            raise ToolError("name at least one measure (list_measures gives the catalogue)")
        if order is not None and order.strip().lower() not in ORDERS:
            raise ToolError(f"order must be desc or asc, not {order!r}")
        if top_n is not None and not 1 <= top_n <= self.limits.max_rows:
            raise ToolError(f"top_n must be between 1 and {self.limits.max_rows}, not {top_n}")
        chosen = tuple(dict.fromkeys(find_measure(name, self.measures) for name in measures))
        groups = tuple(dict.fromkeys(find_dimension(column, self.dimensions) for column in group_by))
        query_filters = self._filters(filters)
        with self._engine() as engine:
            chosen_period = self._period(engine, period)
            query = MeasureQuery(chosen, groups, query_filters, chosen_period, top_n,
                                 order.strip().lower() if order else None)
            text = measure_query_dax(query)
            (result,), cut = self._run(engine, text)
        if query.order is not None or top_n is not None:
            result = _ordered(result, f"[{chosen[0].name}]", query.order != "asc")
        answer = {"period": chosen_period.label if chosen_period else "all the data",
                  "rows": shown_records(result), "values": json_records(result), "dax": text}
        return {**answer, **self._limit_note(cut)}

    def run_dax(self, query: str) -> dict[str, Any]:
        """A DAX query (DEFINE … EVALUATE …) as it is: every result, formatted and raw."""
        try:
            parse(query)
        except ToolError as error:
            raise ToolError(f"run_dax takes a DAX query (EVALUATE …, optionally after DEFINE), read-only by "
                            f"construction: {error}") from None
        with self._engine() as engine:
            results, cut = self._run(engine, query)
        tables = [{"rows": shown_records(r), "values": json_records(r)} for r in results]
        return {"results": tables, "dax": query, **self._limit_note(cut)}

    def report(self, period: str | None = None) -> dict[str, Any]:
        """Write the HTML report for ``period`` (default: the six most recent full months) as this identity."""
        spec = check_period_text(period)
        out = self.reports / f"report-{re.sub(r'[^a-z0-9]+', '-', spec).strip('-')}.html"
        summary = write_report(ReportOptions(db=self.db, out=out, period=period, timeout=self.limits.timeout,
                                             memory_limit=self.limits.memory_limit, roles=self.roles,
                                             user=self.user), catalogue=self.catalogue)
        return {"path": str(summary.out.resolve()), "period": summary.period_label, "responses": summary.responses,
                "happy": summary.happy, "bytes": summary.bytes_written}

    def explain_client(self, client: str, period: str | None = None) -> dict[str, Any]:
        """The report's figures for one client: distribution, confidence, risk tier, trend, against the portfolio."""
        check_period_text(period)
        options = ReportOptions(db=self.db, out=Path("unused.html"), period=period)
        thresholds = report_thresholds(options, self.catalogue)
        with self._engine() as engine:
            chosen = self._period(engine, period or DEFAULT_PERIOD)
            if chosen is None:
                raise ToolError("the database holds no reviews, surveys or closed tickets this identity may see")
            rows = clients(engine, chosen, thresholds, trend_halves(chosen.trend_window()))
        found = [row for row in rows if row.name.lower() == client.strip().lower()]
        if not found:
            hint = did_you_mean(client.strip(), [row.name for row in rows], lambda n: f"'{n}'")
            visible = f" ({plural(len(rows), 'client')} visible)"
            raise ToolError(f"no client '{client}' with data in {chosen.label} that this identity may see"
                            f"{hint or visible}")
        row = found[0]
        return {"period": chosen.label, "client": dataclasses.asdict(row),
                "confidence": risk.confidence_status(row),
                "low_confidence": risk.is_low_confidence(row, thresholds),
                "trend": risk.trend_label(row.trend, thresholds),
                "thresholds": dataclasses.asdict(thresholds),
                "note": "Percentages are fractions (0.9 = 90 %); vs_portfolio, vs_target and trend are in points."}

    def catalogue_markdown(self) -> str:
        """The measure catalogue page (docs/measures.md as `gen-measures build` writes it)."""
        return measures_markdown(self.model)


def check_period_text(period: str | None) -> str:
    """The normalised period text (the report's forms); ToolError naming ``period`` otherwise."""
    try:
        return check_period(period)
    except PeriodError as error:
        raise _period_error(error) from None


def _ordered(result: QueryResult, column: str, descending: bool) -> QueryResult:
    """The rows ordered by ``column``'s value (BLANK last), ties in their order."""
    index = result.columns.index(column)
    present = [row for row in result.rows if row[index] is not None]
    blank = [row for row in result.rows if row[index] is None]
    present.sort(key=lambda row: row[index], reverse=descending)
    return dataclasses.replace(result, rows=tuple(present + blank))


__all__ = ["Analyst", "Limits", "check_period_text"]
