"""Which Power Query connector the model's partitions use, and the M parameters that feed it.

One :class:`Connector` per database kind the tool loads into (facts and sources: ``docs/connectors.md``):

* ``sqlserver`` — ``Sql.Database(Server, Database)``, schema ``dbo`` (SQL Server, Azure SQL, a Fabric warehouse's
  SQL endpoint);
* ``postgresql`` — ``PostgreSQL.Database(Server, Database)``, schema ``public``;
* ``mysql`` — ``MySQL.Database(Server, Database, [ReturnSingleDatabase = true])`` (MariaDB or MySQL), whose schema is
  the database itself;
* ``duckdb-odbc`` — ``Odbc.Query`` over the DuckDB ODBC driver with a DSN-less connection string naming the file
  (the ``Database`` parameter), reading ``main."BI_…"``.

A :class:`Connection` is one connector with its parameters' default values and names: plain ``Server`` /
``Database``, prefixed (``--parameter-prefix``), or the user's own, written by nobody (``--reuse-parameters``).
The default connection comes from ``--db`` when one is given (never its credentials), else SQL Server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.errors import ToolError
from generator.powerbi.m import m_identifier, m_text

DUCKDB_ODBC_DRIVER = "DuckDB Driver"  # the driver name the DuckDB ODBC installer registers
MAX_PREFIX = 64
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConnectionChoiceError(ToolError):
    """A ``--connection``, ``--parameter-prefix`` or ``--db`` that cannot give a connection."""


@dataclass(frozen=True)
class Connector:
    """What one database kind needs in M: the source function, the schema holding the BI_ tables (``None``: the
    database is the schema) and the words the parameter descriptions use."""

    kind: str
    function: str
    schema: str | None
    server_description: str | None  # None: no Server parameter (the DuckDB file)
    database_description: str
    default_database: str
    port_separator: str = ":"


CONNECTORS = {
    "sqlserver": Connector("sqlserver", "Sql.Database", "dbo",
                           "SQL Server or Azure SQL server holding the BI_ tables.",
                           "Database holding the BI_ tables.", "msp_csat", port_separator=","),
    "postgresql": Connector("postgresql", "PostgreSQL.Database", "public",
                            "PostgreSQL server holding the BI_ tables (host, or host:port).",
                            "PostgreSQL database holding the BI_ tables (schema public).", "msp_csat"),
    "mysql": Connector("mysql", "MySQL.Database", None,
                       "MariaDB or MySQL server holding the BI_ tables (host, or host:port).",
                       "MariaDB or MySQL database holding the BI_ tables.", "msp_csat"),
    "duckdb-odbc": Connector("duckdb-odbc", "Odbc.Query", "main", None,
                             "Full path of the DuckDB file holding the BI_ tables, as the machine that refreshes "
                             "(Power BI Desktop or the on-premises data gateway) sees it; read through the DuckDB "
                             "ODBC driver.", "msp_csat.duckdb"),
}
CONNECTION_KINDS = tuple(CONNECTORS)
DEFAULT_SERVER = "localhost"
BASE_NAMES = ("Server", "Database")


@dataclass(frozen=True)
class Parameter:
    """One M parameter the model needs: its name, default value and description."""

    name: str
    value: str
    description: str


@dataclass(frozen=True)
class Connection:
    """A connector with its parameters' default values and names (see the module docstring)."""

    kind: str = "sqlserver"
    server: str = DEFAULT_SERVER
    database: str = "msp_csat"
    prefix: str = ""
    reuse_parameters: bool = False

    @property
    def connector(self) -> Connector:
        return CONNECTORS[self.kind]

    def name(self, base: str) -> str:
        """The model's name of the ``Server`` or ``Database`` parameter."""
        if not self.prefix:
            return base
        return f"{self.prefix}{base}" if self.prefix.endswith("_") else f"{self.prefix}_{base}"

    def parameter_names(self) -> tuple[str, ...]:
        """The parameters the partitions read: ``Server`` and ``Database``, or only ``Database`` (the DuckDB file)."""
        bases = BASE_NAMES if self.connector.server_description is not None else ("Database",)
        return tuple(self.name(base) for base in bases)

    def parameters(self) -> list[Parameter]:
        """The parameters the model defines (none when the user's own are reused)."""
        if self.reuse_parameters:
            return []
        connector = self.connector
        found = []
        if connector.server_description is not None:
            found.append(Parameter(self.name("Server"), self.server, connector.server_description))
        found.append(Parameter(self.name("Database"), self.database, connector.database_description))
        return found

    def describe(self) -> str:
        """One line for messages, e.g. ``postgresql (PostgreSQL.Database; parameters Server, Database)``."""
        whose = "your parameters" if self.reuse_parameters else "parameters"
        return f"{self.kind} ({self.connector.function}; {whose} {', '.join(self.parameter_names())})"

    def partition_expression(self, table: str) -> str:
        """The Power Query (M) import query of one BI_ table."""
        connector = self.connector
        server, database = m_identifier(self.name("Server")), m_identifier(self.name("Database"))
        item = m_text(table)
        if self.kind == "duckdb-odbc":
            return _lines(f"File = {database}",
                          f"Data = Odbc.Query([Driver = {m_text(DUCKDB_ODBC_DRIVER)}, Database = File, "
                          f"access_mode = {m_text('read_only')}], {m_text(duckdb_select(table))})")
        if self.kind == "mysql":
            return _lines(f"Source = {connector.function}({server}, {database}, [ReturnSingleDatabase = true])",
                          f"Data = Source{{[Schema = {database}, Item = {item}]}}[Data]")
        schema = m_text(connector.schema or "")
        return _lines(f"Source = {connector.function}({server}, {database})",
                      f"Data = Source{{[Schema = {schema}, Item = {item}]}}[Data]")


