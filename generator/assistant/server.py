"""The Model Context Protocol server of ``gen-measures mcp`` (the official ``mcp`` SDK's MCPServer).

Tools call the :class:`~generator.assistant.analyst.Analyst` of the server's identity; a ToolError becomes the tool's
error text (one sentence), and at most ``max_calls`` calls run at once (more are refused, not queued). Over HTTP the
server listens on 127.0.0.1 only and every request needs ``Authorization: Bearer <token>``, checked by the SDK's
bearer-token middleware against the token given at start.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from generator.errors import ToolError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from generator.assistant.analyst import Analyst

INSTALL_HINT = "gen-measures mcp needs the optional package mcp: pip install 'msp-csat[mcp]'"
HOST = "127.0.0.1"
PATH = "/mcp"
MIN_TOKEN_LENGTH = 16

INSTRUCTIONS = """Answers about customer satisfaction (CSAT, SmileBack reviews and surveys, NPS) and Autotask tickets
of a managed service provider. Every number comes from a validated catalogue measure evaluated by an offline DAX
engine under the row-level security of the identity this server was started for. Pick measures with list_measures
and columns with list_dimensions, then call query_measures; never compute a percentage yourself."""

HOW_TO_ASK = """How to ask for CSAT figures with this server:
1. Find the measure: list_measures (or the catalogue resource). Use the catalogue's names, e.g. "CSAT - Happy %",
   "CSAT - Total Ratings", "SB - Survey Response Rate %", "Tickets - Closed". Never invent a formula.
2. Find the columns to group or filter by: list_dimensions (e.g. BI_Autotask_Companies[company_name],
   BI_Autotask_Resources[technician_name], BI_Autotask_Queues[queue_name], BI_Date[year_month]).
3. Ask query_measures(measures, group_by, filters, period, top_n, order). Periods: 2026, 2026Q1, 2026-03,
   2025-11..2026-04, last-month, last-quarter, last-year, last-6-months. Quote the formatted values ("rows") and
   say which period they cover; mention a slice flagged by "CSAT - Low Confidence" (too few responses).
4. For one client's situation (risk tier, trend, confidence) use explain_client; for the HTML report, report.
5. run_dax runs your own DAX query (EVALUATE …) for what the tools above cannot express.
Question: {question}"""


class _Token:
    """The SDK's TokenVerifier for one shared secret (compared in constant time)."""

    def __init__(self, token: str):
        self._token = token

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        if hmac.compare_digest(token.encode(), self._token.encode()):
            return AccessToken(token=token, client_id="gen-measures-mcp", scopes=[])
        return None


