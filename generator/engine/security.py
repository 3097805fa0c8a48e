"""Row-level security: the rows of every table a role lets a user see, as SQL the scans read instead of the tables.

Power BI applies a role to the *base tables*, under every query (shared/reference and the Analysis Services
dynamic-security tutorial, MicrosoftDocs/azure-docs ``aas-supplemental-lesson-dynamic-security.md``):

* a table permission's DAX filter is evaluated for each row of its table, in that row's context and without any
  filter context; tables it reads (a lookup into a user mapping) are read unrestricted, which is why the mapping
  table itself can be hidden with ``FALSE()`` while the lookup still works; ``USERPRINCIPALNAME()`` /
  ``USERNAME()`` return the user; a row whose filter is FALSE or BLANK is invisible;
* the visible rows of a table filter the tables on the many side of its *active* relationships (security
  filters flow from the one side to the many side, whatever USERELATIONSHIP a query activates): a many-side row
  is visible only when its related row exists and is visible, so rows with a BLANK or unmatched key disappear
  too, and the restriction carries on along chains (reviews → companies, time entries → tickets → companies);
* because the restriction is on the base tables, ALL, REMOVEFILTERS and ALLEXCEPT cannot remove it: every
  scan, every blank-row check and every row filter of a query reads only the visible rows;
* several roles (a user who is a member of more than one) are combined per table with OR: a row is visible when
  some role lets the user see it (each role's propagation computed on its own).

Each restricted table becomes a common table expression ``__rls_<table>`` with the table's source columns, added
to every statement that reads it (with the CTEs it depends on, in dependency order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.engine.errors import DaxEngineError
from generator.engine.model import EngineModel, EngineRelationship, EngineRole, EngineTable
from generator.engine.relations import Relation, RelColumn
from generator.engine.scan import Sources, read_column
from generator.engine.sqltree import with_ctes

CTE_PREFIX = "__rls_"
ROW_ALIAS = "__rls_row"  # a row of the table being secured: its stored columns and, cast, the __rls_c<i> values
BASE_ALIAS = "__rls_base"


def cte_name(table: str, role_index: int | None = None) -> str:
    """The CTE holding the visible rows of ``table`` (for one role of several when ``role_index`` is given)."""
    return f"{CTE_PREFIX}{'' if role_index is None else f'{role_index}_'}{table.lower()}"


# Compiles a row filter: (DAX tree, row frame alias, row relation) → a boolean SQL condition.
FilterCompiler = Callable[[object, str, Relation], exp.Expression]


class Security:
    """The rows ``roles`` let ``user`` see, per table (``roles`` empty: everything is visible)."""

    def __init__(self, model: EngineModel, roles: Sequence[EngineRole], user: str, compile_filter: FilterCompiler,
                 base: Sources):
        """``base`` gives every table's rows before security (calculated columns and tables computed)."""
        self.model = model
        self.base = base
        self.roles = tuple(roles)
        self.user = user
        self.compile_filter = compile_filter
        self.relationships = [r for r in model.relationships if r.active]
        self._ctes: dict[str, exp.Query] = {}  # CTE name → its query
        self._restricted: dict[tuple[int, str], bool] = {}
        self._combined: dict[str, str | None] = {}
        self._visiting: set[tuple[int, str]] = set()

    # ----------------------------------------------------------------------------------------------- public

    def source(self, table: EngineTable, alias: str) -> exp.Expression:
        """What a scan reads for ``table``: its visible rows when a role restricts it, else the table itself."""
        name = self._table_cte(table)
        if name is None:
            return self.base.source(table, alias)
        return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))

    def filters_directly(self, table: str) -> bool:
        """True when some role has a row filter on ``table`` itself."""
        return any(p.table.lower() == table.lower() for role in self.roles for p in role.permissions)

    def with_ctes(self, query: exp.Query) -> exp.Query:
        """``query`` with the CTEs of the visible rows it reads (and those they read), defined first."""
        return with_ctes(query, self._ctes)

    # ----------------------------------------------------------------------------------------- visibility

    def _table_cte(self, table: EngineTable) -> str | None:
        """The CTE of ``table``'s visible rows under all roles combined, or None when no role restricts it."""
        key = table.name.lower()
        if key in self._combined:
            return self._combined[key]
        name: str | None = None
        if self.roles:
            if len(self.roles) == 1:
                name = cte_name(table.name) if self._restricts(0, table) else None
            elif all(self._restricts(i, table) for i in range(len(self.roles))):
                conditions = [self._condition(i, table) for i in range(len(self.roles))]
                name = cte_name(table.name)
                self._ctes[name] = self._visible_query(table, exp.or_(*[exp.paren(c) for c in conditions]))
        self._combined[key] = name
        return name

    def _restricts(self, role_index: int, table: EngineTable) -> bool:
        """True when role ``role_index`` hides some rows of ``table`` (its own filter or one propagated to it);
        defines the role's CTE for it."""
        key = (role_index, table.name.lower())
        if key in self._restricted:
            return self._restricted[key]
        if key in self._visiting:
            raise DaxEngineError(f"the relationships from table '{table.name}' form a cycle; row-level security "
                                 "cannot be propagated")
        self._visiting.add(key)
        try:
            restricted = self._own_filter(role_index, table) is not None or any(
                self._restricts(role_index, self._target(rel)) for rel in self._outgoing(table))
        finally:
            self._visiting.discard(key)
        self._restricted[key] = restricted
        if restricted:
            name = cte_name(table.name, None if len(self.roles) == 1 else role_index)
            self._ctes[name] = self._visible_query(table, self._condition(role_index, table))
        return restricted

    def _own_filter(self, role_index: int, table: EngineTable) -> str | None:
        role = self.roles[role_index]
        found = next((p for p in role.permissions if p.table.lower() == table.name.lower()), None)
        return found.expression if found is not None else None

    def _outgoing(self, table: EngineTable) -> list[EngineRelationship]:
        """Active relationships with ``table`` on the many side (security flows to it from their one side)."""
        return [r for r in self.relationships if r.from_table.lower() == table.name.lower()]

    def _target(self, relationship: EngineRelationship) -> EngineTable:
        found = self.model.table(relationship.to_table)
        assert found is not None
        return found

    def _condition(self, role_index: int, table: EngineTable) -> exp.Expression:
        """SQL true for the rows of ``table`` (read as :data:`ROW_ALIAS`) that role ``role_index`` lets the user
        see."""
        alias = ROW_ALIAS
        conditions: list[exp.Expression] = []
        text = self._own_filter(role_index, table)
        if text is not None:
            conditions.append(self._row_filter(role_index, table, text))
        for relationship in self._outgoing(table):
            target = self._target(relationship)
            if not self._restricts(role_index, target):
                continue
            target_name = cte_name(target.name, None if len(self.roles) == 1 else role_index)
            target_column = target.column(relationship.to_column)
            own_column = table.column(relationship.from_column)
            assert target_column is not None and own_column is not None
            match = exp.select(exp.Literal.number(1)).from_(
                exp.Table(this=exp.to_identifier(target_name), alias=exp.TableAlias(this=exp.to_identifier("__v")))
            ).where(exp.EQ(this=exp.column(target_column.source, table="__v", quoted=True),
                           expression=exp.column(own_column.source, table=alias, quoted=True)))
            conditions.append(exp.Exists(this=match))
        return exp.and_(*conditions) if conditions else exp.true()

    def _row_filter(self, role_index: int, table: EngineTable, text: str) -> exp.Expression:
        """The table permission's DAX as an SQL condition on the row :data:`ROW_ALIAS` (TRUE keeps the row)."""
        role = self.roles[role_index]
        origin = self._origin(role, table)
        where = f" ({origin})" if origin else ""
        try:
            tree = parse_expression(text)
        except DaxSyntaxError as error:
            raise DaxEngineError(f"the row filter of role '{role.name}' on table '{table.name}'{where} does not "
                                 f"parse: {error}") from error
        try:
            return self.compile_filter(tree, ROW_ALIAS, self._row_relation(table))
        except DaxEngineError as error:
            raise DaxEngineError(f"the row filter of role '{role.name}' on table '{table.name}'{where}: "
                                 f"{error}") from error

    @staticmethod
    def _row_columns(table: EngineTable) -> tuple[RelColumn, ...]:
        return tuple(RelColumn(f"__rls_c{i}", f"{table.name}[{c.name}]", (table.name, c.name), c.type)
                     for i, c in enumerate(table.columns))

    def _row_relation(self, table: EngineTable) -> Relation:
        """Every row of ``table`` with its stored columns and its values as the engine reads them (__rls_c<i>)."""
        columns = self._row_columns(table)
        values = [exp.alias_(read_column(BASE_ALIAS, c.source, c.type), rc.sql)
                  for c, rc in zip(table.columns, columns, strict=True)]
        stored = exp.Column(this=exp.Star(), table=exp.to_identifier(BASE_ALIAS))
        query = exp.select(stored, *values).from_(self.base.source(table, BASE_ALIAS))
        return Relation(query, columns, base_table=table.name)

    @staticmethod
    def _origin(role: EngineRole, table: EngineTable) -> str:
        found = next((p for p in role.permissions if p.table.lower() == table.name.lower()), None)
        return found.origin if found is not None else ""

    def _visible_query(self, table: EngineTable, condition: exp.Expression) -> exp.Query:
        """``SELECT <the table's source columns> FROM <its rows> AS __rls_row WHERE condition``."""
        sources = list(dict.fromkeys(c.source for c in table.columns))
        rows = self._row_relation(table).subquery(ROW_ALIAS)
        return exp.select(*[exp.column(s, table=ROW_ALIAS, quoted=True) for s in sources]).from_(rows).where(
            condition)
