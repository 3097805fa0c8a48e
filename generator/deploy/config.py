"""The deploy config file (``deploy.yaml``): which workspace and which Server/Database each environment gets.

::

    parameters:                 # optional: the model's M parameters that server and database replace
      server: Server
      database: Database
    environments:
      dev:
        workspace_id: 0f6b…     # optional when --workspace-id is given
        server: dev-sql.example.com
        database: msp_csat_dev
      prod:
        workspace_id: 5c1e…
        server: sql.example.com
        database: msp_csat

``server`` may be left out only for a model built with ``--connection duckdb-odbc``, whose one parameter is the
DuckDB file's path (``database``). The file is read with the specs' YAML loader
(:func:`generator.spec.yamlsrc.load_yaml`: no aliases, no duplicate keys, no control characters) and every problem
is reported as ``file:line: sentence`` before anything is sent.
Secrets never belong here: the service principal comes from environment variables.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from generator.deploy.errors import DeployError
from generator.errors import SpecError, SpecProblem
from generator.spec.yamlsrc import SpecMap, load_yaml

ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")
MAX_VALUE = 400  # characters of a server or database name
_TOP_KEYS = ("parameters", "environments")
_PARAMETER_KEYS = ("server", "database")
_ENVIRONMENT_KEYS = ("workspace_id", "server", "database")


@dataclass(frozen=True)
class Environment:
    """One target: its name, workspace (``None`` when only ``--workspace-id`` gives it) and connection values."""

    name: str
    workspace_id: str | None
    server: str | None  # None: the model has no server (a duckdb-odbc model's only parameter is the file path)
    database: str


@dataclass(frozen=True)
class DeployConfig:
    """The whole file: environments by name and the names of the M parameters the values replace."""

    file: str
    environments: dict[str, Environment]
    server_parameter: str = "Server"
    database_parameter: str = "Database"

    def environment(self, name: str) -> Environment:
        """The environment called ``name``; an unknown name stops with the names the file has."""
        if name not in self.environments:
            raise DeployError(f"{self.file} has no environment {name!r} (it has: {', '.join(self.environments)})")
        return self.environments[name]


def workspace_guid(value: str) -> str | None:
    """``value`` as a lower-case GUID, or ``None`` when it is not one."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def load_config(path: Path) -> DeployConfig:
    """Read and validate ``path``; raise :class:`SpecError` listing every problem with its line."""
    if not path.is_file():
        raise DeployError(f"the deploy config {path} does not exist; write one (see docs/deployment.md) or "
                          "pass --config FILE")
    name = str(path)
    data = load_yaml(path, name)
    problems: list[SpecProblem] = []
    if not isinstance(data, SpecMap):
        raise SpecError([SpecProblem(name, 1, "the deploy config must be a mapping with an environments: key")])
    _unknown_keys(data, _TOP_KEYS, "the deploy config", problems)
    server_parameter, database_parameter = _parameter_names(data, problems)
    environments = _environments(data, problems)
    if problems:
        raise SpecError(problems)
    return DeployConfig(name, environments, server_parameter, database_parameter)


def _unknown_keys(mapping: SpecMap, allowed: tuple[str, ...], where: str, problems: list[SpecProblem]) -> None:
    for key in mapping:
        if key not in allowed:
            problems.append(SpecProblem(mapping.file, mapping.line_of(key),
                                        f"unknown key {key!r} in {where} (allowed: {', '.join(allowed)})"))


def _text(mapping: SpecMap, key: str, where: str, problems: list[SpecProblem], required: bool = True,
          line_if_missing: int | None = None) -> str | None:
    """The one-line text value of ``key``, or ``None`` after recording why it cannot be used."""
    if key not in mapping:
        if required:
            problems.append(SpecProblem(mapping.file, line_if_missing or mapping.line, f"{where} needs {key}:"))
        return None
    value = mapping[key]
    line = mapping.line_of(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(SpecProblem(mapping.file, line, f"{key} of {where} must be non-empty text"))
        return None
    if any(ch in value for ch in "\t\r\n") or len(value) > MAX_VALUE:
        problems.append(SpecProblem(mapping.file, line, f"{key} of {where} must be one line of at most "
                                                        f"{MAX_VALUE} characters"))
        return None
    return value


def _parameter_names(data: SpecMap, problems: list[SpecProblem]) -> tuple[str, str]:
    names = {"server": "Server", "database": "Database"}
    block = data.get("parameters")
    if block is None:
        return names["server"], names["database"]
    if not isinstance(block, SpecMap):
        problems.append(SpecProblem(data.file, data.line_of("parameters"), "parameters: must be a mapping of "
                                                                           "server/database to M parameter names"))
        return names["server"], names["database"]
    _unknown_keys(block, _PARAMETER_KEYS, "parameters:", problems)
    for key in _PARAMETER_KEYS:
        value = _text(block, key, "parameters:", problems, required=False)
        if value is not None:
            if "'" in value or '"' in value:
                problems.append(SpecProblem(block.file, block.line_of(key), f"the M parameter name of {key} may "
                                                                            "not hold quotes"))
            else:
                names[key] = value
    return names["server"], names["database"]


def _environments(data: SpecMap, problems: list[SpecProblem]) -> dict[str, Environment]:
    block = data.get("environments")
    if not isinstance(block, SpecMap) or not block:
        problems.append(SpecProblem(data.file, data.line_of("environments"),
                                    "environments: must map at least one environment name (dev, test, prod …) to "
                                    "its workspace_id, server and database"))
        return {}
    environments: dict[str, Environment] = {}
    for env_name, entry in block.items():
        line = block.line_of(env_name)
        if not ENVIRONMENT_NAME.fullmatch(env_name):
            problems.append(SpecProblem(block.file, line, f"environment name {env_name!r} must be 1-50 letters, "
                                                          "digits, '-' or '_'"))
            continue
        if not isinstance(entry, SpecMap):
            problems.append(SpecProblem(block.file, line, f"environment {env_name!r} must be a mapping with "
                                                          "workspace_id, server and database"))
            continue
        where = f"environment {env_name!r}"
        _unknown_keys(entry, _ENVIRONMENT_KEYS, where, problems)
        workspace = _text(entry, "workspace_id", where, problems, required=False)
        if workspace is not None and workspace_guid(workspace) is None:
            problems.append(SpecProblem(entry.file, entry.line_of("workspace_id"), f"workspace_id of {where} must "
                                        "be the workspace's GUID (the part after /groups/ in its URL)"))
            workspace = None
        server = _text(entry, "server", where, problems, required=False)
        database = _text(entry, "database", where, problems, line_if_missing=line)
        for key, value in (("server", server), ("database", database)):
            if value and value.startswith("$"):
                problems.append(SpecProblem(entry.file, entry.line_of(key), f"{key} of {where} may not start with "
                                            "'$' (fabric-cicd reads such values as variables)"))
        server_ok = "server" not in entry or server is not None
        if database and server_ok:
            environments[env_name] = Environment(env_name, workspace_guid(workspace) if workspace else None,
                                                 server, database)
    return environments
