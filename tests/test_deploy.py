"""`gen-measures deploy` against the real fabric-cicd and azure-identity libraries, with every HTTP request
intercepted at the `requests` layer by `responses` (the Fabric / Power BI service cannot run here).

Most tests drive the package API with a tiny credential object (azure-core's `get_token` protocol); the CLI
tests run `generator.cli.main` in-process with a service principal in the environment, so the real
`ClientSecretCredential` signs in against an intercepted Microsoft Entra token endpoint.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:  # the `deploy` extra and `responses` (both in the `test` extra and requirements.lock); fabric_cicd itself is
    # only looked for here: importing it changes global logging, which generator.deploy undoes on its own import
    import responses
    from azure.core.credentials import AccessToken

    if importlib.util.find_spec("fabric_cicd") is None:
        raise ImportError("fabric_cicd")
except ImportError:
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("needs fabric-cicd, azure-identity and responses: pip install -r requirements.lock",
                allow_module_level=True)

from generator.deploy import DeployError, DeployOptions, deploy
from generator.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
WS_DEV = "11111111-1111-1111-1111-111111111111"
WS_PROD = "22222222-2222-2222-2222-222222222222"
MODEL_DEV, REPORT_DEV = "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"
MODEL_PROD, REPORT_PROD = "bbbbbbbb-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
FABRIC = "https://api.powerbi.com/v1/workspaces"  # fabric-cicd's default API root
POWER_BI = "https://api.powerbi.com/v1.0/myorg/groups"
TENANT, CLIENT, SECRET = "33333333-3333-3333-3333-333333333333", "client-app-id", "s3cret-Value~never-shown"
MODEL_DIR, REPORT_DIR = "MSP-CSAT.SemanticModel", "MSP-CSAT.Report"

CONFIG = f"""\
environments:
  dev:
    workspace_id: {WS_DEV}
    server: dev-sql.example.com
    database: msp_csat_dev
  prod:
    workspace_id: {WS_PROD}
    server: "sql.contoso.com"
    database: msp "csat"
"""


class FakeCredential:
    """azure-core's TokenCredential protocol: one token per scope, the scopes asked for recorded."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes[0])
        return AccessToken(f"token-for-{scopes[0].split('/')[2]}", int(time.time()) + 3600)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The committed `build` output and a deploy.yaml with two environments, as the working directory."""
    shutil.copytree(ROOT / "powerbi", tmp_path / "powerbi")
    (tmp_path / "deploy.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def service():
    """The intercepted service: every request must have been registered (an unexpected one fails)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def workspace(rsps: responses.RequestsMock, ws: str, deployed: list[dict] | None = None, status: int = 200,
              headers: dict | None = None) -> None:
    """The three reads fabric-cicd makes before publishing."""
    rsps.get(f"{FABRIC}/{ws}", json={"id": ws, "displayName": f"MSP CSAT {ws[:4]}"}, status=status,
             headers=headers or {})
    rsps.get(f"{FABRIC}/{ws}/folders", json={"value": []})
    rsps.get(f"{FABRIC}/{ws}/items", json={"value": deployed or []})


def creates(rsps: responses.RequestsMock, ws: str, model_id: str, report_id: str) -> None:
    """POST /items answers 201 with the new item's id."""
    def callback(request):
        kind = json.loads(request.body)["type"]
        return 201, {}, json.dumps({"id": model_id if kind == "SemanticModel" else report_id})

    rsps.add_callback(responses.POST, f"{FABRIC}/{ws}/items", callback=callback, content_type="application/json")


def refreshes(rsps: responses.RequestsMock, ws: str, model_id: str, statuses: list[dict]) -> None:
    """The refresh POST (202 with a request id) and the history answers, one per poll."""
    base = f"{POWER_BI}/{ws}/datasets/{model_id}/refreshes"
    rsps.post(base, status=202, headers={"x-ms-request-id": "req-1", "Location": f"{base}/req-1"})
    for entry in statuses:
        rsps.get(f"{base}?$top=1", json={"value": [{"requestId": "req-1", "refreshType": "ViaApi", **entry}]})


def calls(rsps: responses.RequestsMock) -> list[tuple[str, str]]:
    return [(call.request.method, call.request.url) for call in rsps.calls]


def parts(request) -> dict[str, str]:
    """The definition parts of a create/update request, decoded."""
    body = json.loads(request.body)
    return {part["path"]: base64.b64decode(part["payload"]).decode("utf-8") for part in body["definition"]["parts"]}


