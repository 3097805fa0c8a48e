"""Properties of reading CSV exports (package API, no database): hostile text gives only the tool's own errors,
and one unbalanced quote among valid rows (some with quoted multi-line comments) loses none of them."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_helpers import ROOT

from generator.errors import ToolError
from generator.sources.csv_exports import CsvExtractor
from generator.sources.csv_mapping import DEFAULT_MAPPING, load_mapping

MAPPING = load_mapping(ROOT / DEFAULT_MAPPING)
HEADER = "Review ID,Rating,Comment,Ticket ID,Company ID,Company,Status,Rated On,Last Modified\n"
PROPERTY = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _read(text: str) -> tuple[list[int], list[tuple[int | None, str]]]:
    """Review ids staged and (line, reason) rejected when reading ``text`` as reviews.csv."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        extractor = CsvExtractor("smileback-csv", [path], MAPPING)
        ids: list[int] = []
        rejected: list[tuple[int | None, str]] = []
        for page in extractor.extract("Reviews", None):
            assert page.frame is not None
            ids.extend(int(i) for i in page.frame["id"])
            rejected.extend((item.line, item.reason) for item in page.rejected)
        return ids, rejected


FRAGMENTS = st.sampled_from(["1", "2", "Positive", "x y", '"', '""', ",", "\n", "\r\n", " ", "2025-06-02", "é"])


@PROPERTY
@given(body=st.lists(FRAGMENTS, max_size=60).map("".join))
def test_any_text_gives_rows_or_a_tool_error(body: str) -> None:
    with contextlib.suppress(ToolError):  # the tool's own error is fine; anything else fails the test
        _read(HEADER + body)


def _row(number: int, comment: str) -> str:
    return f"{number},Positive,{comment},100,174,Acme,done,2025-06-02 12:00:00,2025-06-02 12:00:00\n"


COMMENTS = st.sampled_from(["fine", '"a, b"', '"two\nlines, ok"', '"say ""hi"""', ""])


@PROPERTY
@given(comments=st.lists(COMMENTS, min_size=1, max_size=15), where=st.integers(0, 14), field=st.integers(1, 7))
def test_one_unbalanced_quote_loses_no_valid_row(comments: list[str], where: int, field: int) -> None:
    rows = [_row(n, c) for n, c in enumerate(comments, start=1)]
    where = where % (len(rows) + 1)
    values = _row(999, "bad").rstrip("\n").split(",")
    values[field] = '"' + values[field]  # opens a quote that never closes on this line (not in the last column)
    rows.insert(where, ",".join(values) + "\n")
    ids, rejected = _read(HEADER + "".join(rows))
    assert sorted(ids) == list(range(1, len(comments) + 1))
    assert len(rejected) == 1 and rejected[0][1].startswith("unbalanced quote")
    line = 2 + sum(r.count("\n") for r in rows[:where])
    assert rejected[0][0] == line
