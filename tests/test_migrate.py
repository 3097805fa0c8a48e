"""``gen-measures migrate``: a database created and filled by a released schema (versions 1 and 2, frozen in
tests/fixtures/schema-v<N>/ as `gen-measures sql` of that version wrote it) is upgraded in place on DuckDB,
PostgreSQL and MariaDB, its rows kept and the new keys filled (version 1 goes to the current version in one
run); a dry run changes nothing; a destructive change is refused with a sentence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from generator.load.sqltext import transpile
from generator.spec.loader import load_model
from generator.sqlschema.ddl import SCHEMA_INFO_TABLE, schema_fingerprint
from generator.targets import open_database
from generator.targets.database import Database
from generator.targets.schema import ensure_schema, read_schema_info
from tests.conftest import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures"
SCRIPTS = {"duckdb": "duckdb", "postgres": "postgres", "mysql": "mariadb"}
V1_FINGERPRINT = "ac2d140afe0078a6430575f5cb93cf70acc730559d3c2a0b659403b38b3295ff"
V2_FINGERPRINT = "aa902eee92528e39a451d6b5cd99559d4ef2d7fe129045877fe9d16d241f5d67"
# The last SmileBack load's staged reviews (versions 1 and 2 staged the contact's e-mail and the status): the
# migration to version 3 copies both to the loaded review 35900001; the other reviews were not staged.
STAGED_REVIEWS = """INSERT INTO "STG_SmileBack_Reviews" ("id", "rating", "contact_email", "status", "rated_on")
       VALUES (35900001, -1, 'ann.lee@vanguardtech.example', 'Done', '2026-01-06 10:00:00')"""

# Rows a version-1 load could have written: picklists staged by the last Autotask load, two tickets (one whose
# labels the picklists know), and reviews of each ticket plus one without a ticket.
V1_ROWS = [
    """INSERT INTO "STG_Autotask_Picklists" ("entity", "field", "value", "label", "is_active")
       VALUES ('Tickets', 'issueType', '12', 'Network', TRUE), ('Tickets', 'priority', '2', 'High', TRUE)""",
    """INSERT INTO "BI_Autotask_Companies" ("company_id", "company_name", "is_active", "company_type")
       VALUES (1001, 'Vanguard Tech', TRUE, 'Customer')""",
    """INSERT INTO "BI_Autotask_Tickets" ("ticket_id", "ticket_number", "company_id", "status", "priority",
       "issue_type", "created_at", "created_date", "sla_met", "first_contact_resolution", "reopened", "hours_worked")
       VALUES (48001, 'T20260105.0001', 1001, 'Complete', 'High', 'Network', '2026-01-05 09:00:00', '2026-01-05',
               NULL, FALSE, TRUE, 1.5),
              (48002, 'T20260105.0002', 1001, 'Complete', 'Low', 'Hardware', '2026-01-05 10:00:00', '2026-01-05',
               TRUE, TRUE, FALSE, 0.5)""",
    """INSERT INTO "BI_SmileBack_Reviews" ("review_id", "ticket_id", "ticket_number", "company_id", "company_name",
       "rating", "rating_label", "rated_at", "rated_date")
       VALUES (35900001, 48001, 'T20260105.0001', 1001, 'Vanguard Tech', 1, 'Unhappy', '2026-01-06 10:00:00',
               '2026-01-06'),
              (35900002, 48002, 'T20260105.0002', 1001, 'Vanguard Tech', 5, 'Happy', '2026-01-06 11:00:00',
               '2026-01-06'),
              (35900003, NULL, NULL, 1001, 'Vanguard Tech', 3, 'Neutral', '2026-01-07 11:00:00', '2026-01-07')""",
    STAGED_REVIEWS,
]
# Rows a version-2 load could have written: a ticket with its shared keys and its review, one review staged.
V2_ROWS = [
    """INSERT INTO "BI_Autotask_Companies" ("company_id", "company_name", "is_active", "company_type")
       VALUES (1001, 'Vanguard Tech', TRUE, 'Customer')""",
    """INSERT INTO "BI_SmileBack_Reviews" ("review_id", "ticket_id", "ticket_number", "company_id", "company_name",
       "rating", "rating_label", "rated_at", "rated_date", "issue_type_id", "resolution_key")
       VALUES (35900001, 48001, 'T20260105.0001', 1001, 'Vanguard Tech', 1, 'Unhappy', '2026-01-06 10:00:00',
               '2026-01-06', 12, 12),
              (35900002, 48002, 'T20260105.0002', 1001, 'Vanguard Tech', 5, 'Happy', '2026-01-06 11:00:00',
               '2026-01-06', NULL, 101)""",
    STAGED_REVIEWS,
]
CONTACT_COLUMNS = ["review_id", "contact_id", "contact_name", "contact_email", "review_status"]
REVIEW_KEYS = ["review_id", "rating", "issue_type_id", "sub_issue_type_id", "priority_id", "source_id",
               "resolution_key"]


def _create(db: Database, version: int, rows: list[str]) -> None:
    """Run the frozen schema script of ``version`` statement by statement, then insert ``rows``."""
    text = (FIXTURES / f"schema-v{version}" / f"{SCRIPTS[db.dialect]}.sql").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    for statement in body.split(";\n"):
        if statement.strip():
            db.execute(statement)
    for sql in rows:
        db.execute(transpile(sql, db.dialect))
    db.commit()


def _create_v1(db: Database) -> None:
    """A version-1 database holding the version-1 rows."""
    _create(db, 1, V1_ROWS)


def _counts(db: Database) -> dict[str, int]:
    return {name: db.count_rows(name) for name in sorted(db.existing_tables())}


def _plain(frame: pd.DataFrame) -> list[tuple]:
    """Rows with blanks as None and numbers as int, whatever types the target's driver gave."""
    return [tuple(None if pd.isna(value) else int(value) if isinstance(value, int | float | Decimal) else value
                  for value in row) for row in frame.astype(object).itertuples(index=False)]


