"""Raw TOM objects → the IR: the one place where TOM's defaults and value spellings are applied.

The format readers (:mod:`.tmsl`, :mod:`.tmdl`) only restructure their text into :class:`Raw` objects named
with TMSL's property and collection names (lower case); everything else happens here, for every format alike:

* booleans: ``true``/``false`` in any case, as JSON booleans or as strings (``"isActive": "false"`` is false
  wherever it is read); a TMDL flag written alone (``isHidden``) is true;
* TOM's defaults: ``isActive`` true, ``isAvailableInMdx`` true, ``isNullable`` true, cardinalities many (from)
  and one (to), ``crossFilteringBehavior`` oneDirection, ``securityFilteringBehavior`` oneDirection,
  ``summarizeBy`` default, partition ``mode`` default, model ``defaultMode`` import, column ``type`` data
  (calculated when it has an expression, calculatedTableColumn in a calculated table), ``modelPermission``
  none, ``metadataPermission`` default;
* enumerations are read in any case and refused with the accepted values named;
* text that TMSL may write as a list of lines is joined with new lines.

Problems raise :class:`~generator.semantic.location.ModelSourceError` at the offending property's location.
Model-level consistency (duplicate names, relationships to missing columns) is the consumers' business: lint
reports it as findings, the engine refuses the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from generator.semantic.location import Location
from generator.semantic.model import (
    Annotation,
    CalculationGroup,
    CalculationItem,
    Cardinality,
    Column,
    ColumnKind,
    ColumnPermission,
    CrossFilter,
    DataSource,
    DataType,
    Hierarchy,
    Kpi,
    Level,
    Measure,
    Mode,
    NamedExpression,
    Partition,
    Perspective,
    Relationship,
    Role,
    SecurityFilter,
    SemanticModel,
    SummarizeBy,
    Table,
    TablePermission,
    TomEnum,
    Variation,
)

E = TypeVar("E", bound=TomEnum)
DATA_ACCESS_OPTIONS = ("fastCombine", "legacyRedirects", "returnErrorValuesAsNull")
_BOOLEANS = {"true": True, "false": False}


@dataclass
class Raw:
    """One TOM object as a format reader found it: properties and child collections keyed by TMSL's names in
    lower case (``isactive``, ``tables``), each property with the location of its value.

    ``what`` names the object in messages (``table 'Sales'``).
    """

    what: str
    location: Location
    props: dict[str, tuple[Any, Location]] = field(default_factory=dict)
    children: dict[str, list[Raw]] = field(default_factory=dict)

    def set(self, name: str, value: Any, location: Location | None = None) -> None:
        self.props[name.lower()] = (value, location or self.location)

    def add(self, collection: str, child: Raw) -> None:
        self.children.setdefault(collection.lower(), []).append(child)

    # -- typed reads ----------------------------------------------------------------------------------------
    def where(self, name: str) -> Location:
        found = self.props.get(name.lower())
        return found[1] if found else self.location

    def has(self, name: str) -> bool:
        return name.lower() in self.props

    def text(self, name: str, default: str = "") -> str:
        """A text property; a list of lines is joined with new lines, numbers are written as text."""
        found = self.props.get(name.lower())
        if found is None or found[0] is None:
            return default
        value = found[0]
        if isinstance(value, list):
            return "\n".join(str(line) for line in value)
        if isinstance(value, bool):
            if value:
                raise found[1].error(f"{name} of {self.what} needs a value")
            return "false"
        return str(value)

    def optional(self, name: str) -> str | None:
        """A text property, or None when it is absent or empty."""
        return self.text(name) or None

    def name(self, key: str = "name") -> str:
        """A required name."""
        value = self.text(key)
        if not value:
            raise self.location.error(f"{self.what} has no {key}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        found = self.props.get(name.lower())
        if found is None or found[0] is None:
            return default
        value = found[0]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        raise found[1].error(f"{name} of {self.what} must be true or false, found {value!r}")

    def integer(self, name: str, default: int | None) -> int | None:
        found = self.props.get(name.lower())
        if found is None or found[0] is None:
            return default
        try:
            return int(str(found[0]).strip())
        except ValueError:
            raise found[1].error(f"{name} of {self.what} must be a whole number, found {found[0]!r}") from None

    def choice(self, name: str, enum: type[E], default: E) -> E:
        found = self.props.get(name.lower())
        if found is None or found[0] is None:
            return default
        if found[0] == "":
            raise found[1].error(f"{name} of {self.what} has no value")
        member = enum.parse(str(found[0]))
        if member is None:
            raise found[1].error(f"{self.what} has unknown {name} {found[0]!r}; expected {enum.spellings()}")
        return member  # type: ignore[return-value]

    def many(self, collection: str) -> list[Raw]:
        return self.children.get(collection.lower(), [])

    def one(self, child: str) -> Raw | None:
        found = self.children.get(child.lower())
        return found[0] if found else None


def _annotations(raw: Raw) -> tuple[Annotation, ...]:
    return tuple(Annotation(a.text("name"), a.text("value"), a.location) for a in raw.many("annotations"))


def _column(raw: Raw, table: str, calculated_table: bool) -> Column | None:
    name = raw.name()
    raw.what = f"column '{table}'[{name}]"
    expression = raw.text("expression") if raw.has("expression") else None
    kind_text = raw.text("type").lower()
    if kind_text == "rownumber":
        return None  # the engine's internal row-number column is not a model column
    if kind_text:
        kind = raw.choice("type", ColumnKind, ColumnKind.DATA)
    elif expression is not None:
        kind = ColumnKind.CALCULATED
    else:
        kind = ColumnKind.CALCULATED_TABLE_COLUMN if calculated_table else ColumnKind.DATA
    data_type = raw.choice("dataType", DataType, DataType.AUTOMATIC) if raw.has("dataType") else None
    return Column(
        name=name, kind=kind, data_type=data_type,
        expression=(expression or "") if kind is ColumnKind.CALCULATED else None,
        source_column=raw.optional("sourceColumn"), format_string=raw.text("formatString"),
        is_hidden=raw.flag("isHidden", False), is_key=raw.flag("isKey", False),
        is_nullable=raw.flag("isNullable", True), is_available_in_mdx=raw.flag("isAvailableInMdx", True),
        summarize_by=raw.choice("summarizeBy", SummarizeBy, SummarizeBy.DEFAULT),
        sort_by_column=raw.optional("sortByColumn"), data_category=raw.text("dataCategory"),
        display_folder=raw.text("displayFolder"), description=raw.text("description"),
        alternate_of=raw.one("alternateOf") is not None,
        variations=tuple(Variation(v.name(), v.text("relationship"), v.text("defaultHierarchy"),
                                   v.flag("isDefault", False), v.location) for v in raw.many("variations")),
        lineage_tag=raw.text("lineageTag"), annotations=_annotations(raw), location=raw.location)


def _format_expression(raw: Raw) -> str:
    definition = raw.one("formatStringDefinition")
    return definition.text("expression") if definition else ""


def _measure(raw: Raw, table: str) -> Measure:
    name = raw.name()
    raw.what = f"measure [{name}]"
    kpi = raw.one("kpi")
    return Measure(
        name=name, expression=raw.text("expression"), format_string=raw.text("formatString"),
        format_string_expression=_format_expression(raw), display_folder=raw.text("displayFolder"),
        is_hidden=raw.flag("isHidden", False), description=raw.text("description"),
        kpi=Kpi(kpi.text("targetExpression"), kpi.text("statusExpression"), kpi.text("trendExpression"),
                kpi.location) if kpi else None,
        lineage_tag=raw.text("lineageTag"), annotations=_annotations(raw), location=raw.location,
        expression_location=raw.where("expression"))


def _partition(raw: Raw, table: str) -> Partition:
    name = raw.text("name") or table
    raw.what = f"partition '{name}' of table '{table}'"
    source = raw.one("source") or Raw(raw.what, raw.location)
    source.what = raw.what
    expression = source.text("expression") or source.text("query")
    return Partition(name=name, source_type=source.text("type").lower(),
                     mode=raw.choice("mode", Mode, Mode.DEFAULT), expression=expression,
                     data_source=source.optional("dataSource"), entity_name=source.optional("entityName"),
                     annotations=_annotations(raw), location=raw.location)


def _table(raw: Raw) -> Table:
    name = raw.name()
    raw.what = f"table '{name}'"
    partitions = tuple(_partition(p, name) for p in raw.many("partitions"))
    calculated = any(p.source_type == "calculated" for p in partitions)
    columns = tuple(c for c in (_column(c, name, calculated) for c in raw.many("columns")) if c is not None)
    group = raw.one("calculationGroup")
    calculation_group = None
    if group is not None:
        group.what = f"the calculation group of table '{name}'"
        items = []
        for item in group.many("calculationItems"):
            item_name = item.name()
            item.what = f"calculation item '{item_name}'"
            items.append(CalculationItem(item_name, item.text("expression"), _format_expression(item),
                                         item.integer("ordinal", None), item.text("description"),
                                         _annotations(item), item.location))
        calculation_group = CalculationGroup(group.integer("precedence", 0) or 0, tuple(items), group.location)
    policy = raw.one("refreshPolicy")
    hierarchies = []
    for hierarchy in raw.many("hierarchies"):
        hierarchy_name = hierarchy.name()
        hierarchy.what = f"hierarchy '{name}'[{hierarchy_name}]"
        levels = []
        for level in hierarchy.many("levels"):
            level.what = f"a level of {hierarchy.what}"
            levels.append(Level(level.name(), level.text("column"), level.integer("ordinal", 0) or 0,
                                level.text("description"), level.location))
        hierarchies.append(Hierarchy(hierarchy_name, tuple(levels), hierarchy.flag("isHidden", False),
                                     hierarchy.text("description"), _annotations(hierarchy), hierarchy.location))
    return Table(
        name=name, columns=columns, measures=tuple(_measure(m, name) for m in raw.many("measures")),
        partitions=partitions, hierarchies=tuple(hierarchies), calculation_group=calculation_group,
        data_category=raw.text("dataCategory"), is_hidden=raw.flag("isHidden", False),
        description=raw.text("description"),
        refresh_source_expression=policy.optional("sourceExpression") if policy else None,
        lineage_tag=raw.text("lineageTag"), annotations=_annotations(raw), location=raw.location)


def _relationship(raw: Raw) -> Relationship:
    raw.what = f"relationship {raw.text('name')}".rstrip() if raw.text("name") else "a relationship"
    for end in ("fromColumn", "toColumn", "fromTable", "toTable"):
        raw.name(end)
    return Relationship(
        raw.text("name"), raw.text("fromTable"), raw.text("fromColumn"), raw.text("toTable"), raw.text("toColumn"),
        from_cardinality=raw.choice("fromCardinality", Cardinality, Cardinality.MANY),
        to_cardinality=raw.choice("toCardinality", Cardinality, Cardinality.ONE),
        cross_filtering=raw.choice("crossFilteringBehavior", CrossFilter, CrossFilter.ONE_DIRECTION),
        security_filtering=raw.choice("securityFilteringBehavior", SecurityFilter, SecurityFilter.ONE_DIRECTION),
        is_active=raw.flag("isActive", True), annotations=_annotations(raw), location=raw.location)


def _role(raw: Raw) -> Role:
    name = raw.name()
    raw.what = f"role '{name}'"
    permissions = []
    for permission in raw.many("tablePermissions"):
        permission.what = f"a table permission of role '{name}'"
        table = permission.name()
        permission.what = f"the permission of role '{name}' on table '{table}'"
        columns = tuple(ColumnPermission(c.name(), c.text("metadataPermission", "default"), c.location)
                        for c in permission.many("columnPermissions"))
        permissions.append(TablePermission(table, permission.text("filterExpression"),
                                           permission.text("metadataPermission", "default"), columns,
                                           _annotations(permission), permission.location))
    members = tuple(m.text("memberName") or m.text("name") for m in raw.many("members"))
    return Role(name, raw.text("modelPermission", "none"), members, tuple(permissions), raw.text("description"),
                _annotations(raw), raw.location)


def _named(raw: Raw, what: str) -> str:
    raw.what = f"a {what}"
    name = raw.name()
    raw.what = f"{what} '{name}'"
    return name


def build_model(raw: Raw, *, database: Raw | None = None) -> SemanticModel:
    """The IR of a raw ``model`` object (``database``: the database object around it, for its name)."""
    raw.what = "the model"
    tables = []
    for table in raw.many("tables"):
        table.what = "a table"
        tables.append(_table(table))
    relationships = []
    for relationship in raw.many("relationships"):
        relationship.what = "a relationship"
        relationships.append(_relationship(relationship))
    roles = []
    for role in raw.many("roles"):
        role.what = "a role"
        roles.append(_role(role))
    perspectives = tuple(Perspective(_named(p, "perspective"), tuple(t.name() for t in p.many("tables")),
                                     p.text("description"), _annotations(p), p.location)
                         for p in raw.many("perspectives"))
    sources = tuple(DataSource(_named(s, "data source"), s.text("type", "provider").lower(), s.text("description"),
                               _annotations(s), s.location) for s in raw.many("dataSources"))
    expressions = tuple(NamedExpression(_named(e, "expression"), e.text("kind", "m").lower(), e.text("expression"),
                                        e.text("description"), e.text("lineageTag"), _annotations(e), e.location)
                        for e in raw.many("expressions"))
    name = (database.text("name") if database else "") or raw.text("name") or "Model"
    options = raw.one("dataAccessOptions")
    if options is not None:
        options.what = "the data access options"
    return SemanticModel(
        name=name, tables=tuple(tables), relationships=tuple(relationships), roles=tuple(roles),
        perspectives=perspectives, data_sources=sources, expressions=expressions,
        cultures=tuple(c.name() for c in raw.many("cultures")), culture=raw.text("culture"),
        default_mode=raw.choice("defaultMode", Mode, Mode.IMPORT),
        default_power_bi_data_source_version=raw.text("defaultPowerBIDataSourceVersion"),
        discourage_implicit_measures=raw.flag("discourageImplicitMeasures", False),
        source_query_culture=raw.text("sourceQueryCulture"),
        data_access_options=tuple((option, options.flag(option, False)) for option in DATA_ACCESS_OPTIONS
                                  if options is not None and options.has(option)),
        compatibility_level=(database.integer("compatibilityLevel", 0) if database else 0) or 0,
        description=raw.text("description"), annotations=_annotations(raw), location=raw.location)