def files_of(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*")) if path.is_file()}


def run(project: Path, environment: str, **options) -> tuple[object, list[str], FakeCredential]:
    lines: list[str] = []
    credential = FakeCredential()
    result = deploy(DeployOptions(environment=environment, poll_seconds=0, **options), lines.append, credential)
    return result, lines, credential


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """`gen-measures ARGS` in this process (so `responses` sees its requests): exit code, stdout, stderr."""
    from generator.cli import main

    monkeypatch.setattr(sys, "argv", ["gen-measures", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return exited.value.code or 0, captured.out, captured.err


def entra(rsps: responses.RequestsMock, status: int = 200, body: dict | None = None) -> None:
    """Microsoft Entra ID's discovery document and token endpoint, as MSAL calls them for a client secret."""
    authority = f"https://login.microsoftonline.com/{TENANT}"
    rsps.get(f"{authority}/v2.0/.well-known/openid-configuration", json={
        "token_endpoint": f"{authority}/oauth2/v2.0/token", "issuer": f"{authority}/v2.0",
        "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize"})
    rsps.get("https://login.microsoftonline.com/common/discovery/instance", json={  # MSAL asks after a refusal
        "tenant_discovery_endpoint": f"{authority}/v2.0/.well-known/openid-configuration", "metadata": []})
    rsps.post(f"{authority}/oauth2/v2.0/token", status=status, json=body or {
        "token_type": "Bearer", "expires_in": 3600, "access_token": "entra-access-token-123"})


def service_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)


# --- publish and refresh, two environments ------------------------------------------------------------------------

def test_dev_publishes_model_then_report_with_its_parameters_and_refreshes(project, service):
    workspace(service, WS_DEV)
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)
    refreshes(service, WS_DEV, MODEL_DEV, [{"status": "Unknown"}, {"status": "Completed"}])

    result, lines, credential = run(project, "dev", refresh=True)

    refresh_url = f"{POWER_BI}/{WS_DEV}/datasets/{MODEL_DEV}/refreshes"
    assert calls(service) == [("GET", f"{FABRIC}/{WS_DEV}"), ("GET", f"{FABRIC}/{WS_DEV}/folders"),
                              ("GET", f"{FABRIC}/{WS_DEV}/items"), ("POST", f"{FABRIC}/{WS_DEV}/items"),
                              ("POST", f"{FABRIC}/{WS_DEV}/items"), ("POST", refresh_url),
                              ("GET", f"{refresh_url}?$top=1"), ("GET", f"{refresh_url}?$top=1")]
    model_call, report_call = service.calls[3].request, service.calls[4].request
    model_body, report_body = json.loads(model_call.body), json.loads(report_call.body)
    assert {key: model_body[key] for key in ("displayName", "type", "folderId")} == \
        {"displayName": "MSP-CSAT", "type": "SemanticModel", "folderId": ""}
    assert report_body["type"] == "Report"
    assert model_call.headers["Authorization"] == "Bearer token-for-api.fabric.microsoft.com"

    # Every file of the model is sent as is, but for the two parameter values.
    sent, on_disk = parts(model_call), files_of(project / "powerbi" / MODEL_DIR)
    assert set(sent) == set(on_disk)
    expected = on_disk["definition/expressions.tmdl"].replace(
        'expression Server = "localhost"', 'expression Server = "dev-sql.example.com"').replace(
        'expression Database = "msp_csat"', 'expression Database = "msp_csat_dev"')
    assert expected != on_disk["definition/expressions.tmdl"]
    assert sent == {**on_disk, "definition/expressions.tmdl": expected}

    # The report is re-bound from its relative path to the model just created.
    report_parts = parts(report_call)
    assert report_parts["definition/report.json"] == \
        (project / "powerbi" / REPORT_DIR / "definition" / "report.json").read_text("utf-8")
    binding = json.loads(report_parts["definition.pbir"])["datasetReference"]
    assert binding["byConnection"]["pbiModelDatabaseName"] == MODEL_DEV and "byPath" not in binding

    refresh_call = service.calls[5].request
    assert json.loads(refresh_call.body) == {"notifyOption": "NoNotification"}
    assert refresh_call.headers["Authorization"] == "Bearer token-for-analysis.windows.net"
    assert credential.scopes[:2] == ["https://api.fabric.microsoft.com/.default",
                                     "https://analysis.windows.net/powerbi/api/.default"]
    assert result.model_ids == {"MSP-CSAT": MODEL_DEV} and result.refreshed == {"MSP-CSAT": "Completed"}
    assert "refresh of 'MSP-CSAT': Unknown, checking again in 0 s" in lines
    assert "fabric-cicd: Published SemanticModel 'MSP-CSAT'" in lines
    # The generated files themselves are never changed by a deploy.
    assert files_of(project / "powerbi" / MODEL_DIR) == on_disk


def test_prod_updates_existing_items_through_a_long_running_operation(project, service):
    deployed = [{"id": MODEL_PROD, "type": "SemanticModel", "displayName": "MSP-CSAT", "description": ""},
                {"id": REPORT_PROD, "type": "Report", "displayName": "MSP-CSAT", "description": ""}]
    workspace(service, WS_PROD, deployed)
    operation = "https://api.fabric.microsoft.com/v1/operations/op-42"
    for item in (MODEL_PROD, REPORT_PROD):
        service.post(f"{FABRIC}/{WS_PROD}/items/{item}/updateDefinition?updateMetadata=True", status=202,
                     headers={"Location": operation, "Retry-After": "0"})
    service.get(operation, json={"status": "Running"}, headers={"Retry-After": "0", "Location": operation})
    service.get(operation, json={"status": "Succeeded"})
    service.get(operation, json={"status": "Succeeded"})

    result, _, _ = run(project, "prod")

    updates = [call.request for call in service.calls if "updateDefinition" in call.request.url]
    assert [request.url.split("/items/")[1].split("/")[0] for request in updates] == [MODEL_PROD, REPORT_PROD]
    expressions = parts(updates[0])["definition/expressions.tmdl"]
    assert 'expression Server = "sql.contoso.com" meta' in expressions
    assert 'expression Database = "msp ""csat""" meta' in expressions  # an M text literal doubles its quotes
    assert json.loads(parts(updates[1])["definition.pbir"])["datasetReference"]["byConnection"][
        "pbiModelDatabaseName"] == MODEL_PROD
    assert [url for method, url in calls(service) if method == "GET"].count(operation) == 3
    assert result.model_ids == {"MSP-CSAT": MODEL_PROD} and result.refreshed == {}


def test_a_model_created_through_a_long_running_operation_is_refreshed_by_its_result_id(project, service):
    workspace(service, WS_DEV)
    operation = "https://api.fabric.microsoft.com/v1/operations/op-9"
    service.post(f"{FABRIC}/{WS_DEV}/items", status=202, headers={"Location": operation, "Retry-After": "0",
                                                                  "x-ms-operation-id": "op-9"})
    service.get(operation, json={"status": "Succeeded"}, headers={"Location": f"{operation}/result"})
    service.get(f"{operation}/result", json={"id": MODEL_DEV, "type": "SemanticModel", "displayName": "MSP-CSAT"})
    service.post(f"{FABRIC}/{WS_DEV}/items", status=201, json={"id": REPORT_DEV})
    refreshes(service, WS_DEV, MODEL_DEV, [{"status": "Completed"}])

    result, _, _ = run(project, "dev", refresh=True)

    assert result.model_ids == {"MSP-CSAT": MODEL_DEV} and result.refreshed == {"MSP-CSAT": "Completed"}
    report = next(call.request for call in service.calls if call.request.method == "POST" and
                  json.loads(call.request.body).get("type") == "Report")
    assert json.loads(parts(report)["definition.pbir"])["datasetReference"]["byConnection"][
        "pbiModelDatabaseName"] == MODEL_DEV


def test_429_is_retried_after_the_time_retry_after_asks(project, service):
    workspace(service, WS_DEV)
    service.post(f"{FABRIC}/{WS_DEV}/items", status=429, headers={"Retry-After": "1"},
                 json={"errorCode": "RequestBlocked", "message": "too many requests"})
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)

    started = time.monotonic()
    result, lines, _ = run(project, "dev")

    assert time.monotonic() - started >= 0.9  # fabric-cicd waited the second Retry-After asked for
    assert [method for method, url in calls(service) if url.endswith("/items")] == ["GET", "POST", "POST", "POST"]
    assert any("API is throttled" in line and "1 second" in line for line in lines)
    assert result.model_ids == {"MSP-CSAT": MODEL_DEV}


