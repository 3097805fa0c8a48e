"""Signing in to Microsoft Entra ID with azure-identity.

``--auth auto`` (the default) uses a service principal when ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and
``AZURE_CLIENT_SECRET`` are set (all three, else the missing ones are named), otherwise azure-identity's
``DefaultAzureCredential`` (managed identity, workload identity, Azure CLI …, never a browser window);
``service-principal`` insists on the variables, ``azure-cli`` uses ``az login``. A token is asked for every
scope the deploy needs before the first request to the service, so a refused sign-in stops it with nothing sent.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from generator.deploy.errors import DeployError
from generator.sources.redaction import redact

SERVICE_PRINCIPAL_VARIABLES = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
AUTH_MODES = ("auto", "service-principal", "azure-cli")
FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"
POWER_BI_SCOPE = "https://analysis.windows.net/powerbi/api/.default"
# azure-identity and MSAL log a failed sign-in as a many-line warning (with the service's raw answer): Python's
# last-resort handler would print it unredacted, so these loggers are silenced while deploy runs.
_QUIET_LOGGERS = ("azure", "msal")


@dataclass
class SignIn:
    """A credential (anything with azure-core's ``get_token``), what it is in words, and the strings never shown."""

    credential: Any
    description: str
    secrets: list[str]
    hint: str = ""

    def remember(self, token: str) -> None:
        """Add an access token to the strings redacted from every message."""
        if token and token not in self.secrets:
            self.secrets.append(token)


def make_credential(mode: str, environ: Mapping[str, str] | None = None) -> SignIn:
    """The azure-identity credential for ``mode`` (see the module docstring)."""
    env = os.environ if environ is None else environ
    if mode not in AUTH_MODES:
        raise DeployError(f"--auth must be one of {', '.join(AUTH_MODES)}, not {mode!r}")
    from azure import identity

    present = [name for name in SERVICE_PRINCIPAL_VARIABLES if env.get(name, "").strip()]
    if mode == "azure-cli":
        return SignIn(identity.AzureCliCredential(), "the Azure CLI sign-in (az login)", [],
                  "; install the Azure CLI and run az login, or use a service principal")
    if present or mode == "service-principal":
        missing = [name for name in SERVICE_PRINCIPAL_VARIABLES if name not in present]
        if missing:
            raise DeployError(f"the service principal needs {', '.join(missing)} set as well as "
                              f"{', '.join(present) or 'the others'} (or unset them all to use another sign-in)")
        secret = env["AZURE_CLIENT_SECRET"].strip()
        credential = identity.ClientSecretCredential(env["AZURE_TENANT_ID"].strip(), env["AZURE_CLIENT_ID"].strip(),
                                                     secret)
        return SignIn(credential, f"the service principal {env['AZURE_CLIENT_ID'].strip()} (AZURE_CLIENT_ID)",
                      [secret])
    return SignIn(identity.DefaultAzureCredential(exclude_interactive_browser_credential=True),
                  "azure-identity's DefaultAzureCredential (no AZURE_CLIENT_SECRET set)", [],
                  "; set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or run "
                  "az login")


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error's text (azure-identity's messages run to many lines)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def sign_in(signin: SignIn, scopes: list[str]) -> None:
    """Ask for a token for every scope now; a refusal becomes one sentence naming the credential."""
    for scope in scopes:
        try:
            token = signin.credential.get_token(scope)
        except Exception as exc:  # azure-identity raises ClientAuthenticationError and CredentialUnavailableError
            reason = redact(first_line(exc), signin.secrets)
            raise DeployError(f"signing in to Microsoft Entra ID with {signin.description} for {scope} failed: "
                              f"{reason.rstrip('.')}{signin.hint}") from None
        signin.remember(getattr(token, "token", ""))


@contextlib.contextmanager
def quiet_azure_logs() -> Iterator[None]:
    """Silence azure-identity's and MSAL's own log lines (every failure reaches the user as our one sentence)."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
