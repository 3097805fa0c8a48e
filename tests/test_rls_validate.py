"""``validate --roles`` and ``query --role`` on the demo dataset through the CLI, the leak test, and the pandas
reference's view of the roles (independent of the engine)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import run_cli

from generator.demo.build import build_demo
from generator.reference import evaluate
from generator.reference.security import role_users, unknown_company_mappings, visible_tables

PINNACLE, VANGUARD = 1013, 1014


@pytest.fixture(scope="module")
def frames() -> dict:
    return build_demo()


def test_the_demo_maps_a_few_users_to_every_client_and_one_to_two_companies(frames) -> None:
    mapping = frames["BI_Security_ClientUsers"]
    per_company = mapping.groupby("company_id")["user_principal_name"].nunique()
    assert set(per_company.index) == set(frames["BI_Autotask_Companies"]["company_id"])
    assert per_company.between(2, 4).all()
    assert role_users(frames, "Client")[0] == "ops@pinnacletech.example"
    assert sorted(mapping.loc[mapping["user_principal_name"] == "ops@pinnacletech.example", "company_id"]) == [
        PINNACLE, VANGUARD]
    assert unknown_company_mappings(frames) == []
    assert role_users(frames, "Technician")[0] == "daniel.okafor@northbeam-it.example"


def test_the_reference_sees_a_clients_rows_only_and_the_published_figures_of_that_client(frames) -> None:
    visible = visible_tables(frames, "Client", "alex@pinnacletech.example")
    assert set(visible["BI_SmileBack_Reviews"]["company_id"]) == {PINNACLE}
    assert len(visible["BI_Security_ClientUsers"]) == 0
    assert len(visible["BI_Autotask_Resources"]) == len(frames["BI_Autotask_Resources"])  # not restricted
    happy = evaluate("CSAT - Happy %", visible, "total").iloc[0]
    assert round(happy * 100, 1) == 78.6  # Pinnacle Tech, DESIGN section 9
    portfolio_gap = evaluate("CSAT - Happy % vs Portfolio", visible, "client").iloc[0]
    assert portfolio_gap == pytest.approx(0.0, abs=1e-12)  # its portfolio is its own data


def test_the_reference_follows_the_ticket_to_time_entries_for_a_technician(frames) -> None:
    visible = visible_tables(frames, "Technician", "LISA.PARK@northbeam-it.example")
    [lisa] = visible["BI_Autotask_Resources"]["resource_id"]
    assert set(visible["BI_Autotask_Tickets"]["assigned_resource_id"]) == {lisa}
    assert set(visible["BI_Autotask_TimeEntries"]["ticket_id"]) <= set(visible["BI_Autotask_Tickets"]["ticket_id"])
    assert len(visible["BI_SmileBack_NPS"]) == len(frames["BI_SmileBack_NPS"])  # NPS is not about technicians


def test_a_mapping_to_an_unknown_company_is_reported(frames) -> None:
    tables = dict(frames)
    mapping = tables["BI_Security_ClientUsers"]
    extra = pd.DataFrame({"user_principal_name": ["new@x.example"], "company_id": [424242]})
    tables["BI_Security_ClientUsers"] = pd.concat([mapping, extra], ignore_index=True)
    assert unknown_company_mappings(tables) == [("new@x.example", 424242)]


def test_unknown_company_mappings_reads_a_target_database(tmp_path: Path) -> None:
    from generator.targets.duckdb_db import DuckDBDatabase

    path = tmp_path / "t.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE "BI_Autotask_Companies" (company_id BIGINT)')
    con.execute('CREATE TABLE "BI_Security_ClientUsers" (user_principal_name VARCHAR, company_id BIGINT)')
    con.execute("INSERT INTO \"BI_Autotask_Companies\" VALUES (1)")
    con.execute("INSERT INTO \"BI_Security_ClientUsers\" VALUES ('a@x.example', 1), ('b@x.example', 2)")
    assert unknown_company_mappings(DuckDBDatabase(con, str(path))) == [("b@x.example", 2)]
    con.close()


# ------------------------------------------------------------------------------------------------ CLI


def test_query_as_a_client_user_shows_only_their_companies(demo_db: str) -> None:
    result = run_cli("query", "--db", demo_db, "--role", "Client", "--user", "ops@pinnacletech.example",
                     "--format", "json", 'EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_name], '
                     '"Happy", [CSAT - Happy %], "Everyone", CALCULATE ( [CSAT - Total Ratings], '
                     'ALL ( BI_Autotask_Companies ) ) ) ORDER BY BI_Autotask_Companies[company_name]')
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [(r["BI_Autotask_Companies[company_name]"], round(r["[Happy]"] * 100, 1), r["[Everyone]"])
            for r in rows] == [("Pinnacle Tech", 78.6, 325), ("Vanguard Tech", 68.2, 325)]


def test_query_as_a_user_with_no_mapping_shows_nothing(demo_db: str) -> None:
    result = run_cli("query", "--db", demo_db, "--role", "Client", "--user", "stranger@elsewhere.example",
                     "--format", "json", 'EVALUATE ROW ( "n", [CSAT - Total Ratings], "companies", '
                     'COUNTROWS ( ALL ( BI_Autotask_Companies ) ) )')
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"[n]": None, "[companies]": None}]


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "Cliente", "--user", "a@b.example"], "unknown role 'Cliente'; the model's roles: Client, Technician"),
    (["--user", "a@b.example"], "--user needs --role"),
    (["--role", "Client"], "--role needs --user"),
    (["--role", "Client", "--user", " "], "--user must be a user principal name"),
])
def test_query_role_options_are_checked(demo_db: str, args: list[str], message: str) -> None:
    result = run_cli("query", "--db", demo_db, *args, "EVALUATE { 1 }")
    assert result.code == 2
    assert message in result.err


def test_validate_roles_on_the_demo_every_user_equals_the_reference_and_nothing_leaks(demo_db: str) -> None:
    # Every measure on the client slice (the one a client sees), two users per role and one with no mapping;
    # `validate --roles` with every slice is the same code on more rows (docs/row-level-security.md has its figures).
    result = run_cli("validate", "--db", demo_db, "--roles", "--slice", "client", "--json")
    assert result.code == 0, result.out[-3000:] + result.err
    report = json.loads(result.out)
    assert report["passed"] and report["mismatches"] == [] and report["leaks"] == []
    roles = {r["role"]: r for r in report["roles"]}
    assert roles["Client"]["users_available"] == 43 and roles["Technician"]["users_available"] == 9
    assert roles["Client"]["users_checked"] == ["ops@pinnacletech.example", "alex@ironcladmsp.example",
                                                "unmapped.user@example.invalid"]
    assert len(roles["Technician"]["users_checked"]) == 3 and len(roles["Manager"]["users_checked"]) == 1
    assert report["checks"] > 1500


def test_validate_roles_text_reports_counts_per_role(demo_db: str) -> None:
    result = run_cli("validate", "--db", demo_db, "--roles", "--role", "client", "--users-per-role", "1",
                     "--slice", "client", "--measure", "CSAT - Happy % vs Portfolio")
    assert result.code == 0, result.out + result.err
    assert "role Client: 1 of 43 users and one with no mapping:" in result.out
    assert "0 mismatches, 0 leaks" in result.out
    assert "Technician" not in result.out


def test_validate_roles_options_are_checked(demo_db: str) -> None:
    assert "--role and --all-users go with --roles" in run_cli("validate", "--db", demo_db, "--all-users").err
    result = run_cli("validate", "--db", demo_db, "--roles", "--role", "Boss")
    assert result.code == 2 and "unknown role 'Boss'" in result.err
    result = run_cli("validate", "--db", demo_db, "--roles", "--slice", "issue_type")
    assert result.code == 2 and "slice 'issue_type' is not one of them: validate it without --roles" in result.err


def _weaken(spec_copy: Path, old: str, new: str) -> None:
    path = spec_copy / "model" / "security.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_role_that_filters_only_the_mapping_leaks_and_validate_catches_it(demo_db: str, spec_copy: Path) -> None:
    # The classic mistake: the role filters the (unrelated) mapping table instead of the companies.
    _weaken(spec_copy, "      - table: BI_Autotask_Companies\n", "      - table: BI_Security_ClientUsers\n")
    _weaken(spec_copy, "BI_Autotask_Companies[company_id]\n              IN", "BI_Security_ClientUsers[company_id]\n"
            "              IN")
    _weaken(spec_copy, "      - table: BI_Security_ClientUsers\n        filter: FALSE ()\n\n  - name: Technician",
            "\n  - name: Technician")
    result = run_cli("validate", "--db", demo_db, "--specs", str(spec_copy), "--roles", "--role", "Client",
                     "--users-per-role", "1", "--slice", "client", "--measure", "CSAT - Total Ratings", "--json")
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["mismatches"], "the reference shows the user's companies only"
    queries = {leak["query"] for leak in report["leaks"]}
    assert {"companies table", "reviews table", "REMOVEFILTERS on the facts", "portfolio",
            "client user mapping"} <= queries
    assert any("outside the user's mapping" in leak["detail"] for leak in report["leaks"])
