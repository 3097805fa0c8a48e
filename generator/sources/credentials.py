"""API credentials from environment variables or a TOML file outside the repository.

Each value comes from its environment variable first, else from the config file: the path in
``MSP_CSAT_CREDENTIALS``, else ``$XDG_CONFIG_HOME/msp-csat/credentials.toml`` (``~/.config/...``)::

    [autotask]
    username = "api-user@example.com"      # AUTOTASK_USERNAME
    secret = "..."                         # AUTOTASK_SECRET
    integration_code = "..."               # AUTOTASK_INTEGRATION_CODE
    base_url = "https://webservices.autotask.net"   # AUTOTASK_BASE_URL (optional)
    zone_origins = "http://127.0.0.1:8080"          # AUTOTASK_ZONE_ORIGINS (optional, see below)

    [smileback]
    username = "..."        # SMILEBACK_USERNAME
    password = "..."        # SMILEBACK_PASSWORD
    client_id = "..."       # SMILEBACK_CLIENT_ID
    client_secret = "..."   # SMILEBACK_CLIENT_SECRET
    base_url = "https://app.smileback.io"           # SMILEBACK_BASE_URL (optional)

Zone discovery may only send the Autotask credentials to an https URL on an ``autotask.net`` host (the zones
are ``https://webservicesN.autotask.net/atservicesrest/``). ``AUTOTASK_ZONE_ORIGINS`` is the explicit override
for a test server or a proxy: a comma-separated list of origins (``scheme://host[:port]``) also trusted as zones.

A value containing a line break or another control character is refused (naming the variable, never the
value): it would inject headers into the request.

Secrets are held in :class:`Secret`, whose ``repr``/``str`` never show the value; the credential objects'
``repr`` shows only the user name and base URL.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ToolError
from generator.sources.http import redact_url

log = logging.getLogger(__name__)

AUTOTASK_DISCOVERY_URL = "https://webservices.autotask.net"
SMILEBACK_URL = "https://app.smileback.io"


class CredentialsError(ToolError):
    """Credentials are missing or the credentials file cannot be read."""


class Secret:
    """A secret string: ``str()``/``repr()`` show ``'***'``; :meth:`reveal` gives the value to send."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for a request header or body only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class AutotaskCredentials:
    """API user name, secret and tracking identifier (integration code); ``base_url`` is the zone-discovery host."""

    username: str
    secret: Secret = field(repr=False)
    integration_code: Secret = field(repr=False)
    base_url: str = AUTOTASK_DISCOVERY_URL
    zone_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmileBackCredentials:
    """OAuth2 password-grant credentials; ``base_url`` is the SmileBack API host."""

    username: str
    password: Secret = field(repr=False)
    client_id: str
    client_secret: Secret = field(repr=False)
    base_url: str = SMILEBACK_URL


# (config key, environment variable, is secret)
_AUTOTASK_KEYS = [("username", "AUTOTASK_USERNAME", False), ("secret", "AUTOTASK_SECRET", True),
                  ("integration_code", "AUTOTASK_INTEGRATION_CODE", True)]
