"""Credentials from the environment or a TOML file, and secrets never shown in messages, logs or output."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from generator.sources.autotask_api import AutotaskApiExtractor, AutotaskError, ThresholdPolicy
from generator.sources.credentials import (
    CredentialsError,
    credentials_path,
    load_autotask_credentials,
    load_smileback_credentials,
)
from generator.sources.smileback_api import SmileBackApiExtractor
from tests.fakeapi.autotask import AutotaskServer
from tests.fakeapi.dataset import synthetic
from tests.fakeapi.faults import Fault, FaultScript
from tests.fakeapi.harness import collect, fast_client

AUTOTASK_ENV = {"AUTOTASK_USERNAME": "api@msp.example", "AUTOTASK_SECRET": "s3cr3t-value-Ab9",
                "AUTOTASK_INTEGRATION_CODE": "TRACKING-ID-Qx7"}
SMILEBACK_ENV = {"SMILEBACK_USERNAME": "reports@msp.example", "SMILEBACK_PASSWORD": "pw-value-Lm4",
                 "SMILEBACK_CLIENT_ID": "client-1", "SMILEBACK_CLIENT_SECRET": "client-secret-Uv2"}


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_credentials_from_environment_variables_hide_their_secrets():
    at = load_autotask_credentials({**AUTOTASK_ENV, "AUTOTASK_BASE_URL": "http://127.0.0.1:9/"})
    sb = load_smileback_credentials(SMILEBACK_ENV)
    assert at.username == "api@msp.example" and at.secret.reveal() == "s3cr3t-value-Ab9"
    assert at.integration_code.reveal() == "TRACKING-ID-Qx7" and at.base_url == "http://127.0.0.1:9"
    assert sb.base_url == "https://app.smileback.io" and sb.password.reveal() == "pw-value-Lm4"
    shown = " ".join([repr(at), str(at), repr(sb), str(sb), repr(at.secret), str(sb.client_secret), f"{at!r}"])
    for secret in ("s3cr3t-value-Ab9", "TRACKING-ID-Qx7", "pw-value-Lm4", "client-secret-Uv2"):
        assert secret not in shown
    assert "api@msp.example" in repr(at) and repr(at.secret) == "Secret('***')"


def test_credentials_from_the_config_file_with_the_environment_taking_precedence(tmp_path: Path):
    config = write_config(tmp_path / "credentials.toml", """
[autotask]
username = "file-user@msp.example"
secret = "file-secret"
integration_code = "file-code"
base_url = "https://proxy.example/autotask"

