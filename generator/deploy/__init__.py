"""``gen-measures deploy``: publish the generated PBIP (semantic model and report) to a Power BI / Fabric workspace
with Microsoft's fabric-cicd, the Server/Database parameters set per environment, and optionally refresh it.

Everything that can be checked locally is checked before the first request: the config file (``file:line``
errors), the environment and workspace id, the PBIP items and the parameters to replace, the optional packages
and the sign-in. Then fabric-cicd publishes the models before the reports, and ``--refresh`` starts a dataset
refresh through the Power BI REST API and waits for its result. Failures are one sentence (exit 2) with every
secret and token replaced by ``***``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.deploy.auth import FABRIC_SCOPE, POWER_BI_SCOPE, SignIn, make_credential, quiet_azure_logs, sign_in
from generator.deploy.config import DeployConfig, Environment, load_config, workspace_guid
from generator.deploy.errors import DeployError
from generator.deploy.project import (
    EXPRESSIONS,
    Project,
    Replacement,
    declared_parameters,
    plan_replacements,
    read_project,
)
from generator.deploy.refresh import RefreshWait

__all__ = ["DeployError", "DeployOptions", "DeployResult", "deploy"]


@dataclass(frozen=True)
class DeployOptions:
    """What to deploy where (the CLI's options)."""

    environment: str
    config: Path = Path("deploy.yaml")
    out: Path = Path("powerbi")
    workspace_id: str | None = None
    refresh: bool = False
    refresh_timeout: float = 3600.0
    poll_seconds: float = 10.0
    auth: str = "auto"
    dry_run: bool = False


@dataclass
class DeployResult:
    """What was done: the workspace, the environment, each model's item id and the refresh statuses."""

    workspace_id: str
    environment: str
    items: list[str]
    model_ids: dict[str, str] = field(default_factory=dict)
    refreshed: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> str:
        """One line for stdout."""
        verb = "would publish" if self.dry_run else "published"
        text = f"{verb} {', '.join(self.items)} to workspace {self.workspace_id} ({self.environment})"
        if self.refreshed:
            text += "; refresh " + ", ".join(f"{name}: {status}" for name, status in self.refreshed.items())
        return text


def deploy(options: DeployOptions, progress: Callable[[str], None], credential: Any = None,
           environ: Mapping[str, str] | None = None) -> DeployResult:
    """Check everything, publish with fabric-cicd, refresh when asked. ``credential`` (anything with azure-core's
    ``get_token``) replaces the one ``options.auth`` chooses from ``environ`` (default: ``os.environ``)."""
    environment, workspace_id, project, plan = _prepare(options)
    items = [f"{item.kind} {item.name!r}" for item in (*project.models, *project.reports)]
    result = DeployResult(workspace_id, environment.name, items, dry_run=options.dry_run)
    if not options.dry_run:
        from generator.deploy.library import import_fabric_cicd

        import_fabric_cicd()
    for step in plan:
        progress(f"{step.model.name}: {step.parameter} {step.current!r} -> {step.new!r} ({environment.name})")
    if options.dry_run:
        return result
    with quiet_azure_logs():
        _publish_and_refresh(options, result, project, plan, credential, environ, progress)
    return result


def _publish_and_refresh(options: DeployOptions, result: DeployResult, project: Project, plan: list[Replacement],
                         credential: Any, environ: Mapping[str, str] | None, progress: Callable[[str], None]) -> None:
    from generator.deploy.publish import publish
    from generator.deploy.refresh import refresh

    signin = (SignIn(credential, "the given credential", []) if credential is not None
              else make_credential(options.auth, os.environ if environ is None else environ))
    sign_in(signin, [FABRIC_SCOPE] + ([POWER_BI_SCOPE] if options.refresh else []))
    progress(f"signed in with {signin.description}; publishing {', '.join(result.items)} to workspace "
             f"{result.workspace_id}")
    result.model_ids = publish(project, plan, result.environment, result.workspace_id, signin, progress)
    if options.refresh:
        for name, model_id in result.model_ids.items():
            wait = RefreshWait(timeout=options.refresh_timeout, poll_seconds=options.poll_seconds)
            result.refreshed[name] = refresh(signin, result.workspace_id, model_id, name, wait, progress)


def _prepare(options: DeployOptions) -> tuple[Environment, str, Project, list[Replacement]]:
    """Every local check, in the order a user fixes them."""
    if options.refresh_timeout <= 0 or options.poll_seconds < 0:
        raise DeployError("--refresh-timeout must be more than 0 seconds and --poll-seconds at least 0")
    config = load_config(options.config)
    environment = config.environment(options.environment)
    workspace_id = environment.workspace_id
    if options.workspace_id is not None:
        workspace_id = workspace_guid(options.workspace_id)
        if workspace_id is None:
            raise DeployError(f"--workspace-id {options.workspace_id!r} is not a GUID (the part after /groups/ in "
                              "the workspace's URL)")
    if workspace_id is None:
        raise DeployError(f"environment {environment.name!r} of {config.file} has no workspace_id; add one or pass "
                          "--workspace-id")
    project = read_project(options.out)
    values = {config.database_parameter: environment.database}
    if environment.server is not None:
        values[config.server_parameter] = environment.server
    else:
        _refuse_a_missing_server(project, config, environment)
    plan = plan_replacements(project, values)
    return environment, workspace_id, project, plan


def _refuse_a_missing_server(project: Project, config: DeployConfig, environment: Environment) -> None:
    """An environment without ``server:`` suits only models without that parameter (``--connection duckdb-odbc``):
    a model that has one would keep the value it was built with."""
    for model in project.models:
        expressions = model.folder / EXPRESSIONS
        text = expressions.read_text(encoding="utf-8-sig") if expressions.is_file() else ""
        if config.server_parameter in declared_parameters(text):
            raise DeployError(f"environment {environment.name!r} of {config.file} has no server:, but semantic model "
                              f"{model.name!r} has the M parameter {config.server_parameter!r}; add server: (only a "
                              "model built with --connection duckdb-odbc, whose one parameter is the file path, "
                              "needs none)")
