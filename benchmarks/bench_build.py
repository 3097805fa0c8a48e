"""Build benchmark: load + validate + generate DAX, render every output, write them, for the real catalogue
and for a synthetic 50-table model at growing measure counts.

Run: python benchmarks/bench_build.py [--quick] [--repeat N] [--profile]

The synthetic specs (a date table, 19 dimensions, 30 facts with ~10 columns each, star relationships and
measures of every kind referring to earlier measures) are written to a temporary folder; the same seeded
catalogue is cut at each size, so a smaller size is a prefix of a larger one. Times are the best of
``--repeat`` runs (time.perf_counter); peak memory is measured in a separate run under tracemalloc, which
slows Python down and so is never timed. When the largest size misses the target (5,000 measures in under
5 s) the build is profiled with cProfile and the top functions are printed. The table is also written to
benchmarks/results/bench_build.txt. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import random
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from generator.powerbi.outputs import DOCS_PATH, render_outputs, write_outputs
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "bench_build.txt"
SIZES, QUICK_SIZES = (500, 1_000, 2_000, 5_000), (100, 500)
TARGET_MEASURES, TARGET_SECONDS = 5_000, 5.0
STAGES = ("load", "render", "write")

DIMENSIONS, FACTS = 19, 30
# Kinds in the order they recur; derived kinds fall back to a base kind while a table has too few measures.
KIND_CYCLE = ("count", "sum", "count_where", "ratio", "average", "difference", "sum", "count_where",
              "period_change", "ratio", "threshold_flag", "count", "baseline_gap", "dax", "average", "ratio",
              "difference", "count_where", "period_change", "sum")
BASE_KINDS = ("count", "count_where", "sum", "average")

DATE_YAML = """\
# The calendar: one row per day, marked as the model's date table.
tables:
  - name: BI_Date
    description: One row per calendar day.
    key: date
    date_table: true
    columns:
      - {name: date, type: date, nullable: false, format: yyyy-mm-dd, description: The day.}
      - {name: year, type: int64, nullable: false, summarize_by: none, format: "0", description: Calendar year.}
      - {name: quarter, type: int64, nullable: false, summarize_by: none, format: "0", description: Quarter 1-4.}
      - {name: quarter_start, type: date, nullable: false, hidden: true, format: yyyy-mm-dd, description: First day.}
      - {name: month_number, type: int64, nullable: false, summarize_by: none, format: "0", description: Month.}
      - {name: month_start, type: date, nullable: false, format: MMMM yyyy, description: First day of the month.}
      - {name: month_name, type: string, max_length: 9, nullable: false, sort_by: month_number, description: Name.}
      - {name: week_start, type: date, nullable: false, format: yyyy-mm-dd, description: Monday of the ISO week.}
