"""`build --connection`: partitions and parameters per database, checked structurally as Power Query M.

Each connection is built once through the CLI (module fixture); its TMDL and model.bim partitions are parsed by the
M recogniser in ``tests/m_grammar.py`` and their shape compared with what docs/connectors.md records. The merge
tests use a small PBIP model of the user's own that has ``Server`` and ``Database`` parameters (very common names).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.powerbi.connections import CONNECTION_KINDS
from generator.powerbi.m import m_identifier
from generator.tmdl import read_folder
from tests.m_grammar import (
    Binary,
    Call,
    Field,
    Ident,
    Item,
    Let,
    Literal,
    MSyntaxError,
    Record,
    free_identifiers,
    parse,
    self_references,
)

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = Path("powerbi") / "MSP-CSAT.SemanticModel" / "definition"
FUNCTIONS = {"sqlserver": "Sql.Database", "postgresql": "PostgreSQL.Database", "mysql": "MySQL.Database",
             "duckdb-odbc": "Odbc.Query"}
KIND_WORDS = {"sqlserver": "SQL Server", "postgresql": "PostgreSQL", "mysql": "MariaDB or MySQL",
              "duckdb-odbc": "DuckDB"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """One ``build --connection X`` per connection: X → its folder (``powerbi/`` and ``docs/`` inside)."""
    from tests.conftest import run_cli

    folders = {}
    for kind in CONNECTION_KINDS:
        folder = tmp_path_factory.mktemp(kind)
        result = run_cli("build", "--connection", kind, "--out", str(folder / "powerbi"))
        assert result.code == 0, result.err
        folders[kind] = folder
    return folders


def _partitions(folder: Path) -> dict[str, str]:
    """Table name → partition M, read back from the TMDL files the build wrote."""
    model = read_folder(folder / DEFINITION)
    found = {}
    for table in model.tables:
        (partition,) = table.objects("partition")
        found[table.name] = partition.properties["source"]
    return found


def _parameters(folder: Path) -> dict[str, tuple[str, str]]:
    """Parameter name → (M expression, description), from expressions.tmdl."""
    model = read_folder(folder / DEFINITION)
    return {node.name: (node.expression, node.description) for node in model.objects("expression")}


# -- the recogniser itself --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    'let Source = Sql.Database(Server, Database) Source',          # no "in"
    'let Source = Sql.Database(Server, Database), in Source',       # dangling comma
    'let Data = Source{[Schema = "dbo", Item = "BI_X"]}[Data in Data',  # unclosed field access
    'let Data = "unterminated in Data',
    'let Data = "bad #(zz) escape" in Data',
    'let Data = "raw\nline break" in Data',
    'let Data = [a = 1, a = 2] in Data',                           # a field named twice
    'let in = 1 in in',                                             # a keyword as a name
])
def test_the_recogniser_refuses_text_outside_the_grammar(text: str) -> None:
    with pytest.raises(MSyntaxError):
        parse(text)


def test_the_recogniser_decodes_escapes_and_scopes_like_m() -> None:
    tree = parse('let #"My Step" = "say ""hi""#(cr,lf)#(#)(x)#(00E9)", R = [Database = Database] in #"My Step"')
    assert isinstance(tree, Let)
    assert tree.bindings[0] == ("My Step", Literal("text", 'say "hi"\r\n#(x)é'))
    assert free_identifiers(tree) == {"Database"}  # a field does not see itself: this reads an outer Database
    assert self_references(tree) == ["Database"]  # a shape generated M avoids (see m_grammar)
    assert free_identifiers(parse("let A = B, B = 1 in A")) == set()
    assert free_identifiers(parse("[A = B, C = A]")) == {"B"}


def test_m_identifiers_are_bare_or_quoted() -> None:
    assert m_identifier("MSP_CSAT_Server") == "MSP_CSAT_Server"
    assert m_identifier("Sql.Database") == "Sql.Database"
    for name in ("in", "My Server", "2nd", 'a"b', "x#(y"):
        tree = parse(f"let X = {m_identifier(name)} in X")
        assert free_identifiers(tree) == {name}


# -- one build per connection -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", CONNECTION_KINDS)
def test_every_partition_is_m_naming_the_connector_and_schema(built: dict[str, Path], kind: str) -> None:
    folder = built[kind]
    partitions = _partitions(folder)
    bim = json.loads((folder / "powerbi" / "model.bim").read_text(encoding="utf-8"))
    assert len(partitions) == 15
    parameters = set(_parameters(folder))
    for table in bim["model"]["tables"]:
        expression = table["partitions"][0]["source"]["expression"]  # model.bim writes M as a list of lines
        assert "\n".join(expression) == partitions[table["name"]]
    for table, text in partitions.items():
        tree = parse(text)
        assert isinstance(tree, Let) and tree.body == Ident("Data"), text
        # It reads only the model's parameters and its connector's one function; no record reads itself.
        assert free_identifiers(tree) == {FUNCTIONS[kind], *parameters}, text
        assert self_references(tree) == []
        steps = dict(tree.bindings)
        if kind == "duckdb-odbc":
            assert steps["File"] == Ident("Database")
            assert steps["Data"] == Call(Ident("Odbc.Query"), (
                Record((("Driver", Literal("text", "DuckDB Driver")), ("Database", Ident("File")),
                        ("access_mode", Literal("text", "read_only")))),
                Literal("text", f'SELECT * FROM main."{table}"')))
            continue
        arguments: tuple = (Ident("Server"), Ident("Database"))
        if kind == "mysql":
            arguments += (Record((("ReturnSingleDatabase", Literal("logical", True)),)),)
        assert steps["Source"] == Call(Ident(FUNCTIONS[kind]), arguments)
        schema = {"sqlserver": Literal("text", "dbo"), "postgresql": Literal("text", "public"),
                  "mysql": Ident("Database")}[kind]  # MariaDB/MySQL: the schema is the database
        assert steps["Data"] == Field(Item(Ident("Source"), Record((("Schema", schema),
                                                                   ("Item", Literal("text", table))))), "Data")


@pytest.mark.parametrize("kind", CONNECTION_KINDS)
def test_parameters_are_m_text_parameters_that_name_the_database_kind(built: dict[str, Path], kind: str) -> None:
    parameters = _parameters(built[kind])
    assert sorted(parameters) == (["Database"] if kind == "duckdb-odbc" else ["Database", "Server"])
    for name, (text, description) in parameters.items():
        tree = parse(text)
        assert isinstance(tree, Binary) and tree.operator == "meta"
        assert isinstance(tree.left, Literal) and tree.left.kind == "text"
        assert tree.right == Record((("IsParameterQuery", Literal("logical", True)), ("Type", Literal("text", "Text")),
                                     ("IsParameterQueryRequired", Literal("logical", True))))
        if name == "Server" or kind != "sqlserver":  # the SQL Server Database text stays as it always was
            assert KIND_WORDS[kind] in description, description
    if kind != "sqlserver":
        assert not any("SQL Server" in description for _, description in parameters.values())


@pytest.mark.parametrize("kind", CONNECTION_KINDS)
def test_check_is_current_for_the_same_connection_and_stale_for_another(cli, built: dict[str, Path],
                                                                         kind: str) -> None:
    folder = built[kind]
    same = cli("check", "--connection", kind, "--out", str(folder / "powerbi"))
    assert same.code == 0, same.out + same.err
    other = CONNECTION_KINDS[(CONNECTION_KINDS.index(kind) + 1) % len(CONNECTION_KINDS)]
    stale = cli("check", "--connection", other, "--out", str(folder / "powerbi"))
    assert stale.code == 1, stale.out + stale.err
    assert "model.bim: differs" in stale.out and "BI_Date.tmdl: differs" in stale.out


def test_the_default_is_sql_server_and_the_committed_outputs_stay_current(cli, built: dict[str, Path]) -> None:
    assert cli("check").code == 0
    assert cli("check", "--connection", "sqlserver").code == 0
    committed = ROOT / DEFINITION
    ours = built["sqlserver"] / DEFINITION
    for path in committed.rglob("*.tmdl"):
        assert (ours / path.relative_to(committed)).read_bytes() == path.read_bytes(), path


# -- the default from --db -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("db", "kind", "server", "database"), [
    ("odbc:Driver={PostgreSQL Unicode};Server=pg.example;Port=5433;Database=bi;Uid=loader;Pwd=s3cr3t!",
     "postgresql", "pg.example:5433", "bi"),
    ("odbc:DRIVER={MariaDB Unicode};SERVER=maria.example;DATABASE=msp;USER=loader;PASSWORD={p;DATABASE=evil}}x}",
     "mysql", "maria.example", "msp"),
    ("odbc:Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.example,1433;Database=bi;Uid=sa;Pwd=s3cr3t!",
     "sqlserver", "tcp:sql.example,1433", "bi"),
    ("data/msp_csat.duckdb", "duckdb-odbc", None, "data/msp_csat.duckdb"),
])
def test_the_connection_follows_db_without_its_credentials(cli, tmp_path: Path, db: str, kind: str,
                                                           server: str | None, database: str) -> None:
    out = tmp_path / "powerbi"
    result = cli("build", "--db", db, "--out", str(out))  # nothing is opened: these servers do not exist
    assert result.code == 0, result.err
    parameters = _parameters(tmp_path)
    assert parse(parameters["Database"][0]).left == Literal("text", database)
    if server is not None:
        assert parse(parameters["Server"][0]).left == Literal("text", server)
    assert FUNCTIONS[kind] in _partitions(tmp_path)["BI_Date"]
    everything = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    for secret in (b"s3cr3t", b"p;DATABASE", b"evil", b"loader", b"Uid", b"Pwd", b"PASSWORD"):
        assert secret not in everything
    assert cli("check", "--db", db, "--out", str(out)).code == 0
    assert cli("check", "--connection", kind, "--out", str(out)).code == 1  # other parameter values


def test_a_connection_given_beside_an_unclear_db_wins(cli, tmp_path: Path) -> None:
    out = tmp_path / "powerbi"
    result = cli("build", "--db", "odbc:DSN=warehouse;Uid=u;Pwd=secret", "--connection", "postgresql", "--out",
                 str(out))
    assert result.code == 0, result.err
    assert parse(_parameters(tmp_path)["Server"][0]).left == Literal("text", "localhost")


def test_a_db_value_with_quotes_and_escapes_stays_one_m_text_literal(cli, tmp_path: Path) -> None:
    path = 'C:\\BI\\"quoted" #(lf) msp.duckdb'
    assert cli("build", "--db", path, "--out", str(tmp_path / "powerbi")).code == 0
    value = parse(_parameters(tmp_path)["Database"][0]).left
    assert value == Literal("text", path)


@pytest.mark.parametrize(("args", "message"), [
    (("--connection", "oracle"), "--connection must be one of sqlserver, postgresql, mysql, duckdb-odbc, not 'oracle'"),
    (("--db", "odbc:DSN=warehouse;Uid=u;Pwd=secret"), "cannot tell which Power BI connector --db needs from an ODBC "
                                                      "string without Driver= (a DSN); give --connection"),
    (("--db", "odbc:Driver={Oracle 19};Dbq=x"), "from its ODBC driver 'Oracle 19'; give --connection"),
    (("--db", "mongodb://x"), "unknown --db scheme 'mongodb:'"),
    (("--parameter-prefix", "1st"), "--parameter-prefix '1st' is not usable"),
    (("--parameter-prefix", "my prefix"), "--parameter-prefix 'my prefix' is not usable"),
    (("--parameter-prefix", "P", "--reuse-parameters"), "exclude each other"),
    (("--reuse-parameters",), "--reuse-parameters needs --into PATH --with-tables"),
])
def test_bad_connection_options_are_one_clear_sentence(cli, tmp_path: Path, args: tuple[str, ...],
                                                       message: str) -> None:
    for command in ("build", "check"):
        result = cli(command, *args, "--out", str(tmp_path / "powerbi"))
        assert result.code == 2, result.err
        assert message in result.err
        assert "secret" not in result.err and "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "powerbi").exists()


def test_a_parameter_prefix_renames_our_parameters_and_their_uses(cli, tmp_path: Path) -> None:
    out = tmp_path / "powerbi"
    result = cli("build", "--connection", "mysql", "--parameter-prefix", "MSP_CSAT", "--out", str(out))
    assert result.code == 0, result.err
    assert "connection mysql (MySQL.Database; parameters MSP_CSAT_Server, MSP_CSAT_Database)" in result.err
    assert sorted(_parameters(tmp_path)) == ["MSP_CSAT_Database", "MSP_CSAT_Server"]
    tree = parse(_partitions(tmp_path)["BI_Date"])
    assert free_identifiers(tree) == {"MySQL.Database", "MSP_CSAT_Server", "MSP_CSAT_Database"}
    assert cli("check", "--connection", "mysql", "--parameter-prefix", "MSP_CSAT", "--out", str(out)).code == 0
    assert cli("check", "--connection", "mysql", "--out", str(out)).code == 1


# -- merging into a model that has its own Server / Database parameters --------------------------------------------

OWN_PARAMETERS = (
    '/// Our reporting server.\n'
    'expression Server = "reports.acme.local" meta [IsParameterQuery=true, Type="Text", '
    'IsParameterQueryRequired=true]\n\tlineageTag: 61111111-2222-4333-8444-555555555555\n\n'
    '\tannotation PBI_ResultType = Text\n\n'
    'expression Database = "acme" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]\n'
    '\tlineageTag: 71111111-2222-4333-8444-555555555555\n\n\tannotation PBI_ResultType = Text\n')


@pytest.fixture
def own_model(tmp_path: Path) -> Path:
    """A user's PBIP model: one table of its own and its own Server and Database parameters."""
    target = tmp_path / "Acme.SemanticModel"
    definition = target / "definition"
    (definition / "tables").mkdir(parents=True)
    (definition / "database.tmdl").write_text("database Acme\n\tcompatibilityLevel: 1567\n")
    (definition / "model.tmdl").write_text("model Model\n\tculture: en-US\n\nref table Budget\n")
    (definition / "expressions.tmdl").write_text(OWN_PARAMETERS)
    (definition / "tables" / "Budget.tmdl").write_text(
        "table Budget\n\tlineageTag: 11111111-2222-4333-8444-555555555555\n\n"
        "\tcolumn amount\n\t\tdataType: double\n\t\tlineageTag: 31111111-2222-4333-8444-555555555555\n"
        "\t\tsummarizeBy: sum\n\t\tsourceColumn: amount\n")
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def test_own_server_parameter_is_refused_with_both_ways_out(cli, own_model: Path) -> None:
    before = _snapshot(own_model)
    result = cli("build", "--into", str(own_model), "--with-tables")
    assert result.code == 2
    assert ("expressions.tmdl:2: expression 'Server' is hand-written (no MSP_CSAT_Generated annotation) but has the "
            "name of a generated expression; rename or delete it, or build with --parameter-prefix P (ours become "
            "P_Server and P_Database) or --reuse-parameters (the generated partitions read yours; none is "
            "written)") in result.err
    assert "expression 'Database' is hand-written" in result.err
    assert _snapshot(own_model) == before