[smileback]
username = "sb-file"
password = "sb-file-pw"
client_id = "sb-file-client"
client_secret = "sb-file-client-secret"
""")
    env = {"MSP_CSAT_CREDENTIALS": str(config), "AUTOTASK_SECRET": "env-secret"}
    at = load_autotask_credentials(env)
    assert (at.username, at.secret.reveal(), at.integration_code.reveal(), at.base_url) == (
        "file-user@msp.example", "env-secret", "file-code", "https://proxy.example/autotask")
    assert load_smileback_credentials(env).client_secret.reveal() == "sb-file-client-secret"


def test_the_default_config_file_lives_under_the_user_config_folder(tmp_path: Path):
    folder = tmp_path / "xdg" / "msp-csat"
    folder.mkdir(parents=True)
    write_config(folder / "credentials.toml", '[smileback]\nusername = "u"\npassword = "p"\nclient_id = "c"\n'
                                              'client_secret = "s"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert credentials_path(env) == folder / "credentials.toml"
    assert load_smileback_credentials(env).username == "u"
    assert credentials_path({"HOME": os.environ.get("HOME", "/root")}).parts[-3:] == (".config", "msp-csat",
                                                                                     "credentials.toml")


def test_missing_values_give_one_error_naming_every_missing_variable(tmp_path: Path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "AUTOTASK_USERNAME": "api@msp.example"}
    with pytest.raises(CredentialsError) as caught:
        load_autotask_credentials(env)
    assert str(caught.value) == (
        "Autotask credentials are missing: set AUTOTASK_SECRET and AUTOTASK_INTEGRATION_CODE in the environment, "
        f"or secret, integration_code under [autotask] in {tmp_path / 'msp-csat' / 'credentials.toml'}.")
    with pytest.raises(CredentialsError, match="SMILEBACK_USERNAME and SMILEBACK_PASSWORD and SMILEBACK_CLIENT_ID "
                                               "and SMILEBACK_CLIENT_SECRET"):
        SmileBackApiExtractor.from_environment({"XDG_CONFIG_HOME": str(tmp_path)})


def test_a_broken_or_missing_config_file_is_named(tmp_path: Path):
    broken = write_config(tmp_path / "broken.toml", '[autotask]\nusername = "unterminated\n')
    with pytest.raises(CredentialsError, match=rf"{broken}: not valid TOML \(.*line 2"):
        load_autotask_credentials({"MSP_CSAT_CREDENTIALS": str(broken)})
    with pytest.raises(CredentialsError, match="does not exist"):
        load_autotask_credentials({"MSP_CSAT_CREDENTIALS": str(tmp_path / "nowhere.toml")})
    with pytest.raises(CredentialsError, match="AUTOTASK_BASE_URL must be an http:// or https:// URL"):
        load_autotask_credentials({**AUTOTASK_ENV, "AUTOTASK_BASE_URL": "webservices.autotask.net"})


def test_a_config_file_readable_by_others_is_warned_about(tmp_path: Path, caplog):
    config = write_config(tmp_path / "c.toml", '[autotask]\nusername = "u"\nsecret = "s"\nintegration_code = "i"\n')
    config.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_autotask_credentials({"MSP_CSAT_CREDENTIALS": str(config)})
    assert "is readable by other users; restrict it with: chmod 600" in caplog.text


def test_secrets_never_reach_logs_stdout_or_stderr(tmp_path: Path, caplog, capfd):
    from tests.fakeapi.smileback import SmileBackServer

    data = synthetic(seed=2, size=700)
    at_faults = (FaultScript().on("Tickets/query", 1, fault=Fault.status(503))
                 .on("Tickets/query/next", 1, fault=Fault.unauthorized())
                 .on("zone", 2, fault=Fault.drop()))
    sb_faults = (FaultScript().on("reviews", 2, fault=Fault.expire_token()).on("reviews", 3, fault=Fault.status(429))
                 .on("token", 1, fault=Fault.status(503)))
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG), AutotaskServer(data, faults=at_faults, usage=[9_000]) as at, \
            SmileBackServer(data, faults=sb_faults) as sb:
        ax = AutotaskApiExtractor.from_environment(at.env(), http=fast_client(),
                                                   threshold=ThresholdPolicy(slow_delay=0.001))
        for entity in ax.entities():
            collect(ax, entity)
        sx = SmileBackApiExtractor.from_environment(sb.env(), http=fast_client(), page_size=100,
                                                    requests_per_minute=None)
        for entity in sx.entities():
            collect(sx, entity)
        bad = AutotaskApiExtractor.from_environment({**at.env(), "AUTOTASK_INTEGRATION_CODE": "WRONG-Code-Pp0"},
                                                    http=fast_client())
        with pytest.raises(AutotaskError) as caught:
            collect(bad, "Companies")
        errors.append(str(caught.value))
        secrets = [at.secret, at.integration_code, "WRONG-Code-Pp0", sb.password, sb.client_secret,
                   *sorted(sb.tokens), *sorted(sb.refresh_tokens)]
    out, err = capfd.readouterr()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Autotask API usage is at 90%" in logged and "retry 1 of 3" in logged  # the logs did say things
    assert len(caplog.records) > 20
    for secret in secrets:
        for where, text in (("logs", logged), ("stdout", out), ("stderr", err), ("error", " ".join(errors))):
            assert secret not in text, f"a secret appeared in {where}"