_SMILEBACK_KEYS = [("username", "SMILEBACK_USERNAME", False), ("password", "SMILEBACK_PASSWORD", True),
                   ("client_id", "SMILEBACK_CLIENT_ID", False), ("client_secret", "SMILEBACK_CLIENT_SECRET", True)]


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the credentials file is looked for (it need not exist)."""
    env = os.environ if environ is None else environ
    if env.get("MSP_CSAT_CREDENTIALS"):
        return Path(env["MSP_CSAT_CREDENTIALS"]).expanduser()
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return config_home / "msp-csat" / "credentials.toml"


def _read_section(path: Path, section: str, explicit: bool) -> dict[str, object]:
    if not path.is_file():
        if explicit:
            raise CredentialsError(f"{path}: the credentials file named by MSP_CSAT_CREDENTIALS does not exist.")
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s is readable by other users; restrict it with: chmod 600 %s", path, path)
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise CredentialsError(f"{path}: not valid TOML ({exc}).") from None
    except OSError as exc:
        raise CredentialsError(f"{path}: cannot be read ({exc.strerror}).") from None
    value = data.get(section, {})
    if not isinstance(value, dict):
        raise CredentialsError(f"{path}: [{section}] must be a table of keys.")
    return value


class _Settings:
    """One section's values: the environment variable first, else the key of the credentials file."""

    def __init__(self, section: str, environ: Mapping[str, str] | None):
        self.section = section
        self.env = os.environ if environ is None else environ
        self.path = credentials_path(self.env)
        self._file: dict[str, object] | None = None

    def get(self, key: str, variable: str) -> tuple[str, str]:
        """The value (``''`` when unset) and where it came from, for messages."""
        value = self.env.get(variable, "")
        if value:
            return value, variable
        if self._file is None:
            self._file = _read_section(self.path, self.section, bool(self.env.get("MSP_CSAT_CREDENTIALS")))
        raw = self._file.get(key, "")
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            raw = ",".join(raw)
        return (raw if isinstance(raw, str) else ""), f"{key} under [{self.section}] in {self.path}"


def _refuse_control_characters(value: str, where: str) -> None:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise CredentialsError(f"{where} contains a line break or another control character, which would "
                               "corrupt the request headers; the value was not used.")


def _collect(settings: _Settings, label: str, keys: list[tuple[str, str, bool]], base_env: str,
             default_base: str) -> tuple[dict[str, str], str]:
    values: dict[str, str] = {}
    missing: list[str] = []
    for key, variable, _secret in keys:
        value, where = settings.get(key, variable)
        value = value.strip()
        if not value:
            missing.append(variable)
        _refuse_control_characters(value, where)
        values[key] = value
    if missing:
        keys_text = ", ".join(key for key, variable, _ in keys if variable in missing)
        raise CredentialsError(
            f"{label} credentials are missing: set "
            f"{' and '.join(missing)} in the environment, or {keys_text} under [{settings.section}] in "
            f"{settings.path}.")
    base, where = settings.get("base_url", base_env)
    base = (base.strip() or default_base).rstrip("/")
    _refuse_control_characters(base, where)
    if not base.startswith(("https://", "http://")):
        raise CredentialsError(f"{base_env} must be an http:// or https:// URL, not {redact_url(base)!r}.")
    return values, base


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url`` in lower case, with the default port made explicit."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _zone_origins(settings: _Settings) -> tuple[str, ...]:
    text, where = settings.get("zone_origins", "AUTOTASK_ZONE_ORIGINS")
    origins = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        parts = urllib.parse.urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
            raise CredentialsError(f"{where} must list origins such as https://proxy.example:8443 (scheme, host "
                                   f"and port only), not {redact_url(item)!r}.")
        origins.append(origin_of(item))
    return tuple(origins)


def load_autotask_credentials(environ: Mapping[str, str] | None = None) -> AutotaskCredentials:
    """Autotask credentials from the environment (``AUTOTASK_*``) or the credentials file."""
    settings = _Settings("autotask", environ)
    values, base = _collect(settings, "Autotask", _AUTOTASK_KEYS, "AUTOTASK_BASE_URL", AUTOTASK_DISCOVERY_URL)
    return AutotaskCredentials(username=values["username"], secret=Secret(values["secret"]),
                               integration_code=Secret(values["integration_code"]), base_url=base,
                               zone_origins=_zone_origins(settings))


def load_smileback_credentials(environ: Mapping[str, str] | None = None) -> SmileBackCredentials:
    """SmileBack credentials from the environment (``SMILEBACK_*``) or the credentials file."""
    values, base = _collect(_Settings("smileback", environ), "SmileBack", _SMILEBACK_KEYS, "SMILEBACK_BASE_URL",
                            SMILEBACK_URL)
    return SmileBackCredentials(username=values["username"], password=Secret(values["password"]),
                                client_id=values["client_id"], client_secret=Secret(values["client_secret"]),
                                base_url=base)