# --- failures: one sentence, exit 2, nothing half-published --------------------------------------------------------

def test_a_failed_long_running_operation_stops_before_the_report(project, service):
    workspace(service, WS_DEV)
    operation = "https://api.fabric.microsoft.com/v1/operations/op-7"
    service.post(f"{FABRIC}/{WS_DEV}/items", status=202, headers={"Location": operation, "Retry-After": "0"})
    service.get(operation, json={"status": "Failed", "error": {
        "errorCode": "InvalidDefinition", "message": "The TMDL of table BI_Date is not valid."}})

    with pytest.raises(DeployError) as failure:
        run(project, "dev", refresh=True)

    message = str(failure.value)
    assert message == (f"publishing to workspace {WS_DEV} failed: MSP-CSAT: Operation failed. Error Code: "
                       "InvalidDefinition. Error Message: The TMDL of table BI_Date is not valid; nothing was "
                       "published")
    posts = [url for method, url in calls(service) if method == "POST"]
    assert posts == [f"{FABRIC}/{WS_DEV}/items"]  # the report was not sent, no refresh was started


def test_a_report_refused_after_its_model_says_what_was_published(project, service):
    workspace(service, WS_DEV)

    def callback(request):
        if json.loads(request.body)["type"] == "SemanticModel":
            return 201, {}, json.dumps({"id": MODEL_DEV})
        return 400, {}, json.dumps({"errorCode": "InvalidInput", "message": "The report definition is not valid"})

    service.add_callback(responses.POST, f"{FABRIC}/{WS_DEV}/items", callback=callback,
                         content_type="application/json")
    with pytest.raises(DeployError) as failure:
        run(project, "dev", refresh=True)
    message = str(failure.value)
    assert message.startswith(f"publishing to workspace {WS_DEV} failed: MSP-CSAT: Unhandled error occurred calling "
                              f"POST on '{FABRIC}/{WS_DEV}/items'. Message: The report definition is not valid")
    assert message.endswith("; already published: SemanticModel 'MSP-CSAT'")
    assert not any("refreshes" in url for _, url in calls(service))


