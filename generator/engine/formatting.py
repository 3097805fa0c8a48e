# ruff: noqa: RUF012 - sqlglot declares arg_types and _sql_names as plain class dicts and lists
"""FORMAT(value, format_string[, locale]) for en-US (issue 22), compiled to SQL for every engine dialect.

Rules followed (Microsoft Learn, FORMAT and its pages of pre-defined and custom formats; Visual Basic format
strings, not .NET):

* BLANK → ``""``; the result is text. The format string (and the locale) must be constant text; the locale must
  be en-US (``"en-US"``); any other locale or a format outside the subset below is refused with
  ``unsupported: FORMAT with format "…"``.
* Numbers — predefined: ``General Number`` (the number as DAX writes it), ``Currency`` (``$#,##0.00``, negatives in
  parentheses: ``($1,234.50)``), ``Fixed`` (``0.00``), ``Standard`` (``#,##0.00``), ``Percent`` (``0.00%``: times
  100, ``%`` appended), ``Scientific`` (``0.00E+00``: ``1.23E+04``), ``Yes/No``, ``True/False``, ``On/Off`` (0 → the
  second word, anything else the first).
  Custom: digit placeholders ``0`` and ``#`` with a thousands ``,`` and ``.`` followed by ``0``s
  (``0``, ``0.00``, ``#,##0``, ``#,##0.00``, ``#.0``, and ``0.##``/``#,##0.##`` whose decimals are written only
  when not zero), scientific sections (``0.0E+00``, ``0.00E-0``: ``E-``
  writes only a negative exponent's sign), ``%`` (times 100), literal ``$ - + ( ) : / space``,
  ``"quoted"`` and ``\\x`` text, and up to three ``;`` sections (positive and zero; negative, written without its
  sign; zero). With one section a negative number gets a leading ``-``. Digits round half away from zero as DAX's
  ROUND does.
* Dates and times — predefined: ``General Date`` (``3/12/2008 11:07:31 AM``, the date alone at midnight),
  ``Long Date``/``Medium Date`` (``Wednesday, March 12, 2008``), ``Short Date`` (``3/12/2008``), ``Long Time``
  (``11:07:31 AM``), ``Medium Time`` (``11:07 AM``, ``hh:nn AM/PM``), ``Short Time`` (``23:07``, ``hh:nn``).
  Custom: ``yyyy yy mmmm mmm mm m dddd ddd dd d hh h nn n ss s q AM/PM am/pm`` (``m``/``mm`` are minutes right
  after ``h`` or right before ``s``; with AM/PM the hour is on a 12-hour clock), literal ``/ - : , . space``,
  ``"quoted"`` and ``\\x`` text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.generator import Generator

from generator.dax import ast
from generator.engine import scalars, sqlfuncs
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind, declare
from generator.engine.rounding import round_sql
from generator.engine.values import DaxType, Scalar

_T = DaxType


# ------------------------------------------------------------------------------------------------- SQL pieces
class DatePartText(exp.Expression, exp.Func):
    """One part of the TIMESTAMP ``this`` as text; ``part`` is a string literal naming it (keys of
    :data:`_DATE_PARTS`, e.g. ``yyyy``, ``m``, ``H`` for the 24-hour hour, ``I`` for the 12-hour hour)."""

    arg_types = {"this": True, "part": True}
    _sql_names = ["STRFTIME"]


#: Part → (DuckDB strftime, PostgreSQL to_char, MySQL/MariaDB DATE_FORMAT, T-SQL FORMAT, Spark date_format);
#: ``None`` where the part is written with a function of its own (see :func:`_part_sql`).
_DATE_PARTS: dict[str, tuple[str | None, ...]] = {
    "yyyy": ("%Y", "YYYY", "%Y", "yyyy", "yyyy"),
    "yy": ("%y", "YY", "%y", "yy", "yy"),
    "mmmm": ("%B", "FMMonth", "%M", "MMMM", "MMMM"),
    "mmm": ("%b", "Mon", "%b", "MMM", "MMM"),
    "mm": ("%m", "MM", "%m", "MM", "MM"),
    "m": ("%-m", "FMMM", "%c", "%M", "M"),
    "dddd": ("%A", "FMDay", "%W", "dddd", "EEEE"),
    "ddd": ("%a", "Dy", "%a", "ddd", "EEE"),
    "dd": ("%d", "DD", "%d", "dd", "dd"),
    "d": ("%-d", "FMDD", "%e", "%d", "d"),
    "HH": ("%H", "HH24", "%H", "HH", "HH"),
    "H": ("%-H", "FMHH24", "%k", "%H", "H"),
    "II": ("%I", "HH12", "%h", "hh", "hh"),
    "I": ("%-I", "FMHH12", "%l", "%h", "h"),
    "nn": ("%M", "MI", "%i", "mm", "mm"),
    "n": ("%-M", "FMMI", None, "%m", "m"),
    "ss": ("%S", "SS", "%S", "ss", "ss"),
    "s": ("%-S", "FMSS", None, "%s", "s"),
    "AMPM": ("%p", "AM", "%p", "tt", "a"),
    "q": (None, "Q", None, None, None),
}
#: Dialect → (its column in :data:`_DATE_PARTS`, the call writing a pattern, the call writing a part by a function).
_DIALECT_PARTS = {
    "duckdb": (0, "STRFTIME({x}, '{p}')", "CAST({f}({x}) AS VARCHAR)"),
    "postgres": (1, "TO_CHAR({x}, '{p}')", ""),
    "mysql": (2, "DATE_FORMAT({x}, '{p}')", "CAST({f}({x}) AS CHAR)"),
    "tsql": (3, "FORMAT({x}, '{p}', 'en-US')", "CAST(DATEPART({f}, {x}) AS VARCHAR(2))"),
    "spark": (4, "DATE_FORMAT({x}, '{p}')", "CAST({f}({x}) AS STRING)"),
}
_PART_FUNCTIONS = {"n": "MINUTE", "s": "SECOND", "q": "QUARTER"}


def _part_renderer(dialect: str) -> Callable[[Generator, exp.Expression], str]:
    """How ``dialect`` writes a :class:`DatePartText`."""
    index, call, by_function = _DIALECT_PARTS[dialect]

    def render(g: Generator, e: exp.Expression) -> str:
        part, value = e.args["part"].this, g.sql(e.this)
        pattern = _DATE_PARTS[part][index]
        if pattern is None:
            return by_function.format(f=_PART_FUNCTIONS[part], x=value)
        return call.format(x=value, p=pattern)

    return render


# ------------------------------------------------------------------------------------------------- format strings
_NUMBER_FORMATS = {
    "currency": "$#,##0.00;($#,##0.00)",
    "fixed": "0.00",
    "standard": "#,##0.00",
    "percent": "0.00%",
    "scientific": "0.00E+00",
}
_WORDS = {"yes/no": ("Yes", "No"), "true/false": ("True", "False"), "on/off": ("On", "Off")}
_DATE_FORMATS = {
    "long date": "dddd, mmmm d, yyyy",
    "medium date": "dddd, mmmm d, yyyy",
    "short date": "m/d/yyyy",
    "long time": "h:nn:ss AM/PM",
    "medium time": "hh:nn AM/PM",
    "short time": "hh:nn",
}
_LITERAL_CHARACTERS = set("$-+():/ ")
_DATE_TOKEN = re.compile(
    r'"[^"]*"|\\.|yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|nn|n|ss|s|q|am/pm|[/\-:,. ]', re.IGNORECASE
)


class _Refused(Exception):
    """The format string is outside the supported subset."""


@dataclass(frozen=True)
class _NumberSection:
    """One ``;`` section of a custom numeric format."""

    prefix: str
    suffix: str
    integer_digits: int  # 0 (``#``) or 1 (``0``); -1: the section has no digits (literal text only)
    grouping: bool
    decimals: int
    percent: bool
    exponent: tuple[str, int] | None = None  # scientific: the exponent's sign mode ("+" or "-") and minimum digits
    optional: bool = False  # the decimals are ``#``: trailing zeros (and then the point) are dropped


_SCIENTIFIC = re.compile(r"0(?:\.(0+))?[Ee]([+-])(0+)")


def _split_sections(text: str) -> list[str]:
    sections, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return [*sections, current]


def _number_section(text: str) -> _NumberSection:
    """Parse one section: literal text, then the digit placeholders, then literal text (or a whole scientific
    section, ``0.00E+00``)."""
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:
        decimals, sign, digits = scientific.groups()
        return _NumberSection("", "", 1, False, len(decimals or ""), False, (sign, len(digits)))
    before, after, digits, percent = "", "", "", False
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            end = text.find('"', index + 1)
            if end < 0:
                raise _Refused
            literal, index = text[index + 1 : end], end + 1
        elif char == "\\" and index + 1 < len(text):
            literal, index = text[index + 1], index + 2
        elif char in "0#,.":
            if after:
                raise _Refused  # digits after trailing text
            digits += char
            index += 1
            continue
        elif char == "%":
            percent, literal, index = True, "%", index + 1
        elif char in _LITERAL_CHARACTERS:
            literal, index = char, index + 1
        else:
            raise _Refused
        if digits:
            after += literal
        else:
            before += literal
    if not digits:
        return _NumberSection(before, "", -1, False, 0, percent)
    match = re.fullmatch(r"([#,]*)(0?)(?:\.(0*)(#*))?", digits)
    if match is None or match.group(1).endswith(","):
        raise _Refused
    grouping = "," in match.group(1)
    if match.group(1).replace(",", "") not in ("", "#", "##", "###") and not grouping:
        raise _Refused
    zeros, hashes = len(match.group(3) or ""), len(match.group(4) or "")
    if hashes and (zeros or not match.group(2)):  # optional decimals only as 0.## (after a 0, none required)
        raise _Refused
    integer_digits = 1 if match.group(2) else 0
    return _NumberSection(before, after, integer_digits, grouping, zeros + hashes, percent, optional=bool(hashes))


def _date_tokens(text: str) -> list[tuple[bool, str]]:
    """``(is_part, value)`` items of a custom date format: parts (keys of :data:`_DATE_PARTS`) and literal text."""
    raw: list[str] = []
    index = 0
    while index < len(text):
        match = _DATE_TOKEN.match(text, index)
        if match is None:
            raise _Refused
        raw.append(match.group(0))
        index = match.end()
    twelve = any(token.lower() == "am/pm" for token in raw)
    parts = [i for i, token in enumerate(raw) if token[0].isalpha()]
    items: list[tuple[bool, str]] = []
    for i, token in enumerate(raw):
        lower = token.lower()
        if token.startswith('"'):
            items.append((False, token[1:-1]))
        elif token.startswith("\\"):
            items.append((False, token[1]))
        elif lower == "am/pm":
            items.append((True, "AMPM" if token[0] == "A" else "ampm"))
        elif lower in ("m", "mm"):
            position = parts.index(i)
            previous = raw[parts[position - 1]].lower() if position > 0 else ""
            following = raw[parts[position + 1]].lower() if position + 1 < len(parts) else ""
            minute = previous in ("h", "hh") or following in ("s", "ss")
            items.append((True, ("n" if lower == "m" else "nn") if minute else lower))
        elif lower in ("h", "hh"):
            items.append((True, ("I" if twelve else "H") * len(lower)))
        elif token[0].isalpha():
            items.append((True, lower))
        else:
            items.append((False, token))
    return items


# ------------------------------------------------------------------------------------------------- SQL
def _concat(parts: list[exp.Expression]) -> exp.Expression:
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    return result


def _with_literals(prefix: str, body: exp.Expression, suffix: str) -> exp.Expression:
    return _concat(
        [*([exp.Literal.string(prefix)] if prefix else []), body, *([exp.Literal.string(suffix)] if suffix else [])]
    )


def _section_text(section: _NumberSection, magnitude: exp.Expression) -> exp.Expression:
    """The text of the non-negative DOUBLE ``magnitude`` in ``section``."""
    if section.integer_digits < 0:
        return exp.Literal.string(section.prefix)
    if section.exponent is not None:
        return _scientific_text(section, magnitude)
    if section.percent:
        magnitude = exp.Mul(this=magnitude, expression=exp.Literal.number(100))
    rounded = round_sql(magnitude, section.decimals)
    spec = "{:" + ("," if section.grouping else "") + f".{section.decimals}f" + "}"
    text: exp.Expression = sqlfuncs.FixedText(format=exp.Literal.string(spec), this=rounded)
    if section.optional:  # 0.##: 2.50 → 2.5, 2.00 → 2
        for trailing in ("0", "."):
            text = exp.Trim(this=text, expression=exp.Literal.string(trailing), position="TRAILING")
    if section.integer_digits == 0:  # "#": no digit before the point when the number is below 1
        below_one = exp.LT(this=rounded.copy(), expression=exp.Literal.number(1))
        stripped = exp.Substring(this=text.copy(), start=exp.Literal.number(2))
        text = exp.Case(ifs=[exp.If(this=below_one, true=stripped)], default=text)
    return _with_literals(section.prefix, text, section.suffix)


def _scientific_text(section: _NumberSection, magnitude: exp.Expression) -> exp.Expression:
    """``magnitude`` as ``m.mmE+ee``: the mantissa (1 ≤ m < 10, rounded half away from zero) and the power of ten;
    0 is ``0.00E+00``."""
    assert section.exponent is not None
    sign_mode, digits = section.exponent
    zero = exp.EQ(this=magnitude.copy(), expression=exp.Literal.number(0))
    log = exp.Anonymous(this="LOG10", expressions=[exp.Nullif(this=magnitude.copy(), expression=exp.Literal.number(0))])
    power = exp.Coalesce(this=exp.Floor(this=log), expressions=[exp.Literal.number(0)])
    scaled = exp.Div(this=magnitude.copy(), expression=exp.Pow(this=exp.Literal.number(10.0), expression=power.copy()))
    mantissa = round_sql(scaled, section.decimals)
    carry = exp.GTE(this=mantissa.copy(), expression=exp.Literal.number(10))  # 9.999 rounded up to 10.00
    mantissa = exp.Case(
        ifs=[exp.If(this=carry, true=exp.Div(this=mantissa.copy(), expression=exp.Literal.number(10)))],
        default=mantissa,
    )
    exponent = exp.Case(
        ifs=[exp.If(this=carry.copy(), true=exp.Add(this=power.copy(), expression=exp.Literal.number(1)))],
        default=power,
    )
    exponent = exp.Case(ifs=[exp.If(this=zero, true=exp.Literal.number(0))], default=exponent)
    size = exp.cast(exp.Abs(this=exponent.copy()), exp.DataType.build("BIGINT"))
    text = scalars.cast_to(Scalar(size, _T.INTEGER), _T.STRING).sql
    padded = [
        exp.If(
            this=exp.LT(this=size.copy(), expression=exp.Literal.number(10**width)),
            true=_concat([exp.Literal.string("0" * (digits - width)), text.copy()]),
        )
        for width in range(1, digits)
    ]
    exponent_text = exp.Case(ifs=padded, default=text) if padded else text
    negative = exp.LT(this=exponent.copy(), expression=exp.Literal.number(0))
    sign = exp.Case(
        ifs=[exp.If(this=negative, true=exp.Literal.string("-"))],
        default=exp.Literal.string("+" if sign_mode == "+" else ""),
    )
    spec = "{:" + f".{section.decimals}f" + "}"
    body = sqlfuncs.FixedText(format=exp.Literal.string(spec), this=mantissa)
    return _concat([body, exp.Literal.string("E"), sign, exponent_text])


def _number_sql(value: exp.Expression, format_string: str) -> exp.Expression:
    sections = [_number_section(s) for s in _split_sections(format_string)]
    if len(sections) > 3:
        raise _Refused
    absolute = exp.Abs(this=value.copy())
    positive = _section_text(sections[0], absolute)
    if len(sections) == 1:
        negative = _concat([exp.Literal.string("-"), _section_text(sections[0], absolute.copy())])
    else:
        negative = _section_text(sections[1], absolute.copy())
    ifs = [exp.If(this=exp.LT(this=value.copy(), expression=exp.Literal.number(0)), true=negative)]
    if len(sections) == 3:
        ifs.insert(
            0,
            exp.If(
                this=exp.EQ(this=value.copy(), expression=exp.Literal.number(0)),
                true=_section_text(sections[2], absolute.copy()),
            ),
        )
    return exp.Case(ifs=ifs, default=positive)


def _date_sql(value: exp.Expression, format_string: str) -> exp.Expression:
    parts: list[exp.Expression] = []
    for is_part, item in _date_tokens(format_string):
        if not is_part:
            parts.append(exp.Literal.string(item))
        elif item == "ampm":
            parts.append(exp.Lower(this=DatePartText(this=value.copy(), part=exp.Literal.string("AMPM"))))
        else:
            parts.append(DatePartText(this=value.copy(), part=exp.Literal.string(item)))
    if not parts:
        raise _Refused
    return _concat(parts)


def _constant_text(value: Scalar) -> str | None:
    e = value.sql
    return e.this if isinstance(e, exp.Literal) and e.is_string else None


def format_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """FORMAT(value, format_string[, locale]): ``value`` as text in the format (see the module docstring)."""
    if len(args) not in (2, 3):
        raise DaxEngineError(f"FORMAT takes 2 or 3 arguments, got {len(args)}", call.line, call.column)
    if len(args) == 3:
        locale = _constant_text(args[2])
        if locale is None or locale.lower() != "en-us":
            shown = locale if locale is not None else "(computed)"
            raise Unsupported(f'FORMAT with locale "{shown}"', call.line, call.column, reason="only en-US is formatted")
    format_string = _constant_text(args[1]) if args[1].type is not _T.BLANK else ""
    if format_string is None:
        raise Unsupported("FORMAT with a format that is not constant text", call.line, call.column)
    value = args[0]
    if value.type is _T.BLANK:
        return Scalar(exp.Literal.string(""), _T.STRING)
    try:
        text = _format_sql(value, format_string)
    except _Refused:
        raise Unsupported(f'FORMAT with format "{format_string}"', call.line, call.column) from None
    if scalars._nullable(value.sql):
        text = exp.Case(
            ifs=[exp.If(this=exp.Is(this=value.sql.copy(), expression=exp.Null()), true=exp.Literal.string(""))],
            default=text,
        )
    return Scalar(text, _T.STRING)


def _format_sql(value: Scalar, format_string: str) -> exp.Expression:
    key = format_string.strip().lower()
    if value.type is _T.DATETIME:
        if key in ("", "general date"):
            return scalars.cast_to(value, _T.STRING).sql
        return _date_sql(value.sql, _DATE_FORMATS.get(key, format_string))
    if value.type is _T.BOOLEAN:
        if key in _WORDS:
            yes, no = _WORDS[key]
            return exp.Case(
                ifs=[exp.If(this=value.sql.copy(), true=exp.Literal.string(yes))], default=exp.Literal.string(no)
            )
        value = scalars.cast_to(value, _T.INTEGER)
    if not value.type.is_numeric:
        raise _Refused  # text (or a value of mixed types) formatted as a number
    if key in ("", "general number"):
        return scalars.cast_to(value, _T.STRING).sql
    if key in _WORDS:
        yes, no = _WORDS[key]
        zero = exp.EQ(this=value.sql.copy(), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=zero, true=exp.Literal.string(no))], default=exp.Literal.string(yes))
    number = scalars.cast_to(value, _T.DOUBLE).sql
    return _number_sql(number, _NUMBER_FORMATS.get(key, format_string))


# ------------------------------------------------------------------------------------------------- registration
declare("FORMAT", kind=Kind.SCALAR, arity=(2, 3), compile=format_function)
sqlfuncs.add_renderings(DatePartText, {name: _part_renderer(name) for name in _DIALECT_PARTS})
