"""Row-level security in the outputs: the roles of ``model/security.yaml`` in TMDL (``roles/<Name>.tmdl``) and in
``model.bim``, the spec errors a broken role gives (file and line, nothing written), and the lint rules about
roles (a filter that reaches no fact, a bidirectional relationship that widens what a role sees)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from tmdl_props import parse_tmdl

from generator.lint import lint_database
from generator.powerbi.semantic import semantic_model
from generator.spec.loader import load_model

DEFINITION = ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition"
COMPANIES_FILTER = ("BI_Autotask_Companies[company_id]\nIN CALCULATETABLE (\n    VALUES ( BI_Security_ClientUsers"
                    "[company_id] ),\n    BI_Security_ClientUsers[user_principal_name] = USERPRINCIPALNAME ()\n)")


@pytest.fixture(scope="module")
def bim() -> dict:
    return json.loads((ROOT / "powerbi" / "model.bim").read_text(encoding="utf-8"))


def _joined(value: object) -> object:
    return "\n".join(value) if isinstance(value, list) else value


def test_model_bim_has_the_three_roles_with_their_row_filters_and_no_members(bim: dict) -> None:
    roles = {role["name"]: role for role in bim["model"]["roles"]}
    assert list(roles) == ["Client", "Technician", "Manager"]
    for role in roles.values():
        assert role["modelPermission"] == "read"
        assert "members" not in role
    client = {p["name"]: _joined(p["filterExpression"]) for p in roles["Client"]["tablePermissions"]}
    assert client == {"BI_Autotask_Companies": COMPANIES_FILTER, "BI_Security_ClientUsers": "FALSE ()"}
    technician = {p["name"]: p["filterExpression"] for p in roles["Technician"]["tablePermissions"]}
    assert technician == {"BI_Autotask_Resources": "BI_Autotask_Resources[email] = USERPRINCIPALNAME ()",
                          "BI_Security_ClientUsers": "FALSE ()"}
    assert "tablePermissions" not in roles["Manager"]
    mapping = next(t for t in bim["model"]["tables"] if t["name"] == "BI_Security_ClientUsers")
    assert mapping["isHidden"] is True
    assert not [r for r in bim["model"]["relationships"] if "BI_Security_ClientUsers" in (r["fromTable"],
                                                                                         r["toTable"])]


def test_tmdl_role_files_say_the_same_as_model_bim(bim: dict) -> None:
    expected = {role["name"]: role for role in bim["model"]["roles"]}
    files = sorted(p.name for p in (DEFINITION / "roles").iterdir())
    assert files == ["Client.tmdl", "Manager.tmdl", "Technician.tmdl"]
    for name, role in expected.items():
        document = parse_tmdl((DEFINITION / "roles" / f"{name}.tmdl").read_text(encoding="utf-8"), name)
        [obj] = document.of("role")
        assert obj.name == name
        assert obj.prop("modelPermission") == "read"
        assert obj.description == role["description"]
        permissions = {p.name: p.default for p in obj.of("tablePermission")}
        assert permissions == {p["name"]: _joined(p["filterExpression"]) for p in role.get("tablePermissions", [])}
    model = (DEFINITION / "model.tmdl").read_text(encoding="utf-8")
    assert "\nref role Client\nref role Technician\nref role Manager\n" in model


def test_tmdl_multi_line_filter_is_indented_two_levels_below_its_permission() -> None:
    text = (DEFINITION / "roles" / "Client.tmdl").read_text(encoding="utf-8")
    assert "\ttablePermission BI_Autotask_Companies =\n\t\t\tBI_Autotask_Companies[company_id]\n\t\t\tIN " in text
    assert "\ttablePermission BI_Security_ClientUsers = FALSE ()\n" in text


def test_the_pbit_model_carries_the_roles_too(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(ROOT / "powerbi" / "MSP-CSAT.pbit") as package:
        schema = json.loads(package.read("DataModelSchema").decode("utf-16-le"))
    assert [role["name"] for role in schema["model"]["roles"]] == ["Client", "Technician", "Manager"]


# ------------------------------------------------------------------------------------------- spec errors


def _break(spec_copy: Path, old: str, new: str) -> int:
    path = spec_copy / "model" / "security.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "offset", "message"), [
    ("      - table: BI_Autotask_Resources\n", "      - table: BI_Autotask_Resource\n", 0,
     "role 'Technician' filters unknown table 'BI_Autotask_Resource'; did you mean 'BI_Autotask_Resources'?"),
    ("BI_Autotask_Resources[email] = USERPRINCIPALNAME ()", "BI_Autotask_Resources[email] = = USERPRINCIPALNAME ()",
     0, "role 'Technician', filter on 'BI_Autotask_Resources': the DAX does not parse"),
    ("                  VALUES ( BI_Security_ClientUsers[company_id] ),",
     "                  VALUES ( BI_Security_ClientUsers[company_id] ) ) ),", 0,
     "role 'Client', filter on 'BI_Autotask_Companies': the DAX does not parse"),
    ("BI_Autotask_Resources[email] = USERPRINCIPALNAME ()", "BI_Autotask_Resources[mail] = USERPRINCIPALNAME ()",
     0, "refers to unknown column 'BI_Autotask_Resources[mail]'; did you mean 'email'?"),
    ("BI_Autotask_Resources[email] = USERPRINCIPALNAME ()", "'[Tickets - Closed] > 0'", 0,
     "refers to [Tickets - Closed], which is not a column of 'BI_Autotask_Resources'"),
    ("  - name: Manager\n", "  - name: Client\n", 0, "role 'Client' is declared twice"),
    ("      - table: BI_Security_ClientUsers\n        filter: FALSE ()\n\n  - name: Technician",
     "      - table: BI_Autotask_Companies\n        filter: FALSE ()\n\n  - name: Technician", 0,
     "role 'Client' filters 'BI_Autotask_Companies' twice"),
])
def test_a_broken_role_fails_the_build_with_file_and_line(spec_copy: Path, tmp_path: Path, old: str, new: str,
                                                          offset: int, message: str) -> None:
    line = _break(spec_copy, old, new)  # a DAX syntax error points at the DAX line that fails
    result = run_cli("build", "--specs", str(spec_copy), "--out", str(tmp_path / "out"))
    assert result.code == 2, result.out + result.err
    assert f"model/security.yaml:{line + offset}: " in result.err, result.err
    assert message in result.err
    assert not (tmp_path / "out").exists(), "nothing is written when a spec is invalid"


def test_a_filter_that_does_not_parse_on_its_third_line_is_reported_at_that_line(spec_copy: Path) -> None:
    line = _break(spec_copy, "                  BI_Security_ClientUsers[user_principal_name] = USERPRINCIPALNAME ()",
                  "                  BI_Security_ClientUsers[user_principal_name] = USERPRINCIPALNAME () ?")
    result = run_cli("check", "--specs", str(spec_copy))
    assert result.code == 2
    assert f"model/security.yaml:{line}: role 'Client', filter on 'BI_Autotask_Companies': the DAX does not parse" \
        in result.err, result.err


def test_roles_outside_model_files_and_bad_shapes_are_refused(spec_copy: Path) -> None:
    (spec_copy / "sql" / "roles.yaml").write_text("roles:\n  - name: X\n", encoding="utf-8")
    _break(spec_copy, "  - name: Manager\n", "  - name: 'Manager?'\n")
    with pytest.raises(Exception) as caught:
        load_model(spec_copy)
    text = str(caught.value)
    assert "sql/roles.yaml:1: 'roles' must be a list of roles, in a model/*.yaml file" in text
    assert "role name 'Manager?' must start with a letter" in text


def test_the_shipped_roles_lint_clean() -> None:
    database = semantic_model(load_model(ROOT))
    from generator.lint.suppressions import apply_suppressions

    kept, _ = apply_suppressions(database, lint_database(database))
    assert kept == []


# ------------------------------------------------------------------------------------------------ lint rules


def _database_with(*, bidirectional: tuple[str, ...] = (), roles: tuple[dict, ...] = (),
                   security_both: bool = False) -> dict:
    database = semantic_model(load_model(ROOT))
    for relationship in database["model"]["relationships"]:
        if relationship["fromTable"] == "BI_Autotask_Tickets" and relationship["toTable"] in bidirectional:
            relationship["crossFilteringBehavior"] = "bothDirections"
            if security_both:
                relationship["securityFilteringBehavior"] = "bothDirections"
    database["model"]["roles"] += list(roles)
    return database


def _found(database: dict, rule: str) -> list[tuple[str, str]]:
    return [(f.object_name, f.message) for f in lint_database(database, rules=[rule])]


def _role(name: str, *permissions: tuple[str, str]) -> dict:
    return {"name": name, "modelPermission": "read",
            "tablePermissions": [{"name": table, "filterExpression": text} for table, text in permissions]}


def test_a_role_filter_on_the_unrelated_mapping_table_reaches_no_fact() -> None:
    database = _database_with(roles=(
        _role("Loose", ("BI_Security_ClientUsers", "BI_Security_ClientUsers[user_principal_name] = "
                                                   "USERPRINCIPALNAME ()")),
        _role("Hider", ("BI_Security_ClientUsers", "FALSE ()")),
        _role("Dates", ("BI_Date", "BI_Date[year] = 2026")),
    ))
    assert _found(database, "MSP_ROLE_FILTER_REACHES_NO_FACT") == [(
        "Loose/'BI_Security_ClientUsers'",
        "role Loose filters 'BI_Security_ClientUsers', but no active relationship carries the filter to a table "
        "the measures read; every fact stays visible")]


def test_a_bidirectional_relationship_that_security_does_not_follow_widens_a_role() -> None:
    database = _database_with(bidirectional=("BI_Autotask_Companies",))
    found = _found(database, "MSP_BIDIRECTIONAL_WIDENS_ROLE")
    # Technician restricts tickets (through their technician) but companies stay whole; Client restricts the
    # companies themselves, so nothing is widened for it.
    assert found == [("'BI_Autotask_Tickets'[company_id] -> 'BI_Autotask_Companies'[company_id]",
                      "role Technician restricts 'BI_Autotask_Tickets', but this relationship filters "
                      "'BI_Autotask_Companies' from it in queries only, not for security: the role's users see "
                      "every row of 'BI_Autotask_Companies'")]
    assert _found(_database_with(bidirectional=("BI_Autotask_Companies",), security_both=True),
                  "MSP_BIDIRECTIONAL_WIDENS_ROLE") == []
    assert _found(_database_with(bidirectional=("BI_Autotask_Resources",)), "MSP_BIDIRECTIONAL_WIDENS_ROLE") == [
        ("'BI_Autotask_Tickets'[assigned_resource_id] -> 'BI_Autotask_Resources'[resource_id]",
         "role Client restricts 'BI_Autotask_Tickets', but this relationship filters 'BI_Autotask_Resources' from "
         "it in queries only, not for security: the role's users see every row of 'BI_Autotask_Resources'")]


def test_lint_reports_the_role_rules_through_the_cli(tmp_path: Path) -> None:
    database = _database_with(bidirectional=("BI_Autotask_Companies",), roles=(
        _role("Loose", ("BI_Security_ClientUsers", "BI_Security_ClientUsers[company_id] = 1")),))
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(database), encoding="utf-8")
    result = run_cli("lint", "--model", str(path), "--rules",
                     "MSP_ROLE_FILTER_REACHES_NO_FACT,MSP_BIDIRECTIONAL_WIDENS_ROLE", "--format", "json")
    assert result.code == 1, result.err
    assert sorted({f["rule_id"] for f in json.loads(result.out)["findings"]}) == ["MSP_BIDIRECTIONAL_WIDENS_ROLE",
                                                                    "MSP_ROLE_FILTER_REACHES_NO_FACT"]
