"""Load the Client role's user mapping (``BI_Security_ClientUsers``) from CSV files: a complete snapshot.

A security mapping must be exact, so the files are the whole truth: a load makes the table equal to the rows
of the files (mappings missing from the files are deleted — that is how access is revoked), in one
transaction. Each row names a user principal name and a company, by id or by name. Rows that cannot be used
are rejected with file, line and reason and are not loaded: a blank or malformed user principal name, a
company that is not in ``BI_Autotask_Companies`` (load Autotask first) or is ambiguous by name, a repeated
mapping. Under ``--strict`` any rejection is fatal and nothing is written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlglot import exp

from generator.errors import DataError, ToolError
from generator.load.pipeline import refuse_demo
from generator.load.rejects import RejectLog
from generator.sources.base import Rejected
from generator.spec.model import Model
from generator.sqlschema.ddl import quoted_table
from generator.targets.database import Database

TABLE = "BI_Security_ClientUsers"
COMPANIES = "BI_Autotask_Companies"
UPN_HEADERS = ("user_principal_name", "user principal name", "upn", "user", "email", "user email")
COMPANY_ID_HEADERS = ("company_id", "company id", "account id", "autotask company id")
COMPANY_NAME_HEADERS = ("company_name", "company name", "company", "account name")


@dataclass
class ClientUsersResult:
    """What a mapping load read, changed and rejected."""

    read: int = 0
    inserted: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    first_rejections: list[Rejected] = field(default_factory=list)

    def render(self) -> str:
        """The summary printed after the load."""
        lines = [f"{TABLE}: read {self.read}, inserted {self.inserted}, deleted {self.deleted}, "
                 f"unchanged {self.unchanged}, rejected {self.rejected}"]
        for item in self.first_rejections:
            lines.append(f"  rejected {item.origin}:{item.line}: {item.reason}")
        if self.rejects_path is not None:
            lines.append(f"  all {self.rejected} rejected rows: {self.rejects_path}")
        return "\n".join(lines) + "\n"


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {name.lower() for name in names}
    return next((index for index, cell in enumerate(header) if cell.strip().lower() in wanted), None)


def _csv_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                raise ToolError(f"{path} holds no .csv file of client users")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ToolError(f"{path} does not exist")
    return files


def read_mapping(paths: list[Path], companies: pd.DataFrame) -> tuple[set[tuple[str, int]], list[Rejected], int]:
    """The (user principal name, company id) pairs of the files, the rejected rows and the rows read."""
    by_id = {int(value) for value in companies["company_id"]}
    by_name: dict[str, list[int]] = {}
    for company_id, name in zip(companies["company_id"], companies["company_name"], strict=True):
        by_name.setdefault(str(name).strip().lower(), []).append(int(company_id))
    pairs: dict[tuple[str, int], tuple[str, int]] = {}
    rejected: list[Rejected] = []
    read = 0
    for file in _csv_files(paths):
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    raise ToolError(f"{file} is empty; expected a header with a user principal name column and "
                                    "a company id or company name column")
                upn_at = _column(header, UPN_HEADERS)
                id_at = _column(header, COMPANY_ID_HEADERS)
                name_at = _column(header, COMPANY_NAME_HEADERS)
                if upn_at is None or (id_at is None and name_at is None):
                    raise ToolError(f"{file}:1: expected a user principal name column ({', '.join(UPN_HEADERS)}) "
                                    f"and a company column ({', '.join(COMPANY_ID_HEADERS + COMPANY_NAME_HEADERS)}); "
                                    f"found {', '.join(header)}")
                line = reader.line_num
                for row in reader:
                    start, line = line + 1, reader.line_num
                    if not any(cell.strip() for cell in row):
                        continue
                    read += 1
                    reason, pair = _pair(row, upn_at, id_at, name_at, by_id, by_name)
                    if reason is None and pair is not None:
                        key = (pair[0].lower(), pair[1])
                        if key in pairs:
                            first_file, first_line = pairs[key]
                            reason = f"repeats the mapping of {first_file}:{first_line}"
                        else:
                            pairs[key] = (str(file), start)
                            continue
                    rejected.append(Rejected(str(file), start, reason or "unusable row"))
        except UnicodeDecodeError:
            raise ToolError(f"{file} is not UTF-8 text") from None
        except csv.Error as error:
            raise ToolError(f"{file}: not readable as CSV ({error})") from None
    # Principal names compare case-insensitively (as DAX compares text); they are stored in lower case.
    return set(pairs), rejected, read


def _pair(row: list[str], upn_at: int, id_at: int | None, name_at: int | None, by_id: set[int],
          by_name: dict[str, list[int]]) -> tuple[str | None, tuple[str, int] | None]:
    def cell(index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    upn = cell(upn_at)
    if not upn:
        return "blank user principal name", None
    if upn.count("@") != 1 or upn.startswith("@") or upn.endswith("@") or any(c.isspace() for c in upn):
        return f"{upn!r} is not a user principal name (name@domain)", None
    if len(upn) > 320:
        return "user principal name longer than 320 characters", None
    company_text, name = cell(id_at), cell(name_at)
    if company_text:
        try:
            company = int(company_text)
        except ValueError:
            return f"company id {company_text!r} is not a whole number", None
        if company not in by_id:
            return f"company {company} is not in {COMPANIES} (load Autotask first, or fix the id)", None
        return None, (upn, company)
    if not name:
        return "blank company", None
    matches = by_name.get(name.lower(), [])
    if not matches:
        return f"company {name!r} is not in {COMPANIES}", None
    if len(matches) > 1:
        return f"company name {name!r} is ambiguous (ids {', '.join(map(str, sorted(matches)))}); give the id", None
    return None, (upn, matches[0])


def load_client_users(db: Database, model: Model, paths: list[Path], rejects_path: Path,
                      strict: bool) -> ClientUsersResult:
    """Make ``BI_Security_ClientUsers`` equal to the mapping files' usable rows, in one transaction."""
    refuse_demo(db, model)
    companies = db.read_table(COMPANIES, ["company_id", "company_name"])
    pairs, rejected, read = read_mapping(paths, companies)
    result = ClientUsersResult(read=read, rejected=len(rejected))
    log = RejectLog(rejects_path)
    log.add(rejected)
    result.rejects_path = log.close()
    result.first_rejections = log.first
    if rejected and strict:
        raise DataError(f"{len(rejected)} client-user row(s) rejected and --strict is set; nothing was written "
                        f"(first: {rejected[0].origin}:{rejected[0].line}: {rejected[0].reason}; all in "
                        f"{result.rejects_path})")
    current_frame = db.read_table(TABLE, ["user_principal_name", "company_id"])
    current = {(str(upn), int(company)) for upn, company in zip(current_frame["user_principal_name"],
                                                                  current_frame["company_id"], strict=True)}
    result.deleted, result.inserted, result.unchanged = len(current - pairs), len(pairs - current), len(current & pairs)
    if result.deleted or result.inserted:
        # The files are the whole mapping: replace the table's rows in one statement and one bulk insert.
        with db.transaction():
            db.execute(db.render(exp.delete(quoted_table(TABLE))))
            if pairs:
                db.insert_frame(TABLE, pd.DataFrame(sorted(pairs), columns=["user_principal_name", "company_id"]))
    return result