@pytest.mark.parametrize("kind", ["postgresql", "duckdb-odbc"])
def test_with_a_prefix_ours_sit_beside_theirs(cli, own_model: Path, kind: str) -> None:
    args = ("--with-tables", "--connection", kind, "--parameter-prefix", "MSP_CSAT")
    result = cli("build", "--into", str(own_model), *args)
    assert result.code == 0, result.err
    definition = own_model / "definition"
    expressions = (definition / "expressions.tmdl").read_text()
    assert expressions.startswith(OWN_PARAMETERS)  # theirs kept byte for byte
    names = [node.name for node in read_folder(definition).objects("expression")]
    ours = ["MSP_CSAT_Database"] if kind == "duckdb-odbc" else ["MSP_CSAT_Server", "MSP_CSAT_Database"]
    assert names == ["Server", "Database", *ours]
    tree = parse(read_folder(definition).table("BI_Date").objects("partition")[0].properties["source"])
    assert free_identifiers(tree) == {FUNCTIONS[kind], *ours}
    assert cli("check", "--into", str(own_model), *args).code == 0
    assert cli("check", "--into", str(own_model), "--with-tables", "--connection", kind).code == 2  # the conflict


def test_reusing_their_parameters_writes_none(cli, own_model: Path) -> None:
    args = ("--with-tables", "--connection", "postgresql", "--reuse-parameters")
    result = cli("build", "--into", str(own_model), *args)
    assert result.code == 0, result.err
    assert "connection postgresql (PostgreSQL.Database; your parameters Server, Database)" in result.err
    definition = own_model / "definition"
    assert (definition / "expressions.tmdl").read_text() == OWN_PARAMETERS
    partitions = {table.name: table.objects("partition")[0].properties["source"]
                  for table in read_folder(definition).tables if table.name != "Budget"}
    assert len(partitions) == 15
    for text in partitions.values():
        assert free_identifiers(parse(text)) == {"PostgreSQL.Database", "Server", "Database"}
    assert cli("check", "--into", str(own_model), *args).code == 0
    # Switching to our own (prefixed) parameters later adds them and repoints the partitions.
    prefixed = cli("build", "--into", str(own_model), "--with-tables", "--connection", "postgresql",
                   "--parameter-prefix", "MSP_CSAT")
    assert prefixed.code == 0, prefixed.err
    assert "MSP_CSAT_Server" in read_folder(definition).table("BI_Date").objects("partition")[0].properties["source"]


