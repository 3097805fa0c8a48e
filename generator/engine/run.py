"""Run DAX queries: parse, compile each EVALUATE to one SQL query, execute it (DuckDB or a server through ODBC),
name the columns.

``Engine(model, connection).query(text)`` returns one :class:`QueryResult` per EVALUATE; ``Engine.sql`` gives
the SQL text for a dialect (``duckdb``, ``tsql``, ``postgres``, ``mysql``, ``spark``; see
:mod:`generator.engine.sqlfuncs`) without running it.
``Engine(model, connection, role="Client", user="a@client.example")`` evaluates as that user under that role
(row-level security, :mod:`generator.engine.security`); several roles combine as in Power BI (union).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from generator.dax import ast
from generator.dax.depth import MAX_DEPTH, DaxNestingError, recursion_room
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_query
from generator.engine import scalars, sqlfuncs
from generator.engine.compiler import Compiler, Env, RowFrame
from generator.engine.derived import Derived
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineMeasure, EngineModel, EngineTable
from generator.engine.plancache import PlanCache, compile_key
from generator.engine.relations import Relation, col
from generator.engine.security import Security
from generator.engine.session import Interrupted, OdbcSession, first_line
from generator.engine.values import DaxType

DIALECTS = ("duckdb", "tsql", "postgres", "mysql", "spark")
#: Errors that stop a command rather than one query (a deadline interrupted it, memory ran out): they
#: propagate as they are, for :func:`generator.engine.limits.deadline` to turn into its sentence.
_STOPPED = (duckdb.InterruptException, duckdb.OutOfMemoryException, Interrupted)


@dataclass(frozen=True)
class Statement:
    """One EVALUATE compiled: its SQL and the DAX names and types of its result columns."""

    sql: exp.Query
    columns: tuple[str, ...]
    types: tuple[DaxType, ...]
    formats: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class QueryResult:
    """The rows of one EVALUATE: python values, ``None`` for BLANK, columns named as DAX names them.

    ``formats`` has, for each column, the format string of the measure whose values it holds (None for the
    others): how a table for people shows them (:mod:`generator.engine.output`).
    """

    columns: tuple[str, ...]
    types: tuple[DaxType, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: tuple[str | None, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The result as a DataFrame (object columns; ``None`` for BLANK)."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns), dtype=object)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row keyed by the DAX column names."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def parse(text: str, parameters: Mapping[str, str] | None = None) -> ast.Query:
    """Parse a DAX query; a bare expression is not accepted (EVALUATE is required). ``@name`` query parameters
    take their ``parameters`` values and user-defined functions are inlined (:mod:`generator.dax.functions`)."""
    from generator.dax.functions import bind_parameters, inline_functions

    try:
        return inline_functions(bind_parameters(parse_query(text), parameters or {}))
    except DaxNestingError as error:
        raise DaxEngineError(error.message, error.line, error.column) from error
    except DaxSyntaxError as error:
        raise DaxEngineError(f"syntax error: {error}", error.line, error.column) from error


@contextmanager
def _deep_trees() -> Iterator[None]:
    """Room for the recursion deep DAX needs while it is compiled and written as SQL; should a tree still be too
    deep for Python, one sentence instead of a traceback."""
    with recursion_room():
        try:
            yield
        except RecursionError:
            raise DaxEngineError(f"the query is nested too deeply to evaluate (nesting deeper than {MAX_DEPTH} "
                                 "levels, counting the measures it uses)") from None


def compile_query(model: EngineModel, query: ast.Query,
                  blank_rows: Callable[[EngineTable, exp.Expression], bool] | None = None,
                  parses: dict[str, ast.Expr] | None = None, security: Security | None = None,
                  user: str = "", grouped_plan: bool = True, derived: Derived | None = None,
                  standalone: bool = True) -> list[Statement]:
    """Compile every EVALUATE of ``query`` (DEFINE MEASURE / VAR / TABLE apply to all of them), under the
    row-level security of ``security`` when given, as ``user``; ``grouped_plan=False`` keeps aggregates
    correlated with their group rows (see :class:`generator.engine.plan.AggregatePlan`). ``derived`` computes
    the model's calculated columns and tables (one per engine; default a new one; ``security`` must read its
    tables through the same); ``standalone=False`` reads the ones it materialised on the database from there."""
    derived = derived if derived is not None else Derived(model, parses)
    measures: dict[str, EngineMeasure] = {}
    for define in query.defines:
        if define.kind == "MEASURE":
            table = model.table(define.table or "")
            if table is None:
                raise DaxEngineError(f"DEFINE MEASURE {define.table}[{define.name}]: unknown table '{define.table}'",
                                     *define.position)
            text = _expression_text(define.expression)
            measures[define.name.lower()] = EngineMeasure(define.name, table.name, text, origin="query")
        elif define.kind == "COLUMN":
            raise Unsupported("DEFINE COLUMN", *define.position)
        elif define.kind == "TABLE" and model.table(define.name) is not None:
            raise DaxEngineError(f"DEFINE TABLE '{define.name}' has the name of a model table; choose another name",
                                 *define.position)
    compiler = Compiler(model, measures, blank_rows, parses, sources=security or derived, user=user,
                        secured=security.filters_directly if security is not None else None,
                        grouped_plan=grouped_plan)
    for define in query.defines:
        if define.kind == "MEASURE":  # its text is the formatted tree: no need to parse it again
            compiler.parses[measures[define.name.lower()].expression] = define.expression
    env = Env()
    for define in query.defines:
        if define.kind == "VAR":
            env = env.with_variable(define.name, compiler.value(define.expression, env))
        elif define.kind == "TABLE":
            env = env.with_variable(define.name, compiler.table(define.expression, env))
        compiler.query_variables = dict(env.variables)  # query measures see the query's VARs and TABLEs
    statements = [_statement(compiler, evaluate, env) for evaluate in query.evaluates]
    return [Statement(with_ctes(s.sql, security, derived, standalone), s.columns, s.types, s.formats)
            for s in statements]


def with_ctes(query: exp.Query, security: Security | None, derived: Derived, standalone: bool = True) -> exp.Query:
    """``query`` with the CTEs it reads: the visible rows of secured tables, then (defined before them) the
    derived tables (calculated columns and tables; unless ``standalone``, not those materialised)."""
    if security is not None:
        query = security.with_ctes(query)
    return derived.with_ctes(query, standalone)


def _expression_text(expression: ast.Expr) -> str:
    from generator.dax.formatter import format_dax

    return format_dax(expression)


def _statement(compiler: Compiler, evaluate: ast.Evaluate, env: Env) -> Statement:
    relation = compiler.table(evaluate.table, env)
    _check_unique_names(relation, evaluate)
    alias = compiler.fresh("q")
    outputs = [exp.alias_(col(alias, c.sql), c.name, quoted=True) for c in relation.columns]
    query = exp.select(*outputs).from_(relation.subquery(alias))
    if evaluate.order_by:
        row_env = env.with_row(RowFrame(alias, relation))
        keys = []
        values = []
        for key in evaluate.order_by:
            value = compiler.scalar(key.expr, row_env)
            values.append(value)
            keys.append(exp.Ordered(this=value.sql, desc=key.descending, nulls_first=not key.descending))
        query = query.order_by(*keys)
        if evaluate.start_at:
            query = query.where(_start_at(compiler, evaluate, values, env))
    else:  # rows in a stable order: by the columns left to right (group-by columns come first), BLANK first
        query = query.order_by(*[exp.Ordered(this=col(alias, c.sql), nulls_first=True) for c in relation.columns])
    return Statement(query, tuple(c.name for c in relation.columns), tuple(c.type for c in relation.columns),
                     tuple(c.format_string for c in relation.columns))


def _start_at(compiler: Compiler, evaluate: ast.Evaluate, keys: list, env: Env) -> exp.Expression:
    """START AT v1, v2 …: the rows from the first one whose ORDER BY keys come at or after the values.

    Lexicographic over the keys given values (ascending keys: greater; descending: smaller), BLANK sorting
    first as DAX does.
    """
    if len(evaluate.start_at) > len(evaluate.order_by):
        raise DaxEngineError("START AT has more values than ORDER BY has keys", *evaluate.start_at[0].position)
    starts = [compiler.scalar(value, env) for value in evaluate.start_at]
    condition: exp.Expression | None = None
    for index in reversed(range(len(starts))):
        key, start = keys[index], starts[index]
        descending = evaluate.order_by[index].descending
        last = index == len(starts) - 1
        operator = ("<=" if descending else ">=") if last else ("<" if descending else ">")
        beyond = scalars.truthy(scalars.binary(operator, key, start, *evaluate.start_at[index].position))
        if condition is None:
            condition = beyond
        else:
            equal = scalars.truthy(scalars.binary("=", key, start, *evaluate.start_at[index].position))
            condition = exp.or_(beyond, exp.and_(equal, condition))
    assert condition is not None
    return condition


def _check_unique_names(relation: Relation, evaluate: ast.Evaluate) -> None:
    seen: set[str] = set()
    for rel_column in relation.columns:
        lowered = rel_column.name.lower()
        if lowered in seen:
            raise DaxEngineError(f"the result has two columns named {rel_column.name}", *evaluate.position)
        seen.add(lowered)


def _python(value: Any, dax_type: DaxType) -> Any:
    """A value as results show it: BLANK is None, whole numbers of INTEGER columns are int."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value) and dax_type is not DaxType.DOUBLE:
        return None
    if dax_type is DaxType.INTEGER and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _true(value: Any) -> bool:
    """A boolean as any database returns it (True, 1, '1', 't')."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true")
    return bool(value)


def _python_from_server(value: Any, dax_type: DaxType) -> Any:
    """A value from an ODBC server as :func:`_python` gives DuckDB's: booleans from 0/1 or '1'/'0', numbers from
    DECIMAL, dates as datetimes."""
    if value is None:
        return None
    if dax_type is DaxType.BOOLEAN:
        return _true(value)
    if dax_type in (DaxType.DOUBLE, DaxType.DECIMAL) and isinstance(value, Decimal | int | str):
        return float(value)
    if dax_type is DaxType.INTEGER and isinstance(value, Decimal | float | str):
        number = float(value)
        return int(number) if number.is_integer() else number
    return _python(value, dax_type)


class Engine:
    """Evaluates DAX queries against the BI_ tables of a DuckDB connection or of a server reached through ODBC
    (:class:`generator.engine.session.OdbcSession`), bound to ``model``."""

    def __init__(self, model: EngineModel, connection: duckdb.DuckDBPyConnection | OdbcSession | None,
                 role: str | Sequence[str] | None = None, user: str | None = None,
                 parameters: Mapping[str, str] | None = None):
        """``connection`` may be None when queries are only compiled (:meth:`sql`).

        ``parameters``: the values of the queries' ``@name`` parameters (text, read as
        :func:`generator.dax.functions.parameter_literal` explains).

        ``role``: evaluate under this role of the model (or these roles, combined as Power BI combines a user's
        roles: a row is visible when some role shows it); ``user`` is then required: the user principal name
        USERPRINCIPALNAME() and USERNAME() return. Without a role every row is visible and those functions return
        ``user`` (default ``""``).
        """
        self.model = model
        self.connection = connection
        self.user = user or ""
        self.parameters = dict(parameters or {})
        names = [role] if isinstance(role, str) else list(role or [])
        roles = []
        for name in names:
            found = model.role(name)
            if found is None:
                known = ", ".join(r.name for r in model.roles) or "none"
                raise DaxEngineError(f"unknown role '{name}'; the model's roles: {known}")
            roles.append(found)
        if roles and not (user or "").strip():
            raise DaxEngineError("a role needs a user: the user principal name USERPRINCIPALNAME() returns")
        self.roles = tuple(dict.fromkeys(roles))
        self._parses: dict[str, ast.Expr] = {}  # measure DAX text → tree, shared by every query
        self.security = None
        #: the SQL dialect the queries run in: DuckDB's, or the server's behind an ODBC session
        self.dialect = connection.dialect if isinstance(connection, OdbcSession) else "duckdb"
        store = self._store if connection is not None and self.dialect == "duckdb" else None
        self.derived = Derived(model, self._parses, store)  # calculated columns and tables, computed once
        if self.roles:
            filters = Compiler(model, parses=self._parses, user=self.user, sources=self.derived)
            self.security = Security(model, self.roles, self.user, filters.row_filter, self.derived)
        self._blank_rows: dict[str, bool] = {}
        self._errors: tuple[type[Exception], ...] = (
            connection.errors if isinstance(connection, OdbcSession) else (duckdb.Error,))
        self.plans: PlanCache[list[Statement]] = PlanCache()  # each query text compiled once per engine
        if connection is not None and self.dialect == "duckdb":
            connection.execute("SET enable_progress_bar = false")

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        assert self.connection is not None
        return list(self.connection.execute(sql).fetchall())

    def _store(self, name: str, query: exp.Query) -> bool:
        """Materialise a derived table as DuckDB temporary table ``name`` (False when the database refuses)."""
        assert self.connection is not None
        sql = sqlfuncs.render(query, "duckdb")
        try:
            table = exp.to_identifier(name, quoted=True).sql("duckdb")
            self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
        except _STOPPED:
            raise
        except duckdb.Error as error:
            if "DAX:" in str(error):  # a DAX error raised while computing it: the model's, not the database's
                raise DaxEngineError(f"computing the calculated tables and columns: {first_line(error)}") from error
            return False
        return True

    def _error_text(self, error: Exception) -> str:
        """The sentence of a database error: the DAX runtime error it raised (``DAX: MOD: division by zero``)
        or the first line of the database's message."""
        if isinstance(self.connection, OdbcSession):
            return self.connection.error_text(error)
        return first_line(error)

    def _has_blank_row(self, table: EngineTable, condition: exp.Expression) -> bool:
        """Ask the database once per table whether a relationship to it has orphaned rows."""
        key = table.name.lower()
        if key not in self._blank_rows:
            assert self.connection is not None
            query = with_ctes(exp.select(condition), self.security, self.derived, standalone=False)
            sql = sqlfuncs.render(query, self.dialect)
            try:
                self._blank_rows[key] = _true(self._fetch(sql)[0][0])
            except _STOPPED:
                raise
            except self._errors as error:
                raise DaxEngineError(f"cannot read table '{table.name}' or a table related to it: "
                                     f"{self._error_text(error)}") from error
        return self._blank_rows[key]

    def compile(self, text: str, dialect: str | None = None, standalone: bool = False) -> list[Statement]:
        """Parse and compile a query for ``dialect`` (default: the database's) — the database is only asked which
        tables have a blank row. MariaDB/MySQL cannot read an outer row's columns inside a derived table, so
        there the grouped-aggregate plan is off and the aggregates stay correlated. ``standalone``: the SQL
        computes the calculated columns and tables itself instead of reading what the engine materialised."""
        oracle = self._has_blank_row if self.connection is not None else None
        grouped_plan = sqlfuncs.grouped_plan_allowed(dialect or self.dialect)

        def compiled() -> list[Statement]:
            with _deep_trees():
                return compile_query(self.model, parse(text, self.parameters), oracle, self._parses, self.security,
                                     self.user, grouped_plan, self.derived, standalone)

        key = compile_key(text, self.model, tuple(r.name for r in self.roles), self.user,
                          (*sorted(self.parameters.items()), ("grouped plan", str(grouped_plan)),
                           ("standalone", str(standalone))))
        return list(self.plans.get(key, compiled))

    def sql(self, text: str, dialect: str = "duckdb", pretty: bool = True) -> list[str]:
        """The SQL of each EVALUATE in ``dialect``."""
        if dialect not in DIALECTS:
            raise DaxEngineError(f"unknown dialect '{dialect}'; choose one of {', '.join(DIALECTS)}")
        statements = self.compile(text, dialect, standalone=True)
        with _deep_trees():
            return [sqlfuncs.render(statement.sql, dialect, pretty) for statement in statements]

    def run(self, statements: Sequence[Statement]) -> list[QueryResult]:
        """Execute compiled statements."""
        if self.connection is None:
            raise DaxEngineError("no database to run the query on")
        results = []
        for statement in statements:
            with _deep_trees():
                sql = sqlfuncs.render(statement.sql, self.dialect)
            try:
                rows = self._fetch(sql)
            except _STOPPED:
                raise
            except self._errors as error:
                raise DaxEngineError(f"the query failed while running: {self._error_text(error)}") from error
            python = _python if self.dialect == "duckdb" else _python_from_server
            converted = tuple(tuple(python(v, t) for v, t in zip(row, statement.types, strict=True))
                              for row in rows)
            results.append(QueryResult(statement.columns, statement.types, converted, statement.formats))
        return results

    def query(self, text: str) -> list[QueryResult]:
        """Run a DAX query; one result per EVALUATE."""
        return self.run(self.compile(text))

    def evaluate(self, expression: str) -> Any:
        """The value of one scalar DAX expression in an empty filter context (None for BLANK)."""
        result = self.query(f"EVALUATE ROW(\"Value\", {expression})")[0]
        return result.rows[0][0]


__all__ = ["DIALECTS", "Engine", "QueryResult", "Statement", "compile_query", "parse"]