def test_failed_refresh_is_one_sentence_with_the_service_reason(project, service):
    workspace(service, WS_DEV)
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)
    refreshes(service, WS_DEV, MODEL_DEV, [{"status": "Failed", "serviceExceptionJson": json.dumps(
        {"errorCode": "ModelRefreshFailed_CredentialsNotSpecified"})}])

    with pytest.raises(DeployError) as failure:
        run(project, "dev", refresh=True)

    assert str(failure.value).startswith("the refresh of 'MSP-CSAT' ended Failed: "
                                         "ModelRefreshFailed_CredentialsNotSpecified; the model was published")


def test_refresh_wait_is_bounded(project, service):
    workspace(service, WS_DEV)
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)
    base = f"{POWER_BI}/{WS_DEV}/datasets/{MODEL_DEV}/refreshes"
    service.post(base, status=202, headers={"x-ms-request-id": "req-1"})
    service.get(f"{base}?$top=1", json={"value": [{"requestId": "req-1", "status": "Unknown"}]})  # for ever

    started = time.monotonic()
    with pytest.raises(DeployError, match=r"did not finish within 1 s \(last status Unknown\)"):
        deploy(DeployOptions(environment="dev", refresh=True, refresh_timeout=1, poll_seconds=0.2), lambda _: None,
               FakeCredential())
    assert time.monotonic() - started < 20


def test_refresh_429_waits_retry_after_then_polls(project, service):
    workspace(service, WS_DEV)
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)
    base = f"{POWER_BI}/{WS_DEV}/datasets/{MODEL_DEV}/refreshes"
    service.post(base, status=429, headers={"Retry-After": "1"}, json={"error": {"code": "TooManyRequests"}})
    refreshes(service, WS_DEV, MODEL_DEV, [{"status": "Completed"}])

    started = time.monotonic()
    result, _, _ = run(project, "dev", refresh=True)

    assert time.monotonic() - started >= 0.9
    assert [method for method, url in calls(service) if url == base] == ["POST", "POST"]
    assert result.refreshed == {"MSP-CSAT": "Completed"}