def test_reusing_parameters_the_model_lacks_is_refused(cli, own_model: Path) -> None:
    expressions = own_model / "definition" / "expressions.tmdl"
    expressions.write_text(OWN_PARAMETERS.split("\nexpression Database")[0] + "\n")
    before = _snapshot(own_model)
    result = cli("build", "--into", str(own_model), "--with-tables", "--reuse-parameters")
    assert result.code == 2
    assert ("--reuse-parameters: the model has no parameter (expression) 'Database' for the generated partitions to "
            "read; add it, or build without --reuse-parameters") in result.err
    assert _snapshot(own_model) == before


def test_reusing_parameters_needs_with_tables(cli, own_model: Path) -> None:
    for option in (("--reuse-parameters",), ("--parameter-prefix", "P")):
        result = cli("build", "--into", str(own_model), *option)
        assert result.code == 2
        assert "go with --with-tables" in result.err


def test_build_into_with_tables_for_postgresql_on_a_bare_model(cli, own_model: Path) -> None:
    (own_model / "definition" / "expressions.tmdl").unlink()
    args = ("--with-tables", "--connection", "postgresql")
    result = cli("build", "--into", str(own_model), *args)
    assert result.code == 0, result.err
    definition = own_model / "definition"
    source = read_folder(definition).table("BI_Autotask_Tickets").objects("partition")[0].properties["source"]
    assert 'PostgreSQL.Database(Server, Database)' in source and 'Schema = "public"' in source
    assert cli("check", "--into", str(own_model), *args).code == 0
    stale = cli("check", "--into", str(own_model), "--with-tables")
    assert stale.code == 1 and "BI_Autotask_Tickets.tmdl: differs" in stale.out


