"""Row-level security in the DAX engine, on a small hand-made model with values computed by hand.

Tables (an in-memory DuckDB):

* ``Company``: 1 Acme, 2 Beta, 3 Gamma;
* ``Users`` (the client user mapping, no relationship): ann@acme.example → 1; bob@multi.example → 1 and 2;
  eve@ghost.example → 99 (a company that does not exist); t2@msp.example → 3;
* ``Tech``: 10 t1@msp.example, 11 t2@msp.example, 12 with a BLANK e-mail;
* ``Ticket`` → Company, → Tech: 100 (1, 10), 101 (1, 11), 102 (2, 10), 103 (3, 11), 104 (BLANK company, 10),
  105 (company 7, unmatched, tech 12);
* ``Review`` → Ticket (active; reviews reach companies and technicians through their ticket), and an inactive
  ``Review[CompanyId]`` → Company: 1000 (ticket 100, rating 5), 1001 (101, 1), 1002 (102, 5), 1003 (103, 3),
  1004 (104, 5), 1005 (105, 1).

Roles: ``Client`` (companies mapped to USERPRINCIPALNAME() in Users; Users hidden with FALSE()), ``Tech``
(Tech[Email] = USERPRINCIPALNAME()), ``Nothing`` (a BLANK filter), ``Beta`` (a literal, compared without case).
"""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from generator.engine.errors import DaxEngineError
from generator.engine.model import (
    EngineColumn,
    EngineMeasure,
    EngineModel,
    EngineRelationship,
    EngineRole,
    EngineTable,
    EngineTablePermission,
)
from generator.engine.run import Engine
from generator.engine.values import DaxType

INT, S = DaxType.INTEGER, DaxType.STRING
CLIENT_FILTER = ("Company[CompanyId] IN CALCULATETABLE ( VALUES ( Users[CompanyId] ), "
                 "Users[Upn] = USERPRINCIPALNAME () )")
MODEL = EngineModel(
    tables=(
        EngineTable("Company", "company", (EngineColumn("CompanyId", INT, "CompanyId"),
                                           EngineColumn("Name", S, "Name"))),
        EngineTable("Users", "users", (EngineColumn("Upn", S, "Upn"), EngineColumn("CompanyId", INT, "CompanyId"))),
        EngineTable("Tech", "tech", (EngineColumn("TechId", INT, "TechId"), EngineColumn("Email", S, "Email"))),
        EngineTable("Ticket", "ticket", (EngineColumn("TicketId", INT, "TicketId"), EngineColumn("CompanyId", INT,
                                         "CompanyId"), EngineColumn("TechId", INT, "TechId"))),
        EngineTable("Review", "review", (EngineColumn("ReviewId", INT, "ReviewId"), EngineColumn("TicketId", INT,
                                         "TicketId"), EngineColumn("CompanyId", INT, "CompanyId"),
                                         EngineColumn("Rating", INT, "Rating"))),
    ),
    relationships=(
        EngineRelationship("Ticket", "CompanyId", "Company", "CompanyId"),
        EngineRelationship("Ticket", "TechId", "Tech", "TechId"),
        EngineRelationship("Review", "TicketId", "Ticket", "TicketId"),
        EngineRelationship("Review", "CompanyId", "Company", "CompanyId", active=False),
    ),
    measures=(
        EngineMeasure("Reviews", "Review", "COUNTROWS ( Review )"),
        EngineMeasure("Happy", "Review", "CALCULATE ( COUNTROWS ( Review ), Review[Rating] = 5 )"),
        EngineMeasure("Happy %", "Review", "DIVIDE ( [Happy], [Reviews] )"),
        EngineMeasure("Portfolio Happy %", "Review", "CALCULATE ( [Happy %], REMOVEFILTERS ( Company ) )"),
    ),
    roles=(
        EngineRole("Client", (EngineTablePermission("Company", CLIENT_FILTER),
                              EngineTablePermission("Users", "FALSE ()"))),
        EngineRole("Tech", (EngineTablePermission("Tech", "Tech[Email] = USERPRINCIPALNAME ()"),)),
        EngineRole("Nothing", (EngineTablePermission("Company", "BLANK ()"),)),
        EngineRole("Beta", (EngineTablePermission("Company", 'Company[Name] = "beta"'),)),
        EngineRole("Everything"),
    ),
)
ROWS = {
    "company": ("CompanyId BIGINT, Name VARCHAR", [(1, "Acme"), (2, "Beta"), (3, "Gamma")]),
    "users": ("Upn VARCHAR, CompanyId BIGINT", [("ann@acme.example", 1), ("bob@multi.example", 1),
                                                 ("bob@multi.example", 2), ("eve@ghost.example", 99),
                                                 ("t2@msp.example", 3)]),
    "tech": ("TechId BIGINT, Email VARCHAR", [(10, "t1@msp.example"), (11, "t2@msp.example"), (12, None)]),
    "ticket": ("TicketId BIGINT, CompanyId BIGINT, TechId BIGINT",
               [(100, 1, 10), (101, 1, 11), (102, 2, 10), (103, 3, 11), (104, None, 10), (105, 7, 12)]),
    "review": ("ReviewId BIGINT, TicketId BIGINT, CompanyId BIGINT, Rating BIGINT",
               [(1000, 100, 1, 5), (1001, 101, 1, 1), (1002, 102, 2, 5), (1003, 103, 3, 3), (1004, 104, None, 5),
                (1005, 105, 7, 1)]),
}
COUNTS = ('EVALUATE ROW ( "companies", COUNTROWS ( Company ), "tickets", COUNTROWS ( Ticket ), '
          '"reviews", [Reviews], "users", COUNTROWS ( Users ), "techs", COUNTROWS ( Tech ) )')


