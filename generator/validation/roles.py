"""``gen-measures validate --roles``: every measure under every role, for the users the data gives each role,
equals the pandas reference computed on that user's rows only; and no query shape leaks rows the user may
not see.

The engine evaluates as the user under the role (:class:`~generator.engine.run.Engine` with ``role`` and
``user``). The reference gets the BI_ tables filtered by :func:`generator.reference.security.visible_tables`, an
independent pandas implementation of the roles and of how Power BI carries them along relationships. Then the
ordinary comparison runs (:func:`generator.validation.validate`): a row the engine shows that the reference does
not have is a mismatch too.

The leak test runs query shapes an analyst could write — whole tables, ALL, REMOVEFILTERS, RELATED, group-bys on
the facts' own copies of names, a portfolio comparison — and checks every company (Client) or technician
(Technician) in their results against the user's mapping read straight from the data: a value outside it, or a
BLANK key (a row with a missing or unmatched key is invisible under a role), is a leak. Row counts of every table
must equal the reference's, and the portfolio (Happy % with the company filter removed) must be the user's own
visible data.

Users: per role, up to ``per_role`` of the users the data gives it (the mapping's client users, most companies
first; the technicians' e-mails), plus a user with no mapping (who must see nothing); all of them with
``all_users``. A role that does not depend on the user (Manager) is checked once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from generator.engine.errors import DaxEngineError
from generator.engine.model import EngineModel
from generator.engine.run import Engine
from generator.reference import Parameters, evaluate
from generator.reference.security import CLIENT_USERS, ROLES, role_users, visible_tables
from generator.validation.compare import Check, SpecReference, same_value, validate

UNMAPPED_USER = "unmapped.user@example.invalid"
ANY_USER = "any.user@example.invalid"
COMPANIES = "BI_Autotask_Companies"
RESOURCES = "BI_Autotask_Resources"
REVIEWS = "BI_SmileBack_Reviews"

# Query shapes of the leak test: (name, DAX). Output columns are named after the column they show.
LEAK_QUERIES: tuple[tuple[str, str], ...] = (
    ("companies table", "EVALUATE BI_Autotask_Companies"),
    ("ALL companies", "EVALUATE ALL ( BI_Autotask_Companies )"),
    ("technicians table", "EVALUATE BI_Autotask_Resources"),
    ("tickets table", 'EVALUATE SELECTCOLUMNS ( BI_Autotask_Tickets, "company_id", BI_Autotask_Tickets[company_id], '
                      '"assigned_resource_id", BI_Autotask_Tickets[assigned_resource_id] )'),
    ("reviews table", 'EVALUATE SELECTCOLUMNS ( BI_SmileBack_Reviews, "company_id", BI_SmileBack_Reviews[company_id], '
                      '"company_name", BI_SmileBack_Reviews[company_name], "resource_id", '
                      'BI_SmileBack_Reviews[resource_id], "technician_name", BI_SmileBack_Reviews[technician_name] )'),
    ("surveys table", 'EVALUATE SELECTCOLUMNS ( BI_SmileBack_Surveys, "company_id", BI_SmileBack_Surveys[company_id], '
                      '"resource_id", BI_SmileBack_Surveys[resource_id] )'),
    ("NPS table", 'EVALUATE SELECTCOLUMNS ( BI_SmileBack_NPS, "company_id", BI_SmileBack_NPS[company_id] )'),
    ("time entries through their ticket",
     'EVALUATE SELECTCOLUMNS ( BI_Autotask_TimeEntries, "company_id", RELATED ( BI_Autotask_Tickets[company_id] ), '
     '"assigned_resource_id", RELATED ( BI_Autotask_Tickets[assigned_resource_id] ) )'),
    ("REMOVEFILTERS on the facts",
     'EVALUATE CALCULATETABLE ( SELECTCOLUMNS ( BI_SmileBack_Reviews, "company_id", BI_SmileBack_Reviews[company_id], '
     '"resource_id", BI_SmileBack_Reviews[resource_id] ), REMOVEFILTERS () )'),
    ("measures by client with ALL and the portfolio",
     'EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_id], BI_Autotask_Companies[company_name], '
     '"Total", [CSAT - Total Ratings], "Everyone", CALCULATE ( [CSAT - Total Ratings], ALL ( BI_Autotask_Companies ) ),'
     ' "Portfolio", [CSAT - Happy % vs Portfolio], "Closed", [Tickets - Closed] )'),
    ("reviews grouped by their own company name",
     'EVALUATE SUMMARIZECOLUMNS ( BI_SmileBack_Reviews[company_name], "Total", [CSAT - Total Ratings] )'),
    ("measures by technician",
     'EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Resources[resource_id], BI_Autotask_Resources[technician_name], '
     '"Total", [CSAT - Total Ratings], "Closed", [Tickets - Closed] )'),
    ("client user mapping", "EVALUATE BI_Security_ClientUsers"),
)
# The tables whose visible row count is compared with the reference's.
COUNTED_TABLES = ("BI_Autotask_Companies", "BI_Autotask_Resources", "BI_Autotask_Queues", "BI_Autotask_Tickets",
                  "BI_Autotask_TimeEntries", "BI_SmileBack_Reviews", "BI_SmileBack_Surveys", "BI_SmileBack_NPS",
                  "BI_Security_ClientUsers", "BI_Date")
PORTFOLIO = ('EVALUATE ROW ( "Portfolio", CALCULATE ( [CSAT - Happy %], REMOVEFILTERS ( BI_Autotask_Companies ), '
             'REMOVEFILTERS ( BI_SmileBack_Reviews[company_id] ), REMOVEFILTERS ( BI_SmileBack_Reviews[company_name] '
             ') ) )')


@dataclass(frozen=True)
class Leak:
    """A query shape that showed a user something outside what the role allows."""

    role: str
    user: str
    query: str
    detail: str


@dataclass
class UserRun:
    """One user under one role: the measure checks and the leaks found."""

    role: str
    user: str
    checks: int = 0
    mismatches: list[Check] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)


@dataclass
class RoleSummary:
    """Per role: how many users the data gives it and which were checked."""

    role: str
    available: int
    users: list[str]


@dataclass
class RolesValidation:
    """Every user run of ``validate --roles``."""

    runs: list[UserRun]
    roles: list[RoleSummary]
    errors: list[str] = field(default_factory=list)
    unverified: dict[str, str] = field(default_factory=dict)  # measure → why no reference checks it

    @property
    def mismatches(self) -> list[tuple[UserRun, Check]]:
        """Every failed measure check with its run."""
        return [(run, check) for run in self.runs for check in run.mismatches]

    @property
    def leaks(self) -> list[Leak]:
        """Every leak found."""
        return [leak for run in self.runs for leak in run.leaks]

    @property
    def checks(self) -> int:
        """Measure checks plus leak-test queries run."""
        return sum(run.checks for run in self.runs)

    @property
    def passed(self) -> bool:
        """True when nothing failed."""
        return not self.mismatches and not self.leaks and not self.errors


def sample_users(tables: Mapping[str, pd.DataFrame], role: str, per_role: int | None) -> tuple[list[str], int]:
    """The users to check for ``role`` (None: all) and how many the data gives it; an unmapped user is added to
    the roles that depend on the user, a placeholder user is the only one of a role that does not."""
    rule = ROLES.get(role)
    if rule is None or not rule.per_user:
        return [ANY_USER], 0
    users = role_users(tables, role)
    chosen = users if per_role is None else users[:per_role]
    return [*chosen, UNMAPPED_USER], len(users)


def _allowed(tables: Mapping[str, pd.DataFrame], role: str, user: str) -> dict[str, set[Any]]:
    """What the user may see in the guarded columns, read straight from the data (short column name → values)."""
    folded = user.casefold()
    if role == "Client":
        mapping = tables[CLIENT_USERS]
        ids = set(pd.to_numeric(mapping.loc[mapping["user_principal_name"].astype(str).str.casefold() == folded,
                                            "company_id"]).astype("int64"))
        companies, reviews = tables[COMPANIES], tables[REVIEWS]
        names = set(companies.loc[companies["company_id"].isin(ids), "company_name"])
        names |= set(reviews.loc[reviews["company_id"].isin(ids), "company_name"])
        return {"company_id": ids, "company_name": names}
    if role == "Technician":
        resources, reviews = tables[RESOURCES], tables[REVIEWS]
        mine = resources["email"].astype(object).map(lambda v: isinstance(v, str) and v.casefold() == folded)
        ids = set(pd.to_numeric(resources.loc[mine.astype(bool), "resource_id"]).astype("int64"))
        names = set(resources.loc[resources["resource_id"].isin(ids), "technician_name"])
        names |= set(reviews.loc[reviews["resource_id"].isin(ids), "technician_name"])
        return {"resource_id": ids, "assigned_resource_id": ids, "technician_name": names}
    return {}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return int(value)
    return value


def leak_test(engine: Engine, tables: Mapping[str, pd.DataFrame], visible: Mapping[str, pd.DataFrame], role: str,
              user: str, parameters: Parameters) -> tuple[int, list[Leak]]:
    """Run the leak-test query shapes as ``user``; returns (queries run, leaks)."""
    allowed = _allowed(tables, role, user)
    leaks: list[Leak] = []
    runs = 0
    for name, query in LEAK_QUERIES:
        runs += 1
        try:
            result = engine.query(query)[0]
        except DaxEngineError as error:
            leaks.append(Leak(role, user, name, f"the query failed: {error}"))
            continue
        for index, column in enumerate(result.columns):
            short = column[column.index("[") + 1:-1]
            if short not in allowed:
                continue
            outside = sorted({_plain(row[index]) for row in result.rows} - allowed[short], key=str)
            if outside:
                shown = ", ".join("BLANK" if v is None else str(v) for v in outside[:5])
                leaks.append(Leak(role, user, name, f"{column} shows {shown}, outside the user's mapping"))
        if name == "client user mapping" and len(result.rows) != len(visible[CLIENT_USERS]):
            leaks.append(Leak(role, user, name, f"{len(result.rows)} mapping rows visible, the reference allows "
                                                f"{len(visible[CLIENT_USERS])}"))
    runs += 1
    counts = engine.query("EVALUATE ROW ( " + ", ".join(f'"{t}", COUNTROWS ( {t} )' for t in COUNTED_TABLES)
                          + " )")[0].rows[0]
    for table, count in zip(COUNTED_TABLES, counts, strict=True):
        expected = len(visible[table]) or None
        if count != expected:
            leaks.append(Leak(role, user, "row counts", f"{table}: the engine shows {count} rows, the reference "
                                                        f"{expected}"))
    runs += 1
    portfolio = engine.query(PORTFOLIO)[0].rows[0][0]
    expected = evaluate("CSAT - Happy %", visible, "total", parameters).iloc[0]
    if not same_value(portfolio, expected):
        leaks.append(Leak(role, user, "portfolio", f"Happy % without the company filter is {portfolio}, the "
                                                   f"user's own visible data gives {expected}"))
    return runs, leaks


def validate_roles(model: EngineModel, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, pd.DataFrame],
                   measures: Sequence[str], parameters: Parameters, slices: Sequence[str],
                   roles: Sequence[str] | None = None, per_role: int | None = 2,
                   progress: Callable[[str], None] | None = None,
                   reference: SpecReference | None = None) -> RolesValidation:
    """Validate ``measures`` on ``slices`` for every role of ``model`` (or ``roles``) and its sampled users;
    ``reference``: the spec interpreter for the measures without a hand-written reference."""
    chosen = [r for r in model.roles if roles is None or r.name.lower() in {n.lower() for n in roles}]
    result = RolesValidation([], [])
    for role in chosen:
        if role.name not in ROLES:
            result.errors.append(f"role '{role.name}' has no reference rule (generator/reference/security.py), "
                                 "so what it shows cannot be checked")
            continue
        users, available = sample_users(tables, role.name, per_role)
        result.roles.append(RoleSummary(role.name, available, users))
        for user in users:
            if progress:
                progress(f"role {role.name}, user {user}")
            engine = Engine(model, connection, role=role.name, user=user)
            visible = visible_tables(tables, role.name, user)
            run = UserRun(role.name, user)
            validation = validate(engine, visible, measures, parameters, slices, reference=reference)
            result.unverified.update(validation.unverified)
            run.checks = len(validation.checks)
            run.mismatches = validation.mismatches
            queries, run.leaks = leak_test(engine, tables, visible, role.name, user, parameters)
            run.checks += queries
            result.runs.append(run)
    return result


def roles_report(result: RolesValidation) -> str:
    """The text ``validate --roles`` prints: per role the users checked, then every mismatch and leak."""
    lines = []
    for summary in result.roles:
        runs = [r for r in result.runs if r.role == summary.role]
        sampled = (f"{len(summary.users) - 1} of {summary.available} users and one with no mapping"
                   if summary.available or summary.users[-1] == UNMAPPED_USER else "one user (the role does not "
                                                                                    "depend on the user)")
        lines.append(f"role {summary.role}: {sampled}: {sum(r.checks for r in runs):,} checks, "
                     f"{sum(len(r.mismatches) for r in runs):,} mismatches, {sum(len(r.leaks) for r in runs):,} "
                     "leaks")
    for run, check in result.mismatches[:50]:
        lines.append(f"  mismatch  {run.role} / {run.user}: {check.measure} on {check.slice} {check.key}: engine "
                     f"{check.engine!r}, reference {check.reference!r}" + (f" ({check.error})" if check.error else ""))
    if len(result.mismatches) > 50:
        lines.append(f"  … and {len(result.mismatches) - 50:,} more mismatches")
    for leak in result.leaks:
        lines.append(f"  LEAK  {leak.role} / {leak.user}: {leak.query}: {leak.detail}")
    lines += [f"  error  {error}" for error in result.errors]
    return "\n".join(lines)


def roles_json(result: RolesValidation) -> dict[str, Any]:
    """The run as JSON-ready data."""
    return {
        "passed": result.passed,
        "checks": result.checks,
        "roles": [{"role": s.role, "users_available": s.available, "users_checked": s.users} for s in result.roles],
        "mismatches": [{"role": run.role, "user": run.user, "measure": c.measure, "slice": c.slice, "row": c.key,
                        "engine": _jsonable(c.engine), "reference": _jsonable(c.reference), "note": c.error}
                       for run, c in result.mismatches],
        "leaks": [{"role": leak.role, "user": leak.user, "query": leak.query, "detail": leak.detail}
                  for leak in result.leaks],
        "errors": result.errors,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def run_roles(model: EngineModel, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, pd.DataFrame],
              measures: Sequence[str], parameters: Parameters, slices: Sequence[str], roles: Sequence[str] | None,
              per_role: int | None, as_json: bool, progress: Callable[[str], None] | None = None,
              reference: SpecReference | None = None, require_reference: bool = False) -> tuple[str, bool]:
    """``validate --roles``: the report (text or JSON) and whether everything passed (an unverified measure fails
    with ``require_reference``); ToolError for an unknown role."""
    import json

    from generator.errors import ToolError

    known = {role.name.lower() for role in model.roles}
    for name in roles or ():
        if name.lower() not in known:
            raise ToolError(f"unknown role {name!r}; the model's roles: {', '.join(r.name for r in model.roles)}")
    if not model.roles:
        raise ToolError("the model has no roles (declare them under roles: in model/*.yaml)")
    result = validate_roles(model, connection, tables, measures, parameters, slices, roles, per_role, progress,
                            reference)
    passed = result.passed and not (require_reference and result.unverified)
    if as_json:
        return json.dumps({**roles_json(result), "passed": passed, "unverified": result.unverified}, indent=2), passed
    users = sum(len(s.users) for s in result.roles)
    summary = (f"{result.checks:,} checks ({len(measures)} measures x {len(slices)} slices and "
               f"{len(LEAK_QUERIES) + 2} leak-test queries, {users} users in {len(result.roles)} roles): "
               f"{len(result.mismatches):,} mismatches, {len(result.leaks):,} leaks"
               + (f", {len(result.unverified)} unverified ({', '.join(result.unverified)})"
                  if result.unverified else ""))
    return roles_report(result) + "\n" + summary, passed