def test_cli_401_from_the_service_is_one_line_exit_2_without_secrets(project, service, monkeypatch, capsys):
    service_principal(monkeypatch)
    entra(service)
    workspace(service, WS_DEV, status=401, headers={"x-ms-public-api-error-code": "Unauthorized"})

    code, out, err = run_main(["deploy", "-e", "dev", "--refresh"], monkeypatch, capsys)

    assert code == 2 and out == ""
    error = [line for line in err.splitlines() if line.startswith("error: ")]
    assert error == [f"error: publishing to workspace {WS_DEV} failed: The executing identity is not authorized to "
                     f"call GET on '{FABRIC}/{WS_DEV}'; give the identity the Contributor (or higher) role on the "
                     "workspace, and allow service principals to use Fabric APIs in the tenant's admin settings; "
                     "nothing was published"]
    assert "Traceback" not in err and SECRET not in err and "entra-access-token-123" not in err
    token_call = service.calls[1].request
    assert f"client_id={CLIENT}" in token_call.body and "grant_type=client_credentials" in token_call.body
    assert not any("/items" in url for _, url in calls(service))


def test_cli_refused_sign_in_sends_nothing_to_the_service(project, service, monkeypatch, capsys):
    service_principal(monkeypatch)
    entra(service, status=401, body={"error": "invalid_client", "error_description":
                                     f"AADSTS7000215: Invalid client secret provided. Secret was {SECRET}."})

    code, out, err = run_main(["deploy", "-e", "dev"], monkeypatch, capsys)

    assert code == 2 and out == ""
    assert f"error: signing in to Microsoft Entra ID with the service principal {CLIENT} (AZURE_CLIENT_ID)" in err
    assert "AADSTS7000215" in err and SECRET not in err and "Traceback" not in err
    assert not any("api.powerbi.com" in url for _, url in calls(service))


def test_cli_names_missing_service_principal_variables(project, service, monkeypatch, capsys):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    code, _, err = run_main(["deploy", "-e", "dev"], monkeypatch, capsys)
    assert code == 2
    assert err.strip().splitlines()[-1] == ("error: the service principal needs AZURE_TENANT_ID, AZURE_CLIENT_ID set "
                                            "as well as AZURE_CLIENT_SECRET (or unset them all to use another "
                                            "sign-in)")
    assert SECRET not in err and calls(service) == []


