"""Table generators added for issue 22 (GENERATESERIES, CALENDAR, DATATABLE), registered in
:mod:`generator.engine.functions`.

Their arguments must be constants (numbers, text, ``DATE(y, m, d)``, ``dt"…"``, TRUE/FALSE, with a sign): the rows
are written into the SQL as one ``VALUES`` list, which every database runs. Arguments computed from data are
refused with their position, and so is a table of more than :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import datetime as dt
import decimal

from sqlglot import exp

from generator.dax import ast
from generator.engine import scalars
from generator.engine.compiler import Compiler, Env
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind, declare
from generator.engine.relations import Relation, RelColumn, col
from generator.engine.tables import name_argument
from generator.engine.values import DaxType

MAX_ROWS = 100_000
Constant = decimal.Decimal | str | bool | dt.datetime | None


def constant(node: ast.Expr, what: str) -> Constant:
    """The value of a constant argument, or :class:`Unsupported` naming ``what`` and the position."""
    match node:
        case ast.Paren(expr=inner):
            return constant(inner, what)
        case ast.Number(text=text):
            return decimal.Decimal(text)
        case ast.Unary(op="-" | "+", operand=operand):
            value = constant(operand, what)
            if isinstance(value, decimal.Decimal):
                return -value if node.op == "-" else value
        case ast.String(value=value):
            return value
        case ast.Boolean(value=value):
            return value
        case ast.DateTimeLiteral(text=text):
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                raise DaxEngineError(f'dt"{text}" is not a date and time', *node.position) from None
        case ast.Call(name="DATE", args=(y, m, d)):
            parts = [constant(a, what) for a in (y, m, d)]
            if all(isinstance(p, decimal.Decimal) and p == int(p) for p in parts):
                year, month, day = (int(p) for p in parts)  # type: ignore[arg-type]
                try:
                    return dt.datetime(year, month, day)
                except ValueError:
                    pass  # DATE's roll-over of months and days: not a plain constant here
        case ast.Call(name="BLANK", args=()):
            return None
    raise Unsupported(f"{what} with an argument that is not a constant", *node.position,
                      reason="give numbers, text, DATE(y, m, d) or dt\"…\" literals")


def _literal(value: Constant, dax_type: DaxType) -> exp.Expression:
    if value is None:
        return scalars.cast_to(scalars.blank(), dax_type).sql
    if isinstance(value, bool):
        scalar = scalars.literal_boolean(value)
    elif isinstance(value, decimal.Decimal):
        scalar = scalars.literal_number(str(value) if dax_type is not DaxType.INTEGER else str(int(value)))
    elif isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType(this=exp.DataType.Type.TIMESTAMP))
    else:
        scalar = scalars.literal_string(value)
    return scalars.cast_to(scalar, dax_type).sql


def _values_table(compiler: Compiler, names: list[str], types: list[DaxType], rows: list[list[Constant]],
                  node: ast.Call) -> Relation:
    if len(rows) > MAX_ROWS:
        raise Unsupported(f"{node.name} of more than {MAX_ROWS:,} rows", *node.position)
    columns = tuple(RelColumn(f"c{i}", f"[{name}]", None, t) for i, (name, t) in enumerate(zip(names, types,
                                                                                             strict=True)))
    if not rows:  # no rows: a typed row filtered away
        select = exp.select(*[exp.alias_(_literal(None, t), c.sql) for t, c in zip(types, columns, strict=True)])
        return Relation(select.where(exp.false()), columns)
    alias = compiler.fresh("k")
    values = exp.Values(
        expressions=[exp.Tuple(expressions=[_literal(v, t) for v, t in zip(row, types, strict=True)]) for row in rows],
        alias=exp.TableAlias(this=exp.to_identifier(alias), columns=[exp.to_identifier(c.sql) for c in columns]))
    return Relation(exp.select(*[col(alias, c.sql) for c in columns]).from_(values), columns)


def generateseries(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """GENERATESERIES(start, end [, increment]): one column [Value] holding start, start + increment, … up to end
    (DAX reference: increment defaults to 1 and must be positive; "when end is less than start, an empty table is
    returned"). Whole numbers give whole numbers; otherwise decimal numbers. Dates step by days."""
    start, end = (constant(a, "GENERATESERIES") for a in node.args[:2])
    step = constant(node.args[2], "GENERATESERIES") if len(node.args) == 3 else decimal.Decimal(1)
    if not isinstance(step, decimal.Decimal) or step <= 0:
        raise DaxEngineError("GENERATESERIES: the increment must be a positive number", *node.args[-1].position)
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        days = (end - start) / dt.timedelta(days=1)
        count = int(decimal.Decimal(days) // step) + 1 if end >= start else 0
        if count > MAX_ROWS:
            raise Unsupported(f"GENERATESERIES of more than {MAX_ROWS:,} rows", *node.position)
        rows = [[start + dt.timedelta(days=float(step * i))] for i in range(count)]
        return _values_table(compiler, ["Value"], [DaxType.DATETIME], rows, node)  # type: ignore[list-item]
    if not all(isinstance(v, decimal.Decimal) for v in (start, end)):
        raise DaxEngineError("GENERATESERIES takes numbers (or dates) as start and end", *node.position)
    assert isinstance(start, decimal.Decimal) and isinstance(end, decimal.Decimal)
    count = int((end - start) // step) + 1 if end >= start else 0
    if count > MAX_ROWS:
        raise Unsupported(f"GENERATESERIES of more than {MAX_ROWS:,} rows", *node.position)
    whole = all(v == int(v) and "." not in str(v) and "E" not in str(v).upper() for v in (start, end, step))
    rows = [[start + step * i] for i in range(count)]
    return _values_table(compiler, ["Value"], [DaxType.INTEGER if whole else DaxType.DOUBLE], rows, node)


def calendar(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """CALENDAR(start_date, end_date): one column [Date] with every day from start to end, inclusive (DAX
    reference: "an error is returned if start_date is greater than end_date"). Times of day are dropped."""
    start, end = (constant(a, "CALENDAR") for a in node.args)
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        raise DaxEngineError("CALENDAR takes two dates", *node.position)
    first, last = start.replace(hour=0, minute=0, second=0, microsecond=0), end.replace(hour=0, minute=0, second=0,
                                                                                     microsecond=0)
    if first > last:
        raise DaxEngineError("CALENDAR: the start date is after the end date", *node.position)
    count = (last - first).days + 1
    if count > MAX_ROWS:
        raise Unsupported(f"CALENDAR of more than {MAX_ROWS:,} days", *node.position)
    rows = [[first + dt.timedelta(days=i)] for i in range(count)]
    return _values_table(compiler, ["Date"], [DaxType.DATETIME], rows, node)  # type: ignore[arg-type]


_DATATABLE_TYPES = {"INTEGER": DaxType.INTEGER, "DOUBLE": DaxType.DOUBLE, "STRING": DaxType.STRING,
                    "BOOLEAN": DaxType.BOOLEAN, "CURRENCY": DaxType.DECIMAL, "DATETIME": DaxType.DATETIME}


def datatable(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """DATATABLE("name", TYPE, …, {{v1, v2, …}, …}): a table of constants (DAX reference: TYPE is INTEGER, DOUBLE,
    STRING, BOOLEAN, CURRENCY or DATETIME; every value must be a constant; datetimes are written as text, e.g.
    "2024-01-31")."""
    if len(node.args) < 3 or len(node.args) % 2 == 0:
        raise DaxEngineError('DATATABLE takes "name", TYPE pairs and then the rows { { … }, … }', *node.position)
    names, types = [], []
    for index in range(0, len(node.args) - 1, 2):
        names.append(name_argument(node.args[index], "DATATABLE"))
        word = node.args[index + 1]
        type_name = word.name.upper() if isinstance(word, ast.TableRef | ast.Keyword) else ""
        if type_name not in _DATATABLE_TYPES:
            raise DaxEngineError(f"DATATABLE: unknown type (one of {', '.join(_DATATABLE_TYPES)})", *word.position)
        types.append(_DATATABLE_TYPES[type_name])
    data = node.args[-1]
    if not isinstance(data, ast.TableConstructor):
        raise DaxEngineError("DATATABLE's last argument is the rows, { { … }, … }", *data.position)
    rows: list[list[Constant]] = []
    for row in data.rows:
        # each row is written { v1, v2, … }: a one-column constructor whose rows are the values
        items = tuple(r[0] for r in row[0].rows) if len(row) == 1 and isinstance(row[0], ast.TableConstructor) \
            else row
        if len(items) != len(names):
            raise DaxEngineError(f"DATATABLE: a row has {len(items)} values for {len(names)} columns",
                                 *items[0].position if items else data.position)
        values = [constant(item, "DATATABLE") for item in items]
        for i, value in enumerate(values):
            if types[i] is DaxType.DATETIME and isinstance(value, str):
                try:
                    values[i] = dt.datetime.fromisoformat(value)
                except ValueError:
                    raise DaxEngineError(f"DATATABLE: {value!r} is not a date", *items[i].position) from None
        rows.append(values)
    return _values_table(compiler, names, types, rows, node)


declare("GENERATESERIES", kind=Kind.TABLE, arity=(2, 3), compile=generateseries)
declare("CALENDAR", kind=Kind.TABLE, arity=2, compile=calendar)
declare("DATATABLE", kind=Kind.TABLE, compile=datatable)