def import_mcp() -> None:
    """Check the ``mcp`` package is there; one sentence saying how to install it otherwise."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError:
        raise ToolError(INSTALL_HINT) from None


def _guarded(analyst: Analyst, calls: threading.BoundedSemaphore,
             work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    from mcp.server.mcpserver.exceptions import ToolError as McpToolError

    if not calls.acquire(blocking=False):
        raise McpToolError(f"the server is answering {analyst.limits.max_calls} calls already (its --max-calls); "
                           "try again when one has finished")
    try:
        return work()
    except ToolError as error:
        raise McpToolError(str(error)) from None
    finally:
        calls.release()


def build_server(analyst: Analyst, token: str | None = None, port: int | None = None) -> MCPServer:
    """The MCP server for ``analyst``; with ``token`` and ``port`` it accepts only requests bearing the token."""
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    from generator import __version__

    auth: dict[str, Any] = {}
    if token is not None:
        auth = {"token_verifier": _Token(token),
                "auth": AuthSettings(issuer_url=f"http://{HOST}:{port}", resource_server_url=None)}
    server: MCPServer = MCPServer("gen-measures", instructions=INSTRUCTIONS, version=__version__,
                                  log_level="WARNING", **auth)
    calls = threading.BoundedSemaphore(analyst.limits.max_calls)
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)

    def run(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return _guarded(analyst, calls, work)

    @server.tool(annotations=read_only)
    def list_measures(folder: Annotated[str | None, Field(description="Only this folder: CSAT, SmileBack, NPS, "
                                                          "Tickets or Clients.")] = None) -> dict[str, Any]:
        """The catalogue's measures: name, folder, description, format string, whether validated against the
        reference. Also tells the identity (role, user) every answer is computed for, and the limits."""
        return run(lambda: {**analyst.list_measures(folder), "identity": analyst.identity()})

    @server.tool(annotations=read_only)
    def describe_measure(name: Annotated[str, Field(description="A measure name, e.g. CSAT - Happy %.")]
                         ) -> dict[str, Any]:
        """One measure: folder, description, format string, its DAX, and whether it is validated."""
        return run(lambda: analyst.describe_measure(name))

    @server.tool(annotations=read_only)
    def list_dimensions() -> dict[str, Any]:
        """The columns query_measures can group and filter by (Table[Column]), with their type, how many members
        this identity sees and a few of them."""
        return run(analyst.list_dimensions)

    @server.tool(annotations=read_only)
    def query_measures(
        measures: Annotated[list[str], Field(description="Catalogue measure names, e.g. [\"CSAT - Happy %\"].")],
        group_by: Annotated[list[str] | None, Field(description="Columns, e.g. "
                                                    "[\"BI_Autotask_Companies[company_name]\"].")] = None,
        filters: Annotated[dict[str, list[str | int | bool]] | None, Field(
            description="Column → the values to keep, e.g. {\"BI_Autotask_Queues[queue_name]\": [\"Network\"]}.")
        ] = None,
        period: Annotated[str | None, Field(description="2026, 2026Q1, 2026-03, 2025-11..2026-04, last-month, "
                                            "last-quarter, last-year or last-N-months; none: all the data.")] = None,
        top_n: Annotated[int | None, Field(description="Only the N rows with the highest (order=desc) or lowest "
                                           "(asc) value of the first measure.")] = None,
        order: Annotated[str | None, Field(description="desc or asc: order rows by the first measure.")] = None,
    ) -> dict[str, Any]:
        """Evaluate catalogue measures by the group-by columns, filtered, over a period. Returns the rows with the
        values in each measure's format string ("rows"), the raw values ("values") and the DAX that ran."""
        return run(lambda: analyst.query_measures(measures, group_by or [], filters, period, top_n, order))

    @server.tool(annotations=read_only)
    def run_dax(query: Annotated[str, Field(description="A DAX query: EVALUATE … (optionally DEFINE first).")]
                ) -> dict[str, Any]:
        """Run a DAX query with the offline engine (read-only; rows and time bounded by the server's limits)."""
        return run(lambda: analyst.run_dax(query))

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    def report(period: Annotated[str | None, Field(description="The report's period (default: the six most "
                                                   "recent full months).")] = None) -> dict[str, Any]:
        """Write the CSAT sentiment report (one HTML page) for the period into the server's reports folder and
        return its path and headline figures."""
        return run(lambda: analyst.report(period))

    @server.tool(annotations=read_only)
    def explain_client(client: Annotated[str, Field(description="The client's company name.")],
                       period: Annotated[str | None, Field(description="Default: the six most recent months.")]
                       = None) -> dict[str, Any]:
        """The report's figures for one client: responses, Happy/Neutral/Unhappy %, low confidence, risk tier,
        gap to the portfolio and the target, trend, tickets closed and response rate."""
        return run(lambda: analyst.explain_client(client, period))

    @server.resource("csat://catalogue/measures.md", name="measure-catalogue", mime_type="text/markdown",
                     description="The measure catalogue: every measure with its folder, format and DAX.")
    def catalogue() -> str:
        return analyst.catalogue_markdown()

    @server.prompt(name="how-to-ask", description="How to ask this server for CSAT figures.")
    def how_to_ask(question: str) -> str:
        return HOW_TO_ASK.format(question=question)

    return server


def serve(analyst: Analyst, transport: str, port: int, token: str | None) -> None:
    """Run the server until it is stopped: on stdin/stdout, or over HTTP on 127.0.0.1:``port`` with ``token``."""
    if transport == "stdio":
        build_server(analyst).run("stdio")
        return
    build_server(analyst, token, port).run("streamable-http", host=HOST, port=port, streamable_http_path=PATH)


__all__ = ["HOST", "INSTALL_HINT", "MIN_TOKEN_LENGTH", "PATH", "build_server", "import_mcp", "serve"]
