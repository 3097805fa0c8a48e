"""Publishing the semantic models and reports with fabric-cicd, its failures turned into one sentence."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from generator.deploy.auth import SignIn
from generator.deploy.errors import DeployError
from generator.deploy.library import import_fabric_cicd, route_logs, unroute_logs
from generator.deploy.project import SEMANTIC_MODEL, Project, Replacement, parameter_file
from generator.sources.redaction import redact

_HINTS = (
    ("not authorized", "give the identity the Contributor (or higher) role on the workspace, and allow service "
                       "principals to use Fabric APIs in the tenant's admin settings"),
    ("Maximum execution duration", "the service kept the request waiting (throttled or busy); run deploy again "
                                   "later"),
)


def publish(project: Project, plan: list[Replacement], environment: str, workspace_id: str, signin: SignIn,
            progress: Callable[[str], None]) -> dict[str, str]:
    """Publish every model, then every report, of ``project`` to the workspace with the parameters of ``plan``;
    return each semantic model's item id by name."""
    fabric_cicd = import_fabric_cicd()
    handler = route_logs(progress, signin.secrets)
    try:
        with tempfile.TemporaryDirectory(prefix="gen-measures-deploy-") as folder:
            parameters = Path(folder, "parameter.yml")
            parameters.write_text(yaml.safe_dump(parameter_file(plan, environment), sort_keys=False),
                                  encoding="utf-8")
            try:
                workspace = fabric_cicd.FabricWorkspace(
                    workspace_id=workspace_id, repository_directory=str(project.root.resolve()),
                    item_type_in_scope=project.item_types, environment=environment,
                    token_credential=signin.credential, parameter_file_path=str(parameters))
                fabric_cicd.publish_all_items(workspace)
            except Exception as exc:  # fabric-cicd raises plain Exception subclasses with the service's message
                raise DeployError(_sentence(exc, workspace_id, handler.published, signin.secrets)) from None
        return {model.name: workspace.repository_items[SEMANTIC_MODEL][model.name].guid for model in project.models}
    finally:
        unroute_logs(handler)


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)  # fabric-cicd's PublishError lists (item name, exception) pairs
    if errors:
        name, inner = errors[0]
        return f"{name}: {_reason(inner)}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _sentence(exc: Exception, workspace_id: str, published: list[str], secrets: list[str]) -> str:
    reason = redact(_reason(exc), secrets).rstrip(".")
    hint = next((f"; {text}" for needle, text in _HINTS if needle in reason), "")
    done = (f"; already published: {', '.join(published)}" if published
            else "; nothing was published")
    return f"publishing to workspace {workspace_id} failed: {reason}{hint}{done}"