@pytest.fixture(scope="module")
def connection():
    con = duckdb.connect()
    for table, (columns, rows) in ROWS.items():
        con.execute(f"CREATE TABLE {table} ({columns})")
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    yield con
    con.close()


def run(connection, query: str, role=None, user=None) -> list[tuple]:
    return list(Engine(MODEL, connection, role=role, user=user).query(query)[0].rows)


def counts(connection, role=None, user=None) -> tuple:
    return run(connection, COUNTS, role, user)[0]


def test_without_a_role_everything_is_visible(connection) -> None:
    assert counts(connection) == (3, 6, 6, 5, 3)


def test_a_client_sees_its_company_and_what_hangs_off_it_and_nothing_with_a_blank_or_unmatched_key(connection):
    # Acme's tickets 100 and 101; ticket 104 (BLANK company) and 105 (company 7) are invisible, and so are the
    # reviews of invisible tickets (the restriction carries on along Review -> Ticket -> Company).
    assert counts(connection, "Client", "ann@acme.example") == (1, 2, 2, None, 3)
    assert run(connection, "EVALUATE Company", "Client", "ann@acme.example") == [(1, "Acme")]
    assert sorted(run(connection, "EVALUATE VALUES ( Review[ReviewId] )", "Client", "ann@acme.example")) == [
        (1000,), (1001,)]


def test_a_user_mapped_to_two_companies_sees_both(connection) -> None:
    assert counts(connection, "Client", "bob@multi.example") == (2, 3, 3, None, 3)
    assert Counter(run(connection, 'EVALUATE SUMMARIZECOLUMNS ( Company[Name], "n", [Reviews], "h", [Happy] )',
                       "Client", "bob@multi.example")) == Counter({("Acme", 2, 1): 1, ("Beta", 1, 1): 1})


def test_the_user_principal_name_matches_without_regard_to_case(connection) -> None:
    assert counts(connection, "Client", "ANN@Acme.Example") == (1, 2, 2, None, 3)


@pytest.mark.parametrize("user", ["nobody@nowhere.example", "eve@ghost.example"])
def test_a_user_with_no_mapping_or_a_mapping_to_an_unknown_company_sees_nothing(connection, user: str) -> None:
    assert counts(connection, "Client", user) == (None, None, None, None, 3)
    assert run(connection, 'EVALUATE SUMMARIZECOLUMNS ( Company[Name], "n", [Reviews] )', "Client", user) == []


def test_a_blank_filter_result_shows_nothing(connection) -> None:
    assert counts(connection, "Nothing", "ann@acme.example") == (None, None, None, 5, 3)


def test_a_literal_filter_compares_text_without_regard_to_case(connection) -> None:
    assert counts(connection, "Beta", "ann@acme.example") == (1, 1, 1, 5, 3)


def test_all_and_removefilters_cannot_escape_the_role(connection) -> None:
    query = ('EVALUATE ROW ( "all company", CALCULATE ( [Reviews], ALL ( Company ) ), '
             '"all review", CALCULATE ( [Reviews], ALL ( Review ) ), "removed", CALCULATE ( [Reviews], '
             'REMOVEFILTERS () ), "all rows", COUNTROWS ( ALL ( Ticket ) ), "all names", '
             'COUNTROWS ( ALL ( Company[Name] ) ), "no blank", COUNTROWS ( ALLNOBLANKROW ( Company ) ) )')
    assert run(connection, query, "Client", "ann@acme.example") == [(2, 2, 2, 2, 1, 1)]
    assert run(connection, query) == [(6, 6, 6, 6, 4, 3)]  # without a role: the blank row of Company counts too


