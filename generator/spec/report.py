"""``report/*.yaml``: the Power BI report (pages, visuals, their fields, filters and theme), validated against the
model with file and line like every other spec.

A field is either a model column written ``Table[column]`` or a catalogue measure written by its name; anything
else is a problem with the closest name suggested. Measures go in value roles, columns in grouping roles (no
implicit measures: a column is never summed by a visual). Positions are on a 1280×720 canvas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.dax.names import dax_measure, dax_table
from generator.errors import SpecError, SpecProblem
from generator.semantic.names import ColumnName, MeasureName, Names, did_you_mean
from generator.spec.loader import COLUMN_REF, _check_keys, _Problems, _typed
from generator.spec.model import Origin
from generator.spec.text import single_line_problem
from generator.spec.yamlsrc import SpecList, SpecMap, load_yaml

if TYPE_CHECKING:
    from generator.spec.model import Model

CANVAS = (1280, 720)
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # page and visual names: folder names in the PBIR definition
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
FILE_KEYS = {"theme", "pages"}
THEME_KEYS = {"name", "data_colors", "good", "neutral", "bad", "background", "foreground"}
PAGE_KEYS = {"name", "title", "visuals", "filters", "drillthrough", "hidden"}
VISUAL_KEYS = {"name", "type", "title", "position", "fields", "sort", "filters", "conditional_formatting", "sync",
               "reference_lines"}
REFERENCE_LINE_KEYS = {"value", "label"}
WITH_REFERENCE_LINES = ("clustered_bar", "stacked_bar", "line", "area")
POSITION_KEYS = {"x", "y", "width", "height"}
FILTER_KEYS = {"field", "in", "op", "value"}
FORMATTING_KEYS = {"field", "min_color", "max_color"}
SORT_KEYS = {"field", "direction"}
OPERATORS = {"=": "Equal", ">": "GreaterThan", ">=": "GreaterThanOrEqual", "<": "LessThan",
             "<=": "LessThanOrEqual"}
GROUP, MEASURE = "group", "measure"


@dataclass(frozen=True)
class VisualKind:
    """A visual type of the spec: its Power BI ``visualType`` and its roles (spec name → (PBIR role, what
    the role takes: columns or measures))."""

    visual_type: str
    roles: tuple[tuple[str, str, str], ...]

    def role(self, name: str) -> tuple[str, str] | None:
        """The PBIR role and kind of the spec role ``name``, or None."""
        return next(((pbir, kind) for spec, pbir, kind in self.roles if spec == name), None)


_CHART = (("category", "Category", GROUP), ("values", "Y", MEASURE), ("series", "Series", GROUP),
          ("tooltips", "Tooltips", MEASURE))
VISUAL_KINDS = {
    "card": VisualKind("card", (("values", "Values", MEASURE),)),
    "multi_row_card": VisualKind("multiRowCard", (("values", "Values", MEASURE),)),
    "clustered_bar": VisualKind("clusteredBarChart", _CHART),
    "stacked_bar": VisualKind("barChart", _CHART),
    "line": VisualKind("lineChart", (*_CHART, ("secondary", "Y2", MEASURE))),
    "area": VisualKind("areaChart", (*_CHART, ("secondary", "Y2", MEASURE))),
    "scatter": VisualKind("scatterChart", (("details", "Category", GROUP), ("x", "X", MEASURE),
                                           ("y", "Y", MEASURE), ("size", "Size", MEASURE))),
    "table": VisualKind("tableEx", (("columns", "Values", GROUP), ("values", "Values", MEASURE))),
    "matrix": VisualKind("pivotTable", (("rows", "Rows", GROUP), ("columns", "Columns", GROUP),
                                        ("values", "Values", MEASURE))),
    "slicer": VisualKind("slicer", (("values", "Values", GROUP),)),
}


@dataclass(frozen=True)
class Field:
    """A model column (``Table[column]``) or a catalogue measure (``table`` is its home table)."""

    table: str
    name: str
    is_measure: bool

    @property
    def dax(self) -> str:
        """The field as DAX: ``'Table'[column]`` or ``[Measure]``."""
        return dax_measure(self.name) if self.is_measure else dax_table(self.table) + dax_measure(self.name)

    @property
    def query_ref(self) -> str:
        """The PBIR ``queryRef``: ``Table.name``."""
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class Filter:
    """``field in values`` (a column) or ``field op value`` (a measure, applied to the visual's rows)."""

    field: Field
    values: tuple[Any, ...] = ()
    op: str = ""
    value: Any = None


@dataclass(frozen=True)
class Formatting:
    """A background colour scale on the cells of one measure of a table or matrix."""

    field: Field
    min_color: str
    max_color: str


@dataclass(frozen=True)
class ReferenceLine:
    """A constant line on a chart's value axis (a benchmark such as the 90 % target)."""

    value: float
    label: str


@dataclass(frozen=True)
class Visual:
    """One visual of a page."""

    name: str
    kind: str
    title: str
    position: tuple[int, int, int, int]  # x, y, width, height
    fields: tuple[tuple[str, tuple[Field, ...]], ...]  # spec role → fields, in the spec's order
    sort: tuple[Field, str] | None
    filters: tuple[Filter, ...]
    formatting: tuple[Formatting, ...]
    sync: str | None
    origin: Origin
    reference_lines: tuple[ReferenceLine, ...] = ()

    @property
    def all_fields(self) -> list[Field]:
        """Every field of the visual, in role order, each once."""
        found: list[Field] = []
        for _, fields in self.fields:
            found.extend(field for field in fields if field not in found)
        return found


@dataclass(frozen=True)
class Page:
    """One page: its visuals, page-level filters and, for a drill-through page, the fields it drills on."""

    name: str
    title: str
    visuals: tuple[Visual, ...]
    filters: tuple[Filter, ...]
    drillthrough: tuple[Field, ...]
    origin: Origin


@dataclass(frozen=True)
class Theme:
    """The report's custom theme."""

    name: str
    data_colors: tuple[str, ...]
    good: str
    neutral: str
    bad: str
    background: str
    foreground: str


DEFAULT_THEME = Theme("MSP CSAT", ("#1F6FB2", "#2E7D32", "#F9A825", "#C62828", "#6A1B9A", "#00838F"),
                      "#2E7D32", "#F9A825", "#C62828", "#FFFFFF", "#252423")


@dataclass(frozen=True)
class Report:
    """The whole report spec."""

    pages: tuple[Page, ...]
    theme: Theme = DEFAULT_THEME

    def page(self, name: str) -> Page:
        """The page called ``name``; KeyError when there is none."""
        return next(page for page in self.pages if page.name == name)


EMPTY_REPORT = Report(pages=(Page("page_1", "Page 1", (), (), (), Origin("report", 0)),))


class _Reader:
    """Reads the report files against one model, collecting every problem."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.problems = _Problems()
        self.names = Names.of_spec(model)

    def field(self, node: SpecMap | SpecList, line: int, text: Any, what: str) -> Field | None:
        """``text`` as a field, or None after reporting why it is not one."""
        if not isinstance(text, str) or not text.strip():
            self.problems.add(node, line, f"{what} must be a measure name or Table[column], found {text!r}")
            return None
        match = COLUMN_REF.fullmatch(text)
        if match is None:
            name = text.strip().removeprefix("[").removesuffix("]").strip()
            measure = self.names.measure(name)
            if isinstance(measure, MeasureName):
                return Field(measure.table, measure.measure, True)
            self.problems.add(node, line, f"{what} refers to unknown measure '{name}'{measure.hint()}")
            return None
        table, column = match.groups()
        found = self.names.column(table, column)
        if isinstance(found, ColumnName):
            return Field(found.table, found.column, False)
        if found.what == "table":
            self.problems.add(node, line, f"{what} refers to unknown table '{table}'{found.hint()}")
        else:
            hint = found.hint(lambda name: f"'{found.table}[{name}]'")
            self.problems.add(node, line, f"{what} refers to unknown column '{found.table}[{column}]'{hint}")
        return None

    def text(self, node: SpecMap, key: str, what: str, default: str = "") -> str:
        value = _typed(node, key, str, default, what, self.problems)
        why = single_line_problem(value, f"the '{key}' of {what}")
        if why:
            self.problems.at(node, key, why)
        return value

    def color(self, node: SpecMap, key: str, what: str, default: str) -> str:
        value = self.text(node, key, what, default)
        if not COLOR.fullmatch(value):
            self.problems.at(node, key, f"'{key}' of {what} must be a colour like #1F6FB2, found {value!r}")
        return value

    def name(self, node: SpecMap, what: str, seen: dict[str, int]) -> str | None:
        name = node.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            self.problems.at(node, "name", f"{what} name {name!r} must be 1 to 40 lower-case letters, digits and "
                                           "underscores, starting with a letter")
            return None
        if name in seen:
            self.problems.at(node, "name", f"{what} '{name}' is declared twice (first on line {seen[name]})")
            return None
        seen[name] = node.line_of("name")
        return name

    def items(self, node: SpecMap, key: str, what: str) -> list[tuple[SpecList, int, Any]]:
        raw = node.get(key)
        if raw is None:
            return []
        if not isinstance(raw, SpecList):
            self.problems.at(node, key, f"'{key}' of {what} must be a list")
            return []
        return [(raw, index, item) for index, item in enumerate(raw)]

    def mapping(self, parent: SpecList, index: int, item: Any, what: str) -> SpecMap | None:
        if not isinstance(item, SpecMap):
            self.problems.add(parent, parent.line_of(index), f"{what} must be a mapping")
            return None
        return item

    def entries(self, node: SpecMap, key: str, what: str, label: str, allowed: set[str],
                required: Iterable[str]) -> Iterator[tuple[SpecList, SpecMap]]:
        """The mappings listed under ``key``, each checked for its keys (``label`` names one in messages)."""
        for parent, index, item in self.items(node, key, what):
            entry = self.mapping(parent, index, item, f"{label} {index + 1} of {what}")
            if entry is not None:
                _check_keys(entry, allowed, required, f"{label} of {what}", self.problems)
                yield parent, entry

    def filters(self, node: SpecMap, what: str) -> tuple[Filter, ...]:
        found = []
        for _, raw in self.entries(node, "filters", what, "filter", FILTER_KEYS, ("field",)):
            field = self.field(raw, raw.line_of("field"), raw.get("field"), f"a filter of {what}")
            if field is None:
                continue
            if not field.is_measure:
                values = raw.get("in")
                if not isinstance(values, SpecList) or not values or \
                        not all(isinstance(value, str | int | float | bool) for value in values) or "op" in raw:
                    self.problems.at(raw, "in" if "in" in raw else "field",
                                     f"the filter on {field.dax} in {what} needs 'in:' with a list of values")
                    continue
                found.append(Filter(field, tuple(values)))
                continue
            op, value = raw.get("op"), raw.get("value")
            if op not in OPERATORS or not isinstance(value, int | float | bool) or "in" in raw:
                self.problems.at(raw, "op" if "op" in raw else "field",
                                 f"the filter on {field.dax} in {what} needs 'op:' (one of {', '.join(OPERATORS)}) "
                                 "and a number or true/false 'value:'")
                continue
            found.append(Filter(field, op=op, value=value))
        return tuple(found)

    def position(self, node: SpecMap, what: str) -> tuple[int, int, int, int]:
        raw = node.get("position")
        if not isinstance(raw, SpecMap):
            self.problems.at(node, "position", f"{what} needs a 'position' with x, y, width and height")
            return (0, 0, 0, 0)
        _check_keys(raw, POSITION_KEYS, sorted(POSITION_KEYS), f"the position of {what}", self.problems)
        x, y, width, height = (_typed(raw, key, int, 0, f"the position of {what}", self.problems)
                               for key in ("x", "y", "width", "height"))
        if min(x, y) < 0 or min(width, height) < 20 or x + width > CANVAS[0] or y + height > CANVAS[1]:
            self.problems.at(node, "position", f"{what} at x={x}, y={y}, {width}×{height} does not fit the "
                                               f"{CANVAS[0]}×{CANVAS[1]} page (each side at least 20)")
        return (x, y, width, height)

    def visual(self, raw: SpecMap, page: str, seen: dict[str, int]) -> Visual | None:
        _check_keys(raw, VISUAL_KEYS, ("name", "type", "position", "fields"), f"a visual of page '{page}'",
                    self.problems)
        name = self.name(raw, f"visual of page '{page}'", seen)
        what = f"visual '{page}/{name}'"
        kind_name = raw.get("type")
        kind = VISUAL_KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            hint = did_you_mean(str(kind_name), VISUAL_KINDS, lambda found: f"'{found}'")
            self.problems.at(raw, "type", f"{what} has unknown type {kind_name!r}"
                                          + (hint or f"; allowed: {', '.join(VISUAL_KINDS)}"))
        title = self.text(raw, "title", what)
        position = self.position(raw, what)
        fields = self.roles(raw, kind, what) if kind is not None else ()
        used = [field for _, role_fields in fields for field in role_fields]
        sort = self.sort(raw, what, used)
        formatting = self.formatting(raw, kind_name, what, used)
        sync = _typed(raw, "sync", str, None, what, self.problems)
        if sync is not None and (kind_name != "slicer" or not NAME.fullmatch(sync)):
            self.problems.at(raw, "sync", f"'sync' of {what} must be a group name (lower-case letters, digits, "
                                          "underscores) on a slicer")
        filters = self.filters(raw, what)
        lines = self.reference_lines(raw, kind_name, what)
        if name is None or kind is None:
            return None
        return Visual(name, kind_name, title, position, fields, sort, filters, formatting, sync,
                      Origin(raw.file, raw.line), lines)

    def reference_lines(self, raw: SpecMap, kind: Any, what: str) -> tuple[ReferenceLine, ...]:
        found = []
        for parent, node in self.entries(raw, "reference_lines", what, "reference line", REFERENCE_LINE_KEYS,
                                         sorted(REFERENCE_LINE_KEYS)):
            value = node.get("value")
            label = self.text(node, "label", f"a reference line of {what}")
            if kind not in WITH_REFERENCE_LINES:
                self.problems.add(parent, parent.line, f"reference lines go on a {', '.join(WITH_REFERENCE_LINES)} "
                                                       f"chart; {what} is a {kind}")
                return ()
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problems.at(node, "value", f"the value of a reference line of {what} must be a number")
                continue
            found.append(ReferenceLine(float(value), label))
        return tuple(found)

    def roles(self, raw: SpecMap, kind: VisualKind, what: str) -> tuple[tuple[str, tuple[Field, ...]], ...]:
        node = raw.get("fields")
        if not isinstance(node, SpecMap) or not node:
            self.problems.at(raw, "fields", f"'fields' of {what} must map roles to lists of fields")
            return ()
        _check_keys(node, {spec for spec, _, _ in kind.roles}, (), f"the fields of {what}", self.problems)
        found = []
        for role, values in node.items():
            role_kind = kind.role(role)
            if role_kind is None:
                continue
            values = SpecList([values]) if isinstance(values, str) else values
            if not isinstance(values, list) or not values:
                self.problems.at(node, role, f"'{role}' of {what} must be a field or a list of fields")
                continue
            fields = []
            for index, text in enumerate(values):
                line = values.line_of(index) if getattr(values, "item_lines", None) else node.line_of(role)
                field = self.field(node, line, text, f"'{role}' of {what}")
                if field is None:
                    continue
                if field.is_measure != (role_kind[1] == MEASURE):
                    expected = "catalogue measures" if role_kind[1] == MEASURE else "model columns"
                    self.problems.add(node, line, f"'{role}' of {what} takes {expected}, found {field.dax}")
                    continue
                fields.append(field)
            found.append((role, tuple(fields)))
        return tuple(found)

    def sort(self, raw: SpecMap, what: str, used: list[Field]) -> tuple[Field, str] | None:
        node = raw.get("sort")
        if node is None:
            return None
        if not isinstance(node, SpecMap):
            self.problems.at(raw, "sort", f"'sort' of {what} must be a mapping with 'field' and 'direction'")
            return None
        _check_keys(node, SORT_KEYS, ("field", "direction"), f"the sort of {what}", self.problems)
        field = self.field(node, node.line_of("field"), node.get("field"), f"the sort of {what}")
        direction = node.get("direction")
        if direction not in ("ascending", "descending"):
            self.problems.at(node, "direction", f"the sort direction of {what} must be ascending or descending")
            return None
        if field is not None and field not in used:
            self.problems.at(node, "field", f"{what} sorts by {field.dax}, which is not one of its fields")
            return None
        return (field, direction) if field is not None else None

    def formatting(self, raw: SpecMap, kind: Any, what: str, used: list[Field]) -> tuple[Formatting, ...]:
        found = []
        for parent, node in self.entries(raw, "conditional_formatting", what, "conditional formatting",
                                         FORMATTING_KEYS, sorted(FORMATTING_KEYS)):
            field = self.field(node, node.line_of("field"), node.get("field"), f"conditional formatting of {what}")
            low = self.color(node, "min_color", what, DEFAULT_THEME.bad)
            high = self.color(node, "max_color", what, DEFAULT_THEME.good)
            if kind not in ("table", "matrix"):
                self.problems.add(parent, parent.line, f"conditional formatting needs a table or matrix; {what} "
                                                       f"is a {kind}")
            elif field is not None and (not field.is_measure or field not in used):
                self.problems.at(node, "field", f"conditional formatting of {what} must name one of its measures")
            elif field is not None:
                found.append(Formatting(field, low, high))
        return tuple(found)

    def page(self, raw: SpecMap, seen: dict[str, int]) -> Page | None:
        _check_keys(raw, PAGE_KEYS, ("name", "title", "visuals"), "a page", self.problems)
        name = self.name(raw, "page", seen)
        what = f"page '{name}'"
        title = self.text(raw, "title", what)
        visuals, visual_names = [], {}
        for parent, index, item in self.items(raw, "visuals", what):
            node = self.mapping(parent, index, item, f"visual {index + 1} of {what}")
            visual = self.visual(node, str(name), visual_names) if node is not None else None
            if visual is not None:
                visuals.append(visual)
        drill = []
        for parent, index, item in self.items(raw, "drillthrough", what):
            field = self.field(parent, parent.line_of(index), item, f"the drill-through of {what}")
            if field is not None and field.is_measure:
                self.problems.add(parent, parent.line_of(index), f"{what} drills through on a column, not a measure")
            elif field is not None:
                drill.append(field)
        filters = self.filters(raw, what)
        if name is None:
            return None
        return Page(name, title, tuple(visuals), filters, tuple(drill), Origin(raw.file, raw.line))

    def theme(self, raw: Any, document: SpecMap) -> Theme:
        if not isinstance(raw, SpecMap):
            self.problems.at(document, "theme", "'theme' must be a mapping")
            return DEFAULT_THEME
        _check_keys(raw, THEME_KEYS, ("name",), "the theme", self.problems)
        colors = raw.get("data_colors", SpecList(DEFAULT_THEME.data_colors))
        if not isinstance(colors, list) or not colors or not all(isinstance(c, str) and COLOR.fullmatch(c)
                                                                 for c in colors):
            self.problems.at(raw, "data_colors", "'data_colors' of the theme must be a list of colours like #1F6FB2")
            colors = list(DEFAULT_THEME.data_colors)
        return Theme(self.text(raw, "name", "the theme", DEFAULT_THEME.name), tuple(colors),
                     *(self.color(raw, key, "the theme", getattr(DEFAULT_THEME, key))
                       for key in ("good", "neutral", "bad", "background", "foreground")))


def report_files(spec_dir: Path) -> list[Path]:
    """The report spec files, in a stable order."""
    return sorted((spec_dir / "report").glob("*.yaml"))


def load_report(spec_dir: Path, model: Model) -> Report:
    """Read and validate ``report/*.yaml`` against ``model``; a one-page empty report when there are none.
    Raises :class:`SpecError` with every problem found."""
    files = report_files(spec_dir)
    if not files:
        return EMPTY_REPORT
    reader = _Reader(model)
    pages: list[Page] = []
    seen: dict[str, int] = {}
    theme: Theme | None = None
    for path in files:
        display = path.relative_to(spec_dir).as_posix()
        try:
            document = load_yaml(path, display)
        except SpecError as exc:
            reader.problems.items.extend(exc.problems)
            continue
        if document is None:
            continue
        if not isinstance(document, SpecMap):
            reader.problems.items.append(SpecProblem(display, 1, "the file must be a mapping with 'pages' and/or "
                                                                 "'theme'"))
            continue
        _check_keys(document, FILE_KEYS, (), "a report spec file", reader.problems)
        if "theme" in document:
            if theme is not None:
                reader.problems.at(document, "theme", "the theme is declared in more than one report file")
            theme = reader.theme(document["theme"], document)
        for parent, index, item in reader.items(document, "pages", "a report spec file"):
            node = reader.mapping(parent, index, item, f"page {index + 1}")
            page = reader.page(node, seen) if node is not None else None
            if page is not None:
                pages.append(page)
    drill_pages = [page for page in pages if page.drillthrough]
    if not pages and not reader.problems.items:
        reader.problems.items.append(SpecProblem(files[0].relative_to(spec_dir).as_posix(), 1,
                                                 "the report has no pages"))
    elif pages and len(drill_pages) == len(pages):
        reader.problems.items.append(SpecProblem(pages[0].origin.file, pages[0].origin.line,
                                                 "every page is a drill-through page; the report needs one to open"))
    if reader.problems.items:
        raise SpecError(reader.problems.items)
    return Report(tuple(pages), theme or DEFAULT_THEME)