def test_cli_azure_cli_sign_in_without_az_is_one_sentence(project, service, monkeypatch, capsys, tmp_path):
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, out, err = run_main(["deploy", "-e", "dev", "--auth", "azure-cli"], monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == (
        "error: signing in to Microsoft Entra ID with the Azure CLI sign-in (az login) for "
        "https://api.fabric.microsoft.com/.default failed: Azure CLI not found on path; install the Azure CLI and run "
        "az login, or use a service principal")
    assert calls(service) == []


# --- everything local is checked before the first request -------------------------------------------------------

@pytest.mark.parametrize(("config", "problem"), [
    (CONFIG.replace("  prod:", "  dev:"), "deploy.yaml:6: key 'dev' appears twice in the same mapping"),
    ("environments:\n  dev: &d {server: a, database: b}\n  test: *d\n", "deploy.yaml:3: the value of 'test' is a "
                                                                        "YAML alias"),
    ("environments:\n  dev:\n    workspace_id: not-a-guid\n    server: a\n    database: b\n",
     "deploy.yaml:3: workspace_id of environment 'dev' must be the workspace's GUID"),
    ("environments:\n  dev:\n    server: a\n", "deploy.yaml:2: environment 'dev' needs database:"),
    ("environments:\n  dev:\n    server: a\n    database: b\n    password: x\n",
     "deploy.yaml:5: unknown key 'password' in environment 'dev'"),
])
def test_config_problems_name_file_and_line(project, service, config, problem):
    (project / "deploy.yaml").write_text(config, encoding="utf-8")
    with pytest.raises(SpecError) as failure:
        run(project, "dev")
    assert str(failure.value).startswith(problem)
    assert calls(service) == []


def test_model_without_the_named_parameter_stops_before_any_request(project, service):
    (project / "deploy.yaml").write_text("parameters:\n  server: MSP_Server\n" + CONFIG, encoding="utf-8")
    with pytest.raises(DeployError) as failure:
        run(project, "dev")
    assert "has no M text parameter 'MSP_Server'" in str(failure.value)
    assert "(its parameters: Server, Database)" in str(failure.value)
    assert calls(service) == []


def test_renamed_parameters_are_replaced(project, service):
    expressions = project / "powerbi" / MODEL_DIR / "definition" / "expressions.tmdl"
    expressions.write_text(expressions.read_text("utf-8").replace("expression Server =", "expression 'SQL Host' ="),
                           encoding="utf-8")
    (project / "deploy.yaml").write_text("parameters:\n  server: SQL Host\n" + CONFIG, encoding="utf-8")
    workspace(service, WS_DEV)
    creates(service, WS_DEV, MODEL_DEV, REPORT_DEV)
    run(project, "dev")
    sent = parts(service.calls[3].request)["definition/expressions.tmdl"]
    assert "expression 'SQL Host' = \"dev-sql.example.com\" meta" in sent


def test_report_bound_to_a_model_outside_the_folder_is_refused(project, service):
    pbir = project / "powerbi" / REPORT_DIR / "definition.pbir"
    pbir.write_text(pbir.read_text("utf-8").replace("../MSP-CSAT.SemanticModel", "../../Other.SemanticModel"),
                    encoding="utf-8")
    with pytest.raises(DeployError, match="not a semantic model in the folder being deployed"):
        run(project, "dev")
    assert calls(service) == []


def test_symbolic_links_inside_an_item_are_refused(project, service, tmp_path):
    (tmp_path / "private.txt").write_text("not for the service", encoding="utf-8")
    (project / "powerbi" / MODEL_DIR / "definition" / "notes.txt").symlink_to(tmp_path / "private.txt")
    with pytest.raises(DeployError, match=r"definition/notes.txt is a symbolic link"):
        run(project, "dev")
    assert calls(service) == []


def test_workspace_id_option_and_dry_run(project, service, monkeypatch, capsys):
    code, out, err = run_main(["deploy", "-e", "prod", "--workspace-id", WS_DEV.upper(), "--dry-run"],
                              monkeypatch, capsys)
    assert code == 0 and calls(service) == []
    assert out == f"would publish SemanticModel 'MSP-CSAT', Report 'MSP-CSAT' to workspace {WS_DEV} (prod)\n"
    assert "deploy: MSP-CSAT: Server 'localhost' -> 'sql.contoso.com' (prod)" in err
    code, _, err = run_main(["deploy", "-e", "qa"], monkeypatch, capsys)
    assert code == 2 and err.strip() == "error: deploy.yaml has no environment 'qa' (it has: dev, prod)"


def test_without_the_optional_packages_deploy_says_how_to_install(project, service, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fabric_cicd", None)  # what an install without the deploy extra sees
    code, _, err = run_main(["deploy", "-e", "dev"], monkeypatch, capsys)
    assert code == 2
    assert err.strip() == ("error: gen-measures deploy needs the optional packages fabric-cicd and azure-identity: "
                           "pip install 'msp-csat[deploy]'")


def test_importing_fabric_cicd_leaves_logging_and_excepthook_alone(project):
    """fabric-cicd replaces sys.excepthook and sets the root logger to ERROR on import: deploy undoes both (in a
    fresh interpreter, where the import really happens)."""
    script = """
import logging, sys
from generator.deploy import DeployError, DeployOptions, deploy
class Refused:
    def get_token(self, *scopes, **kwargs):
        raise RuntimeError("no sign-in here")
hook, level = sys.excepthook, logging.getLogger().level
try:
    deploy(DeployOptions(environment="dev"), lambda line: None, Refused())
except DeployError as exc:
    assert "no sign-in here" in str(exc), exc
assert "fabric_cicd" in sys.modules
assert sys.excepthook is hook and logging.getLogger().level == level and not logging.getLogger().handlers
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_a_duckdb_odbc_model_deploys_with_its_file_path_and_no_server(project, service, monkeypatch, capsys):
    """A model built with --connection duckdb-odbc has one parameter, the file path (Database): an environment
    without server: deploys it; the same environment for a SQL Server model is refused before any request."""
    config = f"environments:\n  dev:\n    workspace_id: {WS_DEV}\n    database: /srv/bi/msp_csat.duckdb\n"
    (project / "deploy.yaml").write_text(config, encoding="utf-8")
    with pytest.raises(DeployError) as failure:
        run(project, "dev")
    assert "has no server:, but semantic model 'MSP-CSAT' has the M parameter 'Server'" in str(failure.value)
    assert calls(service) == []
    built = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--connection", "duckdb-odbc", "--out",
                            str(project / "powerbi"), "--docs", str(project / "measures.md")],
                           capture_output=True, text=True, cwd=ROOT)
    assert built.returncode == 0, built.stderr
    code, _, err = run_main(["deploy", "-e", "dev", "--dry-run"], monkeypatch, capsys)
    assert code == 0, err
    assert "deploy: MSP-CSAT: Database 'msp_csat.duckdb' -> '/srv/bi/msp_csat.duckdb' (dev)" in err
    assert "Server" not in err