# -- the names the partitions use exist in real databases loaded by the tool -----------------------------------------

def _source_columns(folder: Path) -> dict[str, set[str]]:
    """Table → the source columns its TMDL columns import."""
    return {table.name: {str(column.properties["sourceColumn"]) for column in table.objects("column")}
            for table in read_folder(folder / DEFINITION).tables}


@pytest.mark.parametrize(("target", "schema_of"), [("postgres", "public"), ("mariadb", None)])
def test_the_navigation_names_the_tables_and_columns_of_a_real_database(cli, request, tmp_path: Path, target: str,
                                                                        schema_of: str | None) -> None:
    from generator.spec.loader import load_model
    from generator.spec.locate import default_spec_dir
    from generator.targets import open_database
    from generator.targets.schema import ensure_schema

    db = request.getfixturevalue(f"{target}_db")
    with open_database(db) as database:
        ensure_schema(database, load_model(default_spec_dir()))
        rows = database.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns")
    columns: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), set()).add(column)

    result = cli("build", "--db", db, "--out", str(tmp_path / "powerbi"))  # the connection follows --db
    assert result.code == 0, result.err
    values = {name: parse(text).left.value for name, (text, _) in _parameters(tmp_path).items()}
    database_name = db.rsplit("Database=", 1)[1]
    assert values == {"Server": "127.0.0.1:" + ("5432" if target == "postgres" else "3306"),
                      "Database": database_name}
    wanted = _source_columns(tmp_path)
    for table, text in _partitions(tmp_path).items():
        selector = dict(parse(text).bindings)["Data"].target.selector
        schema = selector.get("Schema")
        schema_name = schema.value if isinstance(schema, Literal) else values[schema.name]
        assert schema_name == (schema_of or database_name)
        key = (schema_name, selector.get("Item").value)
        assert key in columns, key
        assert wanted[table] <= columns[key], table


def test_the_duckdb_query_reads_every_column_of_a_loaded_file(cli, demo_db: str, tmp_path: Path) -> None:
    import duckdb

    result = cli("build", "--db", demo_db, "--out", str(tmp_path / "powerbi"))
    assert result.code == 0, result.err
    assert parse(_parameters(tmp_path)["Database"][0]).left == Literal("text", demo_db)
    wanted = _source_columns(tmp_path)
    connection = duckdb.connect(demo_db, read_only=True)  # what access_mode = read_only asks of the driver
    try:
        for table, text in _partitions(tmp_path).items():
            query = dict(parse(text).bindings)["Data"].arguments[1].value  # the SQL the ODBC driver runs
            described = connection.execute(query).description
            assert wanted[table] <= {column[0] for column in described}, table
            count = connection.execute(f'SELECT COUNT(*) FROM main."{table}"').fetchone()[0]
            assert len(connection.execute(query).fetchall()) == count
    finally:
        connection.close()