def _lines(*steps: str) -> str:
    """``let`` with one step per line (the last one named ``Data``) ``in Data``."""
    body = [f"    {step}," for step in steps[:-1]] + [f"    {steps[-1]}"]
    return "\n".join(["let", *body, "in", "    Data"])


def duckdb_select(table: str) -> str:
    """``SELECT * FROM main."<table>"`` in DuckDB's SQL, the identifier quoted by sqlglot."""
    from sqlglot import exp

    source = exp.Table(this=exp.to_identifier(table, quoted=True), db=exp.to_identifier("main"))
    return exp.select("*").from_(source).sql(dialect="duckdb")


DEFAULT_CONNECTION = Connection()

_SERVER_KEYS = ("server", "host", "servername", "address", "addr")
_DATABASE_KEYS = ("database", "dbname", "initial catalog")


def _kind_of_driver(driver: str) -> str | None:
    name = driver.lower()
    if "postgres" in name:
        return "postgresql"
    if "mariadb" in name or "mysql" in name:
        return "mysql"
    if "sql server" in name or "sqlserver" in name:
        return "sqlserver"
    if "duckdb" in name:
        return "duckdb-odbc"
    return None


def _from_db(db: str) -> tuple[str | None, dict[str, str], str]:
    """The connection kind a ``--db`` value implies (``None`` when its ODBC driver does not tell), the non-secret
    values it gives (server, database) and, for ``None``, what it named instead."""
    from generator.targets.connect import odbc_attributes, split_target

    scheme, rest = split_target(db)
    if scheme == "duckdb":
        return "duckdb-odbc", {"database": rest.strip()}, ""
    attributes = odbc_attributes(rest)
    driver = attributes.get("driver", "")
    kind = _kind_of_driver(driver)
    if kind is None:
        return None, {}, f"its ODBC driver '{driver}'" if driver else "an ODBC string without Driver= (a DSN)"
    # Only these keys are read: user names, passwords and tokens never reach the model.
    values = {}
    server = next((attributes[key] for key in _SERVER_KEYS if attributes.get(key)), "")
    if server and kind != "duckdb-odbc":
        port = attributes.get("port", "")
        values["server"] = f"{server}{CONNECTORS[kind].port_separator}{port}" if port.isdigit() else server
    database = next((attributes[key] for key in _DATABASE_KEYS if attributes.get(key)), "")
    if database:
        values["database"] = database
    return kind, values, ""


def resolve_connection(kind: str | None = None, db: str | None = None, prefix: str | None = None,
                       reuse_parameters: bool = False) -> Connection:
    """The connection ``build``/``check`` write: ``kind`` when given (else implied by ``db``, else SQL Server),
    parameter defaults from ``db`` when it names this kind of database, names prefixed or reused on request."""
    if prefix is not None and reuse_parameters:
        raise ConnectionChoiceError("--parameter-prefix and --reuse-parameters exclude each other: prefix ours, or "
                                    "use yours")
    if prefix is not None and (len(prefix) > MAX_PREFIX or not _PREFIX.fullmatch(prefix)):
        raise ConnectionChoiceError(f"--parameter-prefix {prefix[:80]!r} is not usable: give letters, digits and _ "
                                    f"(not starting with a digit, at most {MAX_PREFIX} characters), e.g. MSP_CSAT")
    if kind is not None and kind not in CONNECTORS:
        raise ConnectionChoiceError(f"--connection must be one of {', '.join(CONNECTION_KINDS)}, not {kind[:80]!r}")
    implied, values, named = _from_db(db) if db is not None else ("sqlserver", {}, "")
    if kind is None and implied is None:
        raise ConnectionChoiceError(f"cannot tell which Power BI connector --db needs from {named}; give "
                                    f"--connection {', '.join(CONNECTION_KINDS)}")
    chosen = kind or implied or "sqlserver"
    if chosen != implied:
        values = {}  # the --db values describe another kind of database
    return Connection(kind=chosen, server=values.get("server", DEFAULT_SERVER),
                      database=values.get("database", CONNECTORS[chosen].default_database),
                      prefix=prefix or "", reuse_parameters=reuse_parameters)
