"""Small builders of sqlglot expressions for the engine's SQL: operators with explicit parentheses (sqlglot adds
none for precedence), CASE, CAST, literals. Each returns a new node that owns its arguments (a sqlglot node has one
parent, so an argument already in another tree is copied)."""

from __future__ import annotations

import functools
import re

from sqlglot import exp


def _own(e: exp.Expression) -> exp.Expression:
    """``e``, or a copy of it when it already sits in another tree (a sqlglot node has one parent)."""
    return e.copy() if e.parent is not None else e


def _x(cls: type[exp.Expression], **args: object) -> exp.Expression:
    """``cls(**args)`` with every expression argument owned by the new node (see :func:`_own`)."""
    owned = {
        key: (
            _own(value)
            if isinstance(value, exp.Expression)
            else [_own(v) if isinstance(v, exp.Expression) else v for v in value]
            if isinstance(value, list)
            else value
        )
        for key, value in args.items()
    }
    return cls(**owned)


def _p(e: exp.Expression) -> exp.Expression:
    """``e`` parenthesised when it is an operator expression (sqlglot does not add precedence parentheses)."""
    if isinstance(e, (exp.Binary, exp.Neg, exp.Not)) or (isinstance(e, exp.Literal) and e.name.startswith("-")):
        return exp.Paren(this=_own(e))
    return e


def _bin(cls: type[exp.Binary], a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _x(cls, this=_p(a), expression=_p(b))


def _add(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _bin(exp.Add, a, b)


def _sub(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _bin(exp.Sub, a, b)


def _mul(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _bin(exp.Mul, a, b)


def _div(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return _bin(exp.Div, a, b)


def _neg(a: exp.Expression) -> exp.Expression:
    return _x(exp.Neg, this=_p(a))


def _not(a: exp.Expression) -> exp.Expression:
    return _x(exp.Not, this=_p(a))


def _and(*parts: exp.Expression) -> exp.Expression:
    result = parts[0]
    for part in parts[1:]:
        result = _bin(exp.And, result, part)
    return result


def _or(*parts: exp.Expression) -> exp.Expression:
    result = parts[0]
    for part in parts[1:]:
        result = _bin(exp.Or, result, part)
    return result


def _is_null(a: exp.Expression) -> exp.Expression:
    return _x(exp.Is, this=_p(a), expression=exp.Null())


def _func(name: str, *args: exp.Expression) -> exp.Expression:
    return _x(exp.Anonymous, this=name, expressions=list(args))


def _coalesce(*args: exp.Expression) -> exp.Expression:
    return _x(exp.Coalesce, this=args[0], expressions=list(args[1:]))


def _case(whens: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None) -> exp.Case:
    return _x(exp.Case, ifs=[_x(exp.If, this=cond, true=value) for cond, value in whens], default=default)


@functools.cache
def _data_type(sql_type: str) -> exp.DataType:
    return exp.DataType.build(sql_type)


def _cast(e: exp.Expression, sql_type: str) -> exp.Expression:
    """``CAST(e AS sql_type)``; the type is parsed once per name (parsing dominated compile time)."""
    return _x(exp.Cast, this=e, to=_data_type(sql_type).copy())


def _int(n: int) -> exp.Expression:
    return exp.Literal.number(n)


def _double(x: float) -> exp.Expression:
    return _cast(exp.Literal.number(repr(float(x))), "DOUBLE")


def _str(s: str) -> exp.Expression:
    return exp.Literal.string(s)


def _bool(b: bool) -> exp.Expression:
    return exp.Boolean(this=b)


def _timestamp(text: str) -> exp.Expression:
    return _cast(_str(text), "TIMESTAMP")


_NOT_STATIC = object()


def _static(e: exp.Expression) -> object:
    """The Python value of a constant expression (number, str, bool, None for NULL), else ``_NOT_STATIC``."""
    if isinstance(e, exp.Paren):
        return _static(e.this)
    if isinstance(e, exp.Null):
        return None
    if isinstance(e, exp.Boolean):
        return bool(e.this)
    if isinstance(e, exp.Literal):
        if e.is_string:
            return e.this
        text = e.this
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    if (
        isinstance(e, exp.Cast)
        and not isinstance(e, exp.TryCast)
        and (isinstance(e.this, exp.Null) or (isinstance(e.this, exp.Literal) and not e.this.is_string))
    ):
        return _static(e.this)
    if isinstance(e, exp.Neg):
        value = _static(e.this)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    return _NOT_STATIC


def _static_number(e: exp.Expression) -> float | None:
    """The value of a numeric constant expression, else None."""
    value = _static(e)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None
