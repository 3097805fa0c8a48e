"""The rejected-rows CSV of a load: text cells that a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import csv
from pathlib import Path

from generator.load.rejects import RejectLog
from generator.sources.base import Rejected


def test_rejects_csv_cells_cannot_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    log = RejectLog(tmp_path / "rejected.csv")
    log.add([Rejected("=cmd|' /C calc'!A0", 7, "@SUM(1+1)*cmd|' /C calc'!A0"),
             Rejected("reviews.csv", 8, "-1 is not a rating; +2 neither"),
             Rejected("reviews.csv", None, "Rating 'x' is not Positive, Neutral or Negative")])
    path = log.close()
    assert path is not None
    with path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["origin", "line", "reason"],
            ["'=cmd|' /C calc'!A0", "7", "'@SUM(1+1)*cmd|' /C calc'!A0"],
            ["reviews.csv", "8", "'-1 is not a rating; +2 neither"],
            ["reviews.csv", "", "Rating 'x' is not Positive, Neutral or Negative"],
        ]