def test_migrate_upgrades_a_version_1_database_in_place_in_one_run(any_db: str) -> None:
    with open_database(any_db) as db:
        _create_v1(db)
        before = _counts(db)

    dry = run_cli("migrate", "--db", any_db, "--dry-run")
    assert dry.code == 0, dry.err
    assert "-- schema version 1 -> 3 (dry run: nothing applied)" in dry.out
    assert "CREATE TABLE" in dry.out and "BI_Autotask_Resolutions" in dry.out
    assert "ALTER TABLE" in dry.out and "resolution_key" in dry.out
    with open_database(any_db) as db:
        assert _counts(db) == before  # nothing applied
        assert db.read_table(SCHEMA_INFO_TABLE, ["schema_version"])["schema_version"].tolist() == [1]

    done = run_cli("migrate", "--db", any_db)
    assert done.code == 0, done.err
    assert "migrated: schema version 1 -> 3, 5 tables created, 18 columns added" in done.out

    model = load_model(ROOT)
    with open_database(any_db) as db:
        after = _counts(db)
        assert {name: after[name] for name in before if name != SCHEMA_INFO_TABLE} == {
            name: count for name, count in before.items() if name != SCHEMA_INFO_TABLE}  # every row kept
        info = db.read_table(SCHEMA_INFO_TABLE, ["schema_version", "schema_fingerprint"])
        assert _plain(info) == [(1, V1_FINGERPRINT), (3, schema_fingerprint(model))]
        assert _plain(db.read_table("BI_Autotask_IssueTypes", ["issue_type_id", "issue_type_name"])
                      ) == [(12, "Network")]
        assert after["BI_Autotask_Resolutions"] == 18
        tickets = db.read_table("BI_Autotask_Tickets", ["ticket_id", "issue_type_id", "priority_id", "resolution_key"])
        # 48001: FCR no, reopened, no SLA -> 0 + 10 + 2; 48002: FCR yes, not reopened, SLA met -> 100 + 0 + 1
        assert _plain(tickets) == [(48001, 12, 2, 12), (48002, None, None, 101)]
        reviews = db.read_table("BI_SmileBack_Reviews", REVIEW_KEYS)
        assert _plain(reviews) == [
            (35900001, 1, 12, None, 2, None, 12), (35900002, 5, None, None, None, None, 101),
            (35900003, 3, None, None, None, None, None)]
        assert _plain(db.read_table("BI_SmileBack_Reviews", CONTACT_COLUMNS)) == [
            (35900001, None, None, "ann.lee@vanguardtech.example", "done"), (35900002, None, None, None, None),
            (35900003, None, None, None, None)]
        assert ensure_schema(db, model).created is False  # the load and demo commands accept it now

    again = run_cli("migrate", "--db", any_db)
    assert again.code == 0 and "nothing to migrate" in again.out


