"""How much real-world DAX the parser and the engine accept: the figures of issue 22, reproducible.

Run: ``python -m benchmarks.dax_coverage [PATH ...]`` from the repository root (``PYTHONPATH=.``).

Inputs (each PATH; with none, the repository's own corpus and the conformance model):

* a ``.dax`` file or a folder of them, in the corpus format of ``tests/fixtures/dax_corpus`` (blocks that
  start with ``-- name: id``, an optional ``Name :=`` header) — measures written against this repository's
  model (the ``BI_`` tables of ``model/*.yaml``); a ``.dax`` file without ``-- name:`` lines is one query;
* a model (``.bim``, ``.pbit`` or a TMDL ``definition/`` folder): its measures, calculated columns,
  calculated tables, calculation items and role filters, each against that model.

Figures, per input and in total:

* **parse**: the text parses (``parse_expression``; a query: ``parse_query``);
* **functions**: every function the text calls is one the engine evaluates (its dispatch tables, minus the
  names it always refuses);
* **compile**: the engine compiles the expression against its model to SQL (``Engine.compile``, no data
  needed): a measure as ``EVALUATE ROW("v", [Measure])``, a calculated column as
  ``EVALUATE ADDCOLUMNS('Table', "v", expression)``, a calculated table as ``EVALUATE expression``, a role
  filter as ``EVALUATE FILTER('Table', expression)``, a calculation item as the model's first measure with the
  item selected (``EVALUATE ROW("v", CALCULATE([Measure], 'Group'[Name] = "item"))``).

The first failure reason of each expression that does not compile is tallied, so the biggest blockers show.
Nothing here runs in the test suite; the output is deterministic for a given tree.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.dax import ast
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression, parse_query
from generator.engine.model import EngineModel, EngineTable
from generator.engine.run import Engine

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUTS = (ROOT / "tests" / "fixtures" / "dax_corpus",
                  ROOT.parent / "shared" / "reference" / "dax-conformance" / "retail.bim")

_NAME_LINE = re.compile(r"^-- name: *(\S+) *$", re.MULTILINE)
_HEADER = re.compile(r"\A[ \t]*(?:(?P<defined>[^\n]*?)[ \t]*:=|(?P<named>[^\n]*?)[ \t]*=[ \t]*(?=\n))")


@dataclass(frozen=True)
class Item:
    """One expression to measure: where it comes from, its kind, its text and the query that compiles it."""

    source: str
    kind: str  # measure, column, table, calculation item, role, query
    text: str
    query: str


def supported_functions() -> frozenset[str]:
    """The function names the engine evaluates (read from its function registry)."""
    from generator.engine import functions

    names = {name for name, entry in functions.registry().items() if entry.compile is not None}
    names |= {"REMOVEFILTERS", "ALL", "ALLNOBLANKROW", "ALLEXCEPT", "USERELATIONSHIP", "KEEPFILTERS"}
    return frozenset(names)


def _calls(node: object) -> Iterator[str]:
    """The names of every function called in a syntax tree (queries included)."""
    if isinstance(node, ast.Call):
        yield node.name
    if isinstance(node, tuple):
        for item in node:
            yield from _calls(item)
        return
    if hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            value = getattr(node, name)
            if isinstance(value, (ast.Node, tuple)):
                yield from _calls(value)


def corpus_items(path: Path) -> list[Item]:
    """The blocks of one corpus file (or the whole file as one query when it has no ``-- name:`` lines)."""
    text = path.read_text(encoding="utf-8")
    parts = _NAME_LINE.split(text)
    if len(parts) == 1:
        return [Item(path.name, "query", text, text)]
    items = []
    for name, block in zip(parts[1::2], parts[2::2], strict=True):
        body = block.strip("\n")
        header = _HEADER.match(body)
        expression = body[header.end():] if header else body
        items.append(Item(f"{path.name}:{name}", "measure", expression, f'EVALUATE ROW("v",\n{expression}\n)'))
    return items


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def model_items(model: EngineModel, label: str) -> list[Item]:
    """A model's measures, calculated columns and tables, and role filters."""
    items = []
    for measure in model.measures:
        name = measure.name.replace("]", "]]")
        items.append(Item(f"{label}:[{measure.name}]", "measure", measure.expression, f'EVALUATE ROW("v", [{name}])'))
    for table in model.tables:
        if table.calculation_group is not None:
            items += _calculation_items(model, table, label)
        elif table.expression is not None:
            items.append(Item(f"{label}:{table.name}", "table", table.expression, f"EVALUATE\n{table.expression}\n"))
        for column in table.columns:
            if column.expression is not None:
                items.append(Item(f"{label}:{table.name}[{column.name}]", "column", column.expression,
                                  f'EVALUATE ADDCOLUMNS({_quoted(table.name)}, "v",\n{column.expression}\n)'))
    for role in model.roles:
        for permission in role.permissions:
            items.append(Item(f"{label}:role {role.name}/{permission.table}", "role", permission.expression,
                              f"EVALUATE FILTER({_quoted(permission.table)},\n{permission.expression}\n)"))
    return items