def test_a_portfolio_comparison_under_a_role_compares_with_the_users_own_data(connection) -> None:
    # bob sees Acme (1 happy of 2) and Beta (1 of 1): his portfolio is 2 of 3, not everyone's 3 of 6.
    rows = run(connection, 'EVALUATE SUMMARIZECOLUMNS ( Company[Name], "h", [Happy %], "p", [Portfolio Happy %] )',
               "Client", "bob@multi.example")
    assert sorted((name, happy, round(portfolio, 12)) for name, happy, portfolio in rows) == [
        ("Acme", 0.5, round(2 / 3, 12)), ("Beta", 1.0, round(2 / 3, 12))]


def test_the_mapping_table_is_hidden_but_the_lookup_still_reads_it(connection) -> None:
    assert run(connection, "EVALUATE Users", "Client", "ann@acme.example") == []
    assert run(connection, 'EVALUATE ROW ( "n", COUNTROWS ( ALL ( Users ) ) )', "Client", "ann@acme.example") == [
        (None,)]


def test_a_technician_sees_own_tickets_and_their_reviews_with_companies_unrestricted(connection) -> None:
    # Tickets 100, 102, 104 (104 has a BLANK company, but companies are not secured by this role).
    assert counts(connection, "Tech", "t1@msp.example") == (3, 3, 3, 5, 1)
    rows = run(connection, 'EVALUATE SUMMARIZECOLUMNS ( Company[Name], "n", [Reviews] )', "Tech", "t1@msp.example")
    assert Counter(rows) == Counter({("Acme", 1): 1, ("Beta", 1): 1, (None, 1): 1})  # the blank row: ticket 104


def test_two_roles_give_the_union_of_what_each_shows(connection) -> None:
    # Client alone: Gamma's ticket 103 and review 1003. Tech alone: tickets 101, 103, every company.
    assert counts(connection, "Client", "t2@msp.example") == (1, 1, 1, None, 3)
    assert counts(connection, "Tech", "t2@msp.example") == (3, 2, 2, 5, 1)
    assert counts(connection, ["Client", "Tech"], "t2@msp.example") == (3, 2, 2, 5, 3)


def test_a_role_without_filters_sees_everything(connection) -> None:
    assert counts(connection, "Everything", "ann@acme.example") == (3, 6, 6, 5, 3)


def test_userprincipalname_and_username_return_the_user(connection) -> None:
    query = 'EVALUATE ROW ( "upn", USERPRINCIPALNAME (), "name", USERNAME () )'
    assert run(connection, query) == [("", "")]
    assert run(connection, query, user="x@y.example") == [("x@y.example", "x@y.example")]
    assert run(connection, query, "Client", "ann@acme.example") == [("ann@acme.example", "ann@acme.example")]


def test_userelationship_to_a_secured_table_is_refused_as_power_bi_does(connection) -> None:
    query = ('EVALUATE ROW ( "n", CALCULATE ( [Reviews], USERELATIONSHIP ( Review[CompanyId], '
             'Company[CompanyId] ) ) )')
    assert run(connection, query) == [(6,)]
    with pytest.raises(DaxEngineError, match=r"USERELATIONSHIP cannot activate .* row-level security filters "
                                             r"table 'Company'"):
        run(connection, query, "Client", "ann@acme.example")


def test_bad_roles_and_users_are_refused(connection) -> None:
    with pytest.raises(DaxEngineError, match="unknown role 'Clients'; the model's roles: Client, Tech"):
        Engine(MODEL, connection, role="Clients", user="ann@acme.example")
    with pytest.raises(DaxEngineError, match="a role needs a user"):
        Engine(MODEL, connection, role="Client")


def test_a_row_filter_that_fails_names_the_role_and_table(connection) -> None:
    model = EngineModel(MODEL.tables, MODEL.relationships, MODEL.measures,
                        roles=(EngineRole("Broken", (EngineTablePermission("Company", "Company[Nope] = 1",
                                                                           "roles.yaml:3"),)),))
    with pytest.raises(DaxEngineError, match=r"the row filter of role 'Broken' on table 'Company' \(roles.yaml:3\)"):
        Engine(model, connection, role="Broken", user="a@b.example").query(COUNTS)


def test_the_sql_of_a_role_reads_the_visible_rows_for_other_dialects_too() -> None:
    engine = Engine(MODEL, None, role="Client", user="ann@acme.example")
    [sql] = engine.sql('EVALUATE ROW ( "n", [Reviews] )', dialect="tsql")
    assert sql.startswith("WITH __rls_company AS (") and "__rls_review AS (" in sql
    assert "'ann@acme.example'" in sql
