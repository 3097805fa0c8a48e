"""The short summary ``gen-measures demo`` prints: rows per table and the headline CSAT figures.

The figures are computed by the pandas reference from the rows read back out of the target, so the
summary also proves the round trip through the database.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from generator.reference import evaluate
from generator.text import plural


def _pct(value: object) -> str:
    return "blank" if value is None else f"{float(value) * 100:.1f} %"


def summarize(tables: Mapping[str, pd.DataFrame], seed: int, scale: int, seconds: float) -> str:
    """A plain-text summary of the demo dataset in ``tables``."""
    def total(measure: str) -> object:
        return evaluate(measure, tables, "total").iloc[0]

    happy, neutral, unhappy = (int(total(m) or 0) for m in ("CSAT - Positive", "CSAT - Neutral", "CSAT - Negative"))
    responses = happy + neutral + unhappy
    lines = [f"Demo dataset (seed {seed}, scale {scale}) written in {seconds:.1f} s", "", "Rows per table:"]
    width = max(len(name) for name in tables)
    lines += [f"  {name:<{width}}  {len(frame):>10,}" for name, frame in tables.items()]
    average = total("CSAT - Average Rating")
    lines += [
        "",
        "CSAT, November 2025 - April 2026:",
        f"  responses        {responses:,} ({happy:,} happy, {neutral:,} neutral, {unhappy:,} unhappy)",
        f"  Happy %          {_pct(total('CSAT - Happy %'))}",
        f"  Neutral %        {_pct(total('CSAT - Neutral %'))}",
        f"  Unhappy %        {_pct(total('CSAT - Unhappy %'))}",
        f"  average rating   ({happy:,}x5 + {neutral:,}x3 + {unhappy:,}x1) / {responses:,} = "
        + ("blank" if average is None else f"{float(average):.3f}"),
        f"  response rate    {_pct(total('SB - Survey Response Rate %'))} of closed tickets",
    ]
    by_client = pd.DataFrame({m: evaluate(m, tables, "client") for m in
                              ("CSAT - Total Ratings", "CSAT - Happy %", "CSAT - Low Confidence")})
    names = tables["BI_Autotask_Companies"].set_index("company_id")["company_name"]
    confident = by_client[~by_client["CSAT - Low Confidence"].astype(bool)].dropna(subset=["CSAT - Happy %"])
    weakest = confident.sort_values("CSAT - Happy %").head(2)
    low = by_client[by_client["CSAT - Low Confidence"].astype(bool)]
    lines.append("  weakest clients  " + ", ".join(
        f"{names[i]} {_pct(row['CSAT - Happy %'])} happy" for i, row in weakest.iterrows()))
    lines.append(f"  low confidence   {plural(len(low), 'client')} with fewer than 10 responses: " + ", ".join(
        f"{names[i]} ({int(row['CSAT - Total Ratings'] or 0)})" for i, row in low.iterrows()))
    return "\n".join(lines)