def _calculation_items(model: EngineModel, table: EngineTable, label: str) -> list[Item]:
    """A calculation group's items, each applied to the model's first measure (selected by a CALCULATE filter on
    the group's column); none when the model has no measure to apply them to."""
    from generator.engine.calcgroups import name_column

    assert table.calculation_group is not None
    if not model.measures:
        return []
    measure = model.measures[0].name.replace("]", "]]")
    column = f"{_quoted(table.name)}[{name_column(table).name.replace(']', ']]')}]"
    return [Item(f"{label}:{table.name}[{item.name}]", "calculation item", item.expression,
                 f'EVALUATE ROW("v", CALCULATE([{measure}], {column} = "{item.name.replace(chr(34), chr(34) * 2)}"))')
            for item in table.calculation_group.items]


def inputs(paths: list[Path]) -> list[tuple[str, EngineModel, list[Item]]]:
    """(label, model, items) for each input path."""
    from generator.engine.sources import load_engine_model

    result = []
    for path in paths:
        if path.suffix == ".dax" or (path.is_dir() and any(path.glob("*.dax"))):
            files = [path] if path.is_file() else sorted(path.glob("*.dax"))
            items = [item for file in files for item in corpus_items(file)]
            result.append((path.name, load_engine_model(None, ROOT), items))
        else:
            model = load_engine_model(path)
            result.append((path.name, model, model_items(model, path.name)))
    return result


@dataclass
class Tally:
    """Counts for one input."""

    total: int = 0
    parsed: int = 0
    supported: int = 0
    compiled: int = 0


def measure(label: str, model: EngineModel, items: list[Item], known: frozenset[str],
            blockers: collections.Counter[str], failures: list[str]) -> Tally:
    """Parse, check the functions of, and compile every item; count the outcomes."""
    tally = Tally(total=len(items))
    engine = Engine(model, None)
    for item in items:
        try:
            tree = parse_query(item.text) if item.kind == "query" else parse_expression(item.text)
        except DaxSyntaxError as error:
            blockers[f"syntax: {re.sub(r'[0-9]+:[0-9]+: ', '', str(error))[:60]}"] += 1
            failures.append(f"{item.source}: syntax error {error}")
            continue
        tally.parsed += 1
        missing = sorted({name for name in _calls(tree) if name not in known})
        if not missing:
            tally.supported += 1
        try:
            engine.compile(item.query)
        except Exception as error:  # every failure is tallied by its first sentence
            reason = str(error).split("\n")[0]
            key = re.sub(r" at [0-9]+:[0-9]+.*", "", reason)
            key = re.sub(r"'[^']*'|\[[^\]]*\]", "…", key)[:70]
            blockers[f"{type(error).__name__}: {key}"] += 1
            failures.append(f"{item.source}: {type(error).__name__}: {reason}")
            continue
        tally.compiled += 1
    return tally


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def main(argv: list[str] | None = None) -> int:
    """Print the figures for the inputs given (or the default ones)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--failures", action="store_true", help="List every expression that does not compile.")
    args = parser.parse_args(argv)
    paths = args.paths or [p for p in DEFAULT_INPUTS if p.exists()]
    known = supported_functions()
    blockers: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    total = Tally()
    for label, model, items in inputs(paths):
        tally = measure(label, model, items, known, blockers, failures)
        print(f"{label}: {tally.total} expressions; parse {_pct(tally.parsed, tally.total)}; "
              f"functions supported {_pct(tally.supported, tally.total)}; "
              f"compile {_pct(tally.compiled, tally.total)}")
        for field in ("total", "parsed", "supported", "compiled"):
            setattr(total, field, getattr(total, field) + getattr(tally, field))
    print(f"ALL: {total.total} expressions; parse {_pct(total.parsed, total.total)}; "
          f"functions supported {_pct(total.supported, total.total)}; compile {_pct(total.compiled, total.total)}")
    if blockers:
        print("blockers (first failure of each expression that does not compile):")
        for reason, count in sorted(blockers.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {count:4d}  {reason}")
    if args.failures:
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
