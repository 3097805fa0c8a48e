"""The API credentials go only where they belong: zone urls on autotask.net (or an explicitly trusted origin), no
header injection through a secret, and no secret echoed back by a server in our messages."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.sources.autotask_api import AutotaskApiExtractor, AutotaskError, ThresholdPolicy, check_zone_url
from generator.sources.credentials import CredentialsError, load_autotask_credentials
from generator.sources.smileback_api import SmileBackApiExtractor, SmileBackError
from tests.conftest import run_cli
from tests.fakeapi.autotask import AutotaskServer
from tests.fakeapi.dataset import ApiDataset, synthetic
from tests.fakeapi.faults import Fault, FaultScript, RecordingServer
from tests.fakeapi.harness import collect, fast_client
from tests.fakeapi.smileback import SmileBackServer

AUTOTASK_ENV = {"AUTOTASK_USERNAME": "api@msp.example", "AUTOTASK_SECRET": "s3cr3t-value-Ab9",
                "AUTOTASK_INTEGRATION_CODE": "TRACKING-ID-Qx7"}


@pytest.fixture(scope="module")
def dataset() -> ApiDataset:
    return synthetic(seed=2, size=20)


def _cli_env(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    return {**env, "XDG_CONFIG_HOME": str(tmp_path), "MSP_CSAT_CREDENTIALS": ""}


def test_a_zone_on_another_port_gets_no_credentials_and_the_load_fails_with_a_sentence(dataset, tmp_path: Path):
    with RecordingServer() as other, AutotaskServer(dataset, zone_url=f"{other.url}/atservicesrest/") as server:
        result = run_cli("load", "--source", "autotask-api", "--db", str(tmp_path / "x.duckdb"), "--quiet",
                         env=_cli_env(tmp_path, server.env()))
    assert result.code != 0
    assert (f"Autotask zone discovery answered the zone url {other.url}/atservicesrest/, which is not https on an "
            "autotask.net host; the API credentials were not sent there") in result.err
    assert "Traceback" not in result.out + result.err
    assert other.requests == []  # the second server saw nothing, so no Secret / UserName / ApiIntegrationCode
    assert [r.route for r in server.requests] == ["zone"]
    assert not any({"secret", "apiintegrationcode", "username"} & set(r.headers) for r in server.requests)


def test_the_test_servers_own_http_zone_is_used_only_with_the_explicit_override(dataset):
    with AutotaskServer(dataset) as server:
        env = {k: v for k, v in server.env().items() if k != "AUTOTASK_ZONE_ORIGINS"}
        ex = AutotaskApiExtractor.from_environment(env, http=fast_client(), threshold=ThresholdPolicy(10_000))
        with pytest.raises(AutotaskError, match=r"is not https on an autotask\.net host"):
            collect(ex, "Companies")
        assert [r.route for r in server.requests] == ["zone"]
        trusted = AutotaskApiExtractor.from_environment(server.env(), http=fast_client(),
                                                        threshold=ThresholdPolicy(10_000))
        assert len(collect(trusted, "Companies").rows) == len(dataset.companies)


@pytest.mark.parametrize("zone", ["https://webservices5.autotask.net/atservicesrest/",
                                  "https://webservices.autotask.net/ATServicesRest/",
                                  "https://WEBSERVICES14.AUTOTASK.NET:443/atservicesrest/"])
def test_autotask_zones_are_accepted(zone: str):
    check_zone_url(zone)


@pytest.mark.parametrize("zone", ["http://webservices5.autotask.net/atservicesrest/",
                                  "https://webservices5.autotask.net.attacker.example/atservicesrest/",
                                  "https://evilautotask.net/atservicesrest/",
                                  "https://webservices5.autotask.net:8443/atservicesrest/",
                                  "https://localhost/atservicesrest/", "http://127.0.0.1:8080/"])
def test_other_zones_are_refused_unless_their_origin_is_trusted(zone: str):
    with pytest.raises(AutotaskError, match=r"not https on an autotask\.net host"):
        check_zone_url(zone)
    parts = urlsplit(zone)
    trusted = load_autotask_credentials({**AUTOTASK_ENV, "AUTOTASK_ZONE_ORIGINS": f"{parts.scheme}://{parts.netloc}"})
    check_zone_url(zone, trusted.zone_origins)


def test_a_zone_override_that_is_not_an_origin_is_refused():
    with pytest.raises(CredentialsError, match="AUTOTASK_ZONE_ORIGINS must list origins such as"):
        load_autotask_credentials({**AUTOTASK_ENV, "AUTOTASK_ZONE_ORIGINS": "127.0.0.1:8080"})
    with pytest.raises(CredentialsError, match="AUTOTASK_ZONE_ORIGINS must list origins"):
        load_autotask_credentials({**AUTOTASK_ENV, "AUTOTASK_ZONE_ORIGINS": "http://proxy.example/atservicesrest"})


@pytest.mark.parametrize("variable", ["AUTOTASK_SECRET", "AUTOTASK_INTEGRATION_CODE", "AUTOTASK_USERNAME"])
def test_a_credential_with_a_line_break_is_refused_naming_the_variable_not_the_value(variable: str):
    with pytest.raises(CredentialsError) as caught:
        load_autotask_credentials({**AUTOTASK_ENV, variable: "v4lue-Kq2\r\nX-Injected: 1"})
    message = str(caught.value)
    assert message.startswith(f"{variable} contains a line break or another control character")
    assert "v4lue" not in message and "X-Injected" not in message


def test_a_secret_with_a_line_break_in_the_credentials_file_is_refused(tmp_path: Path):
    config = tmp_path / "credentials.toml"
    config.write_text('[autotask]\nusername = "u@msp.example"\nsecret = "abc-Zz9\\nX-Injected: 1"\n'
                      'integration_code = "code-Pp1"\n', encoding="utf-8")
    config.chmod(0o600)
    with pytest.raises(CredentialsError) as caught:
        load_autotask_credentials({"MSP_CSAT_CREDENTIALS": str(config)})
    assert str(caught.value).startswith(f"secret under [autotask] in {config} contains a line break")
    assert "abc-Zz9" not in str(caught.value)


def test_the_load_refuses_a_secret_with_a_line_break_before_sending_anything(dataset, tmp_path: Path):
    with AutotaskServer(dataset) as server:
        env = _cli_env(tmp_path, {**server.env(), "AUTOTASK_SECRET": "at-secret-Zq8\nX-Injected: yes"})
        result = run_cli("load", "--source", "autotask-api", "--db", str(tmp_path / "x.duckdb"), "--quiet", env=env)
    assert result.code != 0
    assert "AUTOTASK_SECRET contains a line break or another control character" in result.err
    assert "Traceback" not in result.err and "at-secret-Zq8" not in result.out + result.err
    assert server.requests == []


def test_an_error_body_echoing_the_credentials_is_printed_redacted(dataset, tmp_path: Path):
    faults = FaultScript().on("Tickets/query", 1, fault=Fault.echo(400))
    with AutotaskServer(dataset, faults=faults) as server:
        result = run_cli("load", "--source", "autotask-api", "--db", str(tmp_path / "x.duckdb"), "--quiet",
                         env=_cli_env(tmp_path, server.env()))
    shown = result.out + result.err
    assert result.code != 0 and "Traceback" not in shown
    assert "Tickets/query failed: HTTP 400: Request rejected. Headers were" in result.err
    assert "Secret: ***" in result.err and "Apiintegrationcode: ***" in result.err
    assert server.secret not in shown and server.integration_code not in shown


def test_a_sign_in_error_echoing_the_password_and_client_secret_is_redacted(dataset):
    with SmileBackServer(dataset, faults=FaultScript().on("token", 1, fault=Fault.echo(400))) as server:
        ex = SmileBackApiExtractor.from_environment(server.env(), http=fast_client(), requests_per_minute=None)
        with pytest.raises(SmileBackError) as caught:
            collect(ex, "Reviews")
    message = str(caught.value)
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    assert "Request rejected. Headers were" in message and "password=***" in message
    for secret in (server.password, server.client_secret, basic):
        assert secret not in message


def test_trusted_zone_origins_can_come_from_the_credentials_file_as_a_list(tmp_path: Path):
    config = tmp_path / "credentials.toml"
    config.write_text('[autotask]\nusername = "u@msp.example"\nsecret = "abc-Zz9"\nintegration_code = "code-Pp1"\n'
                      'base_url = "https://proxy.example/autotask"\n'
                      'zone_origins = ["https://proxy.example", "http://127.0.0.1:8080"]\n', encoding="utf-8")
    config.chmod(0o600)
    credentials = load_autotask_credentials({"MSP_CSAT_CREDENTIALS": str(config)})
    assert credentials.zone_origins == ("https://proxy.example:443", "http://127.0.0.1:8080")
    check_zone_url("https://proxy.example/atservicesrest/", credentials.zone_origins)
    check_zone_url("http://127.0.0.1:8080/atservicesrest/", credentials.zone_origins)
    with pytest.raises(AutotaskError, match=r"127\.0\.0\.1:8081"):
        check_zone_url("http://127.0.0.1:8081/atservicesrest/", credentials.zone_origins)
