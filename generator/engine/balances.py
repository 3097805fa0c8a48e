"""OPENINGBALANCE… and CLOSINGBALANCE… (issue 22), declared in :mod:`generator.engine.functions`.

DAX reference: CLOSINGBALANCEMONTH/QUARTER/YEAR(expression, dates [, filter] [, year_end]) "evaluates the
expression at the last date of the month (quarter, year) in the current context"; OPENINGBALANCE… "at the date
corresponding to the end of the previous month (quarter, year)". They are written with the engine's own
functions: ``CALCULATE(expression, ENDOFMONTH(dates), filter)`` and
``CALCULATE(expression, PREVIOUSDAY(STARTOFMONTH(dates)), filter)``; the …YEAR forms take a year-end ("6-30")
as their last argument.
"""

from __future__ import annotations

from generator.dax import ast
from generator.engine.compiler import Compiler, Env
from generator.engine.functions import Kind, declare
from generator.engine.values import Scalar


def balance(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """OPENINGBALANCEMONTH/QUARTER/YEAR and CLOSINGBALANCEMONTH/QUARTER/YEAR (see the module)."""
    unit = node.name.removeprefix("OPENINGBALANCE").removeprefix("CLOSINGBALANCE")
    expression, dates, *rest = node.args
    year_end: tuple[ast.Expr, ...] = ()
    if unit == "YEAR" and rest and (isinstance(rest[-1], ast.String) or len(rest) == 2):
        year_end = (rest.pop(),)
    where = dates.position
    if node.name.startswith("CLOSING"):
        period: ast.Expr = ast.Call(f"ENDOF{unit}", (dates, *year_end), *where)
    else:
        period = ast.Call("PREVIOUSDAY", (ast.Call(f"STARTOF{unit}", (dates, *year_end), *where),), *where)
    return compiler.scalar(ast.Call("CALCULATE", (expression, period, *rest), *node.position), env)


for _unit in ("MONTH", "QUARTER", "YEAR"):
    declare(
        f"OPENINGBALANCE{_unit}",
        f"CLOSINGBALANCE{_unit}",
        kind=Kind.HANDLER,
        arity=(2, 4 if _unit == "YEAR" else 3),
        compile=balance,
    )