"""


# --- the synthetic specs ------------------------------------------------------------------------------------

def _dim(index: int) -> str:
    return f"BI_Dim{index:02d}"


def _fact(index: int) -> str:
    return f"BI_Fact{index:02d}"


def _fact_dims(index: int) -> list[int]:
    """The three dimensions fact ``index`` points to (a star: no dimension points anywhere)."""
    return sorted({(index * 3 + k * 7) % DIMENSIONS + 1 for k in range(3)})


def model_yaml() -> str:
    """model/synthetic.yaml: 19 dimensions and 30 facts, each fact many-to-one into 3 dimensions and BI_Date."""
    lines = ["# Synthetic star schema for the build benchmark.", "tables:"]
    for d in range(1, DIMENSIONS + 1):
        t, key = _dim(d), f"dim{d:02d}_id"
        lines += [f"  - name: {t}", f"    description: Dimension {d}.", f"    key: {key}", "    columns:",
                  f"      - {{name: {key}, type: int64, nullable: false, hidden: true, description: Key.}}",
                  "      - {name: name, type: string, max_length: 200, nullable: false, description: Name.}",
                  "      - {name: code, type: string, max_length: 20, description: Short code.}",
                  "      - {name: category, type: string, max_length: 50, description: Category label.}",
                  "      - {name: region, type: string, max_length: 50, description: Region label.}",
                  "      - {name: is_active, type: boolean, nullable: false, description: True while active.}",
                  "      - {name: created_on, type: date, format: yyyy-mm-dd, description: Day it was created.}",
                  "      - {name: score, type: decimal, format: \"#,0.00\", description: A score.}",
                  "      - {name: rank, type: int64, summarize_by: none, description: A rank.}",
                  "      - {name: notes, type: string, max_length: 4000, description: Free text.}", ""]
    for f in range(1, FACTS + 1):
        t = _fact(f)
        lines += [f"  - name: {t}", f"    description: Fact {f}.", "    key: fact_id", "    columns:",
                  "      - {name: fact_id, type: int64, nullable: false, hidden: true, description: Key.}",
                  "      - {name: event_date, type: date, nullable: false, format: yyyy-mm-dd, description: Day.}",
                  "      - {name: posted_date, type: date, hidden: true, format: yyyy-mm-dd, description: Posted.}"]
        lines += [f"      - {{name: dim{d:02d}_id, type: int64, hidden: true, description: Dimension {d}.}}"
                  for d in _fact_dims(f)]
        lines += ["      - {name: amount, type: decimal, format: \"#,0.00\", description: Amount.}",
                  "      - {name: cost, type: decimal, format: \"#,0.00\", description: Cost.}",
                  "      - {name: quantity, type: int64, description: Quantity.}",
                  "      - {name: duration_h, type: double, description: Hours.}",
                  "      - {name: status, type: string, max_length: 50, nullable: false, description: Status.}",
                  "      - {name: is_flagged, type: boolean, nullable: false, description: Flagged.}", ""]
    lines.append("relationships:")
    for f in range(1, FACTS + 1):
        t = _fact(f)
        lines += [f'  - {{from: "{t}[dim{d:02d}_id]", to: "{_dim(d)}[dim{d:02d}_id]"}}' for d in _fact_dims(f)]
        lines += [f'  - {{from: "{t}[event_date]", to: "BI_Date[date]"}}',
                  f'  - {{from: "{t}[posted_date]", to: "BI_Date[date]", active: false}}']
    return "\n".join(lines) + "\n"


def _table_facts(name: str) -> dict:
    """What measures of a table may aggregate, filter on and remove filters from."""
    if name.startswith("BI_Fact"):
        dims = _fact_dims(int(name[-2:]))
        return {"numeric": ("amount", "cost", "quantity", "duration_h"),
                "filters": (f'{name}[status] = "Open"', f"{name}[is_flagged] = TRUE ()", f"{name}[amount] > 100",
                            f"NOT ISBLANK ( {name}[posted_date] )"),
                "remove": (_dim(dims[0]), f"{name}[dim{dims[1]:02d}_id]"),
                "expression": f"{name}[amount] - {name}[cost]", "relationship": True}
    return {"numeric": ("score", "rank"),
            "filters": (f"{name}[is_active] = TRUE ()", f"{name}[score] >= 3", f'{name}[region] = "EMEA"'),
            "remove": (name,), "expression": f"{name}[score] * {name}[rank]", "relationship": False}


def _quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _measure(index: int, table: str, kind: str, pool: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """One measure (its name and YAML lines) of ``kind`` on ``table``, referring to measures of ``pool``."""
    facts = _table_facts(table)
    short = table.removeprefix("BI_")
    name = f"{short} - {kind.replace('_', ' ').title()} {index:04d}"
    body: list[str] = []
    fmt, description = "decimal", f"Synthetic {kind} measure {index} of {table}."
    if kind == "count":
        body = [f"table: {table}"]
        if facts["relationship"] and rng.random() < 0.3:
            body.append(f'use_relationship: {{from: "{table}[posted_date]", to: "BI_Date[date]"}}')
        fmt = "whole"
    elif kind == "count_where":
        filters = rng.sample(facts["filters"], rng.randint(1, 2))
        body = [f"table: {table}", "filter:", *(f"  - {_quote(f)}" for f in filters)]
        fmt = "whole"
    elif kind == "sum":
        body = [f"column: {table}[{rng.choice(facts['numeric'])}]"]
        if rng.random() < 0.5:
            body.append(f"filter: {_quote(rng.choice(facts['filters']))}")
    elif kind == "average":
        if rng.random() < 0.5:
            body = [f"column: {table}[{rng.choice(facts['numeric'])}]"]
        else:
            body = [f"over: {table}", f"expression: {_quote(facts['expression'])}"]
        fmt = '"#,0.00"'
    elif kind == "ratio":
        numerator, denominator = rng.sample(pool, 2)
        body = [f"numerator: {_quote(numerator)}"]
        if rng.random() < 0.2:  # an inline operand, rendered as a VAR
            body += ["denominator:", "  kind: count_where", f"  table: {table}",
                     f"  filter: {_quote(rng.choice(facts['filters']))}"]
        else:
            body.append(f"denominator: {_quote(denominator)}")
        fmt = "percent"
    elif kind == "difference":
        left, right = rng.sample(pool, 2)
        body = [f"left: {_quote(left)}", f"right: {_quote(right)}"]
    elif kind == "threshold_flag":
        body = [f"measure: {_quote(rng.choice(pool))}", 'operator: "<"', "threshold: low_threshold",
                "lint_ignore:", "  PROVIDE_FORMAT_STRING_FOR_MEASURES: The measure returns TRUE or FALSE."]
        fmt, description = "", f"TRUE below low_threshold ({{{{ low_threshold }}}}), measure {index}."
    elif kind == "baseline_gap":
        body = [f"measure: {_quote(rng.choice(pool))}", "remove_filters:",
                *(f"  - {target}" for target in facts["remove"]), "scale: 100"]
    elif kind == "period_change":
        period = rng.choice(("previous_month", "previous_quarter", "previous_year"))
        body = [f"measure: {_quote(rng.choice(pool))}", f"period: {period}"]
    elif kind == "dax":
        first, second = rng.sample(pool, 2)
        body = ["dax: |", f"  VAR Current = [{first}]", f"  VAR Other = CALCULATE ( [{second}], "
                f"KEEPFILTERS ( {rng.choice(facts['filters'])} ) )", "  RETURN",
                "      IF ( NOT ISBLANK ( Current ), DIVIDE ( Current - Other, Other ) )"]
    lines = [f"  - name: {_quote(name)}", f"    kind: {kind}", *(f"    {line}" for line in body)]
    if fmt:
        lines.append(f"    format: {fmt}")
    lines += [f"    description: {_quote(description)}", ""]
    return name, lines


def synthetic_measures(count: int, seed: int = 20260501) -> dict[str, list[str]]:
    """``count`` measures as YAML lines per home table, spread round-robin over the 49 non-date tables.

    A derived measure refers only to earlier numeric measures of its own table, so the references form a DAG
    and any prefix of the sequence is a complete catalogue.
    """
    rng = random.Random(seed)
    tables = [_fact(f) for f in range(1, FACTS + 1)] + [_dim(d) for d in range(1, DIMENSIONS + 1)]
    pools: dict[str, list[str]] = {t: [] for t in tables}
    files: dict[str, list[str]] = {t: [] for t in tables}
    for index in range(count):
        table = tables[index % len(tables)]
        kind = KIND_CYCLE[index % len(KIND_CYCLE)]  # 20 and 49 are coprime: every table gets every kind
        if kind not in BASE_KINDS and len(pools[table]) < 2:
            kind = BASE_KINDS[len(pools[table]) % len(BASE_KINDS)]
        name, lines = _measure(index, table, kind, pools[table], rng)
        if kind != "threshold_flag":  # a TRUE/FALSE flag is no operand for arithmetic
            pools[table].append(name)
        files[table] += lines
    return files


def write_specs(folder: Path, count: int) -> Path:
    """A spec folder (model/, measures/) with the synthetic model and its first ``count`` measures."""
    (folder / "model").mkdir(parents=True)
    (folder / "measures").mkdir()
    (folder / "model" / "date.yaml").write_text(DATE_YAML, encoding="utf-8")
    (folder / "model" / "synthetic.yaml").write_text(model_yaml(), encoding="utf-8")
    (folder / "measures" / "00-parameters.yaml").write_text(
        "parameters:\n  low_threshold:\n    value: 10\n    description: Slices below this are flagged.\n",
        encoding="utf-8")
    for number, (table, lines) in enumerate(synthetic_measures(count).items(), start=1):
        if not lines:
            continue
        short = table.removeprefix("BI_")
        header = [f"# Synthetic measures of {table}.", "defaults:", f"  home_table: {table}",
                  f"  folder: {short}", "", "measures:"]
        (folder / "measures" / f"{number:02d}-{short.lower()}.yaml").write_text(
            "\n".join(header + lines), encoding="utf-8")
    return folder


# --- measuring ----------------------------------------------------------------------------------------------

def build_once(spec_dir: Path) -> tuple[dict[str, float], int]:
    """One build into a fresh folder: seconds per stage and the number of measures."""
    times = {}
    started = time.perf_counter()
    model = load_model(spec_dir)
    times["load"] = time.perf_counter() - started
    started = time.perf_counter()
    outputs = render_outputs(model)
    times["render"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_outputs(outputs, Path(out) / "powerbi", Path(out) / DOCS_PATH)
        times["write"] = time.perf_counter() - started
    return times, len(model.measures)


def measure_build(spec_dir: Path, repeat: int) -> dict:
    """Best-of-``repeat`` seconds per stage and in total, and the peak traced memory of one more build."""
    runs = [build_once(spec_dir) for _ in range(repeat)]
    best = {stage: min(times[stage] for times, _ in runs) for stage in STAGES}
    best["total"] = min(sum(times.values()) for times, _ in runs)
    tracemalloc.start()
    build_once(spec_dir)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {**best, "measures": runs[0][1], "peak_mb": peak / 2**20}


def profile_build(spec_dir: Path, top: int = 15) -> str:
    """cProfile of one build: the ``top`` functions by cumulative time, overall and in the generator package."""
    profiler = cProfile.Profile()
    profiler.enable()
    build_once(spec_dir)
    profiler.disable()
    sections = []
    for title, restriction in (("all functions", ()), ("functions of generator/", (r"/generator/",))):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(*restriction, top)
        text = re.sub(r"\S*site-packages/", "", stream.getvalue().replace(str(ROOT) + os.sep, ""))
        table = text[text.index("   ncalls"):] if "   ncalls" in text else text
        sections.append(f"{title}:\n{table.rstrip()}")
    return "\n\n".join(sections)


def _row(label: str, result: dict, previous: dict | None = None) -> str:
    per = result["total"] / result["measures"] * 1000 if result["measures"] else 0.0
    marginal = ""
    if previous is not None and result["measures"] > previous["measures"]:
        slope = (result["total"] - previous["total"]) / (result["measures"] - previous["measures"]) * 1000
        marginal = f"{slope:.3f}"
    return (f"{label:<22} {result['measures']:>8,} {result['load']:>8.3f} {result['render']:>8.3f} "
            f"{result['write']:>8.3f} {result['total']:>8.3f} {per:>9.3f} {marginal:>9} {result['peak_mb']:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} only")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (the best is kept)")
    parser.add_argument("--profile", action="store_true", help="profile the largest size even if on target")
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES

    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    say(f"bench_build  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}  "
        f"{platform.platform()}  {platform.machine()}  {os.cpu_count()} CPUs  Python {platform.python_version()}")
    say(f"python3 benchmarks/bench_build.py {' '.join(sys.argv[1:])}".rstrip())
    say(f"best of {args.repeat} runs; peak = tracemalloc peak of one more run (not timed); ms/meas. = total / "
        "measures; marg. ms = extra time per extra measure against the row above")
    say()
    header = (f"{'catalogue':<22} {'measures':>8} {'load s':>8} {'render s':>8} {'write s':>8} {'total s':>8} "
              f"{'ms/meas.':>9} {'marg. ms':>9} {'peak MB':>8}")
    say(header)
    say("-" * len(header))
    say(_row("real (repo specs)", measure_build(ROOT, args.repeat)))

    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        baseline = measure_build(write_specs(Path(folder) / "n0", 0), args.repeat)
        say(_row("synthetic, no measures", baseline))
        previous = baseline
        for size in sizes:
            spec_dir = write_specs(Path(folder) / f"n{size}", size)
            results[size] = measure_build(spec_dir, args.repeat)
            say(_row("synthetic 50 tables", results[size], previous))
            previous = results[size]
        say()
        small, large = sizes[0], sizes[-1]
        factor = large // small
        time_ratio = results[large]["total"] / results[small]["total"]
        variable_ratio = (results[large]["total"] - baseline["total"]) / (results[small]["total"] - baseline["total"])
        memory_ratio = results[large]["peak_mb"] / results[small]["peak_mb"]
        say(f"time({large}) / time({small}) = {time_ratio:.1f}x  (linear: {factor}x); without the fixed cost of "
            f"the 50-table model ({baseline['total']:.3f} s at 0 measures): {variable_ratio:.1f}x")
        say(f"peak memory {memory_ratio:.1f}x; per stage {small:,} -> {large:,} measures:")
        for stage in STAGES:
            say(f"  {stage:<7} {results[small][stage]:.3f} s -> {results[large][stage]:.3f} s: "
                f"{results[large][stage] / results[small][stage]:.1f}x")
        if TARGET_MEASURES in results:
            total = results[TARGET_MEASURES]["total"]
            verdict = "met" if total < TARGET_SECONDS else "MISSED"
            say(f"target {TARGET_MEASURES:,} measures in under {TARGET_SECONDS:.0f} s: {total:.2f} s, {verdict}")
        if args.profile or (TARGET_MEASURES in results and results[TARGET_MEASURES]["total"] >= TARGET_SECONDS):
            say()
            say(f"cProfile of one build of {large:,} measures (profiling slows it ~3x), top 15 by cumulative time")
            say(profile_build(Path(folder) / f"n{large}"))

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