def test_migrate_upgrades_a_version_2_database_in_place(any_db: str) -> None:
    """Version 2 → 3 adds the reviewing contact and SmileBack's status (nullable columns) and fills them for the
    reviews the last SmileBack load staged; every row is kept."""
    with open_database(any_db) as db:
        _create(db, 2, V2_ROWS)
        before = _counts(db)
        assert read_schema_info(db)[:2] == (2, V2_FINGERPRINT)

    dry = run_cli("migrate", "--db", any_db, "--dry-run")
    assert dry.code == 0, dry.err
    assert "-- schema version 2 -> 3 (dry run: nothing applied)" in dry.out
    assert "CREATE TABLE" not in dry.out and "review_status" in dry.out and "contact_remote_id" in dry.out

    done = run_cli("migrate", "--db", any_db)
    assert done.code == 0, done.err
    assert "migrated: schema version 2 -> 3, 0 tables created, 6 columns added" in done.out
    model = load_model(ROOT)
    with open_database(any_db) as db:
        after = _counts(db)
        assert {n: after[n] for n in before if n != SCHEMA_INFO_TABLE} == {
            n: c for n, c in before.items() if n != SCHEMA_INFO_TABLE}
        info = db.read_table(SCHEMA_INFO_TABLE, ["schema_version", "schema_fingerprint"])
        assert _plain(info) == [(2, V2_FINGERPRINT), (3, schema_fingerprint(model))]
        assert _plain(db.read_table("BI_SmileBack_Reviews", ["review_id", "issue_type_id", *CONTACT_COLUMNS[1:]])
                      ) == [(35900001, 12, None, None, "ann.lee@vanguardtech.example", "done"),
                            (35900002, None, None, None, None, None)]
        assert ensure_schema(db, model).created is False


@pytest.mark.parametrize(("edit", "message"), [
    (("      - {name: title, type: string, max_length: 255, description: Ticket title.}\n", ""),
     "column BI_Autotask_Tickets[title] would be dropped"),
    (("      - {name: queue_name, type: string, max_length: 200, nullable: false, description: Queue label.}\n",
      "      - {name: queue_name, type: string, max_length: 200, nullable: false, description: Queue label.}\n"
      "      - {name: queue_group, type: string, max_length: 50, nullable: false, description: Group.}\n"),
     "new column BI_Autotask_Queues[queue_group] is NOT NULL"),
])
def test_destructive_changes_are_refused(tmp_path: Path, spec_copy: Path, edit: tuple[str, str],
                                         message: str) -> None:
    spec = spec_copy / "model" / "autotask.yaml"
    assert edit[0] in spec.read_text()
    spec.write_text(spec.read_text().replace(*edit))
    path = str(tmp_path / "v1.duckdb")
    with open_database(path) as db:
        _create_v1(db)
    result = run_cli("migrate", "--db", path, "--specs", str(spec_copy))
    assert result.code == 2
    assert f"error: the upgrade from schema version 1 to 3 is not additive and is refused: {message}" in result.err
    assert "Traceback" not in result.err
    with open_database(path) as db:
        assert "BI_Autotask_IssueTypes" not in db.existing_tables()
        assert db.count_rows(SCHEMA_INFO_TABLE) == 1


@pytest.mark.parametrize("server", ["duckdb", "mariadb"])
def test_a_failed_migration_is_undone(request: pytest.FixtureRequest, tmp_path: Path, spec_copy: Path,
                                      server: str) -> None:
    """A data step that fails leaves the version-1 database as it was: on MariaDB, where every CREATE and ALTER
    commits by itself, the tables and columns the run added are dropped again."""
    (spec_copy / "sql" / "migrations" / "2" / "99-broken.sql").write_text(
        "-- a step that cannot run\nUPDATE BI_Autotask_Tickets SET no_such_column = 1\n")
    db = str(tmp_path / "v1.duckdb") if server == "duckdb" else request.getfixturevalue("mariadb_db")
    with open_database(db) as database:
        _create_v1(database)
        before = {name: database.count_rows(name) for name in database.existing_tables()}
    result = run_cli("migrate", "--db", db, "--specs", str(spec_copy))
    assert result.code == 2
    assert "from schema version 1 to 3 failed and was undone" in result.err and "Traceback" not in result.err
    with open_database(db) as database:
        assert {name: database.count_rows(name) for name in database.existing_tables()} == before
        ticket_columns = database.read_table("BI_Autotask_Tickets", ["ticket_id"]).columns  # still readable
        assert list(ticket_columns) == ["ticket_id"]
    again = run_cli("migrate", "--db", db)  # the shipped migration still applies afterwards
    assert again.code == 0, again.err
