"""Benchmark of the survey statistics at full provincial scale.

    python bench/stats_bench.py [--rows 1000000] [--cli] [--keep DIR] [--repeat 3]
    python bench/stats_bench.py --csv DIR [--cli]     (score DIR/UNITS.csv, DIR/RESPONSES.csv only)

1. Generates 1,000,000 responses × 12 items over 113 units in memory (seeded), with some duplicates,
   speeders, repeat clients and one burst so that every screening rule has work to do.
2. In memory: score_units with screening, next to a bare NumPy group mean of the same arrays (the floor).
3. End to end: writes RESPONSES.csv / UNITS.csv to a temporary directory and runs CSV → RESULT.json in a
   child process (score_csv, or with --cli the `flask --app wsgi stats score` command) under
   /usr/bin/time -v, next to the floor: DuckDB's one-query group means of the same CSV, also in a child
   (DuckDB from bench/requirements.txt). Medians of --repeat runs; wall, CPU and peak RSS.

Targets (issue 13) on the 2-core machine: in memory ≤ 8× the NumPy floor, CSV → RESULT.json ≤ 3× the
DuckDB floor, peak memory ≤ 2 GB (also at 10 M rows: bench/make_responses.py writes such a file).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from stats.responses_io import BASE_COLUMNS, GROUPS, ITEM_PREFIX, Responses  # noqa: E402
from app.kernel.scheme import load_scheme  # noqa: E402
from stats.result_io import write_result  # noqa: E402
from stats.scoring import level_values, result_dict, score_csv, score_units  # noqa: E402
from bench.measure import line, median_run  # noqa: E402

N_UNITS, N_ITEMS, WINDOWS_PER_UNIT = 113, 12, 4
START = np.datetime64("2024-01-02T08:00:00")


def make_units() -> list[dict]:
    return [{"code": f"U{u:03d}", "name": f"单位{u}", "category": 1 + u % 4} for u in range(N_UNITS)]


def make_responses(n: int, seed: int = 20240101) -> Responses:
    """Plausible responses: unit-specific satisfaction, 5% 不了解, office-hour timestamps over a year."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, N_UNITS, n).astype(np.int32)
    group = (rng.random(n) < 0.6).astype(np.int8)  # 60 % walk-in (nonfixed)
    day, second = rng.integers(0, 250, n), rng.integers(0, 10 * 3600, n)
    submitted_at = START + (day * 86400 + second).astype("timedelta64[s]")
    nonfixed = group == 1
    client = np.where(nonfixed, rng.integers(0, n // 2, n), -1)
    window = np.where(nonfixed, unit * WINDOWS_PER_UNIT + rng.integers(0, WINDOWS_PER_UNIT, n), -1)
    ids = [f"R{i:07d}" for i in range(n)]
    _inject_misconduct(rng, ids, unit, group, submitted_at, client, window)
    return Responses(response_id=ids, unit=unit, group=group, submitted_at=submitted_at,
                     duration_s=rng.lognormal(np.log(120), 0.5, n), client=client, window=window,
                     levels=_levels(rng, unit, n), item_codes=tuple(f"q{k + 1:02d}" for k in range(N_ITEMS)))


def _levels(rng, unit: np.ndarray, n: int) -> np.ndarray:
    """Level 5..1 with unit-specific probabilities, 0 (不了解) 5 % of the time."""
    p = rng.dirichlet([6, 4, 2, 1, 0.5], N_UNITS) * 0.95  # levels 5, 4, 3, 2, 1
    cumulative = np.cumsum(p, axis=1)[unit]  # (n, 5)
    draw = rng.random((n, N_ITEMS))
    levels = np.full((n, N_ITEMS), 5, np.int8)
    for k in range(4):  # each threshold passed moves one level down
        levels -= (draw > cumulative[:, k:k + 1]).astype(np.int8)
    levels[draw > cumulative[:, 4:5]] = 0
    return levels


def _inject_misconduct(rng, ids, unit, group, submitted_at, client, window):
    """Per million: 1,000 duplicated ids, 2,000 repeat clients; and 200 responses in one hour at one window."""
    n = len(ids)
    for i in rng.choice(n, n // 1000, replace=False):
        ids[i] = ids[i - 1]
    repeat = rng.choice(np.flatnonzero(group == 1), n // 500, replace=False)
    client[repeat], unit[repeat] = client[repeat - 1], unit[repeat - 1]
    submitted_at[repeat] = submitted_at[repeat - 1] + np.timedelta64(600, "s")
    burst = np.arange(min(200, n // 10))
    group[burst], unit[burst], window[burst], client[burst] = 1, 0, 0, -1
    submitted_at[burst] = (START + np.timedelta64(30 * 86400, "s")
                           + rng.integers(0, 3600, burst.size).astype("timedelta64[s]"))


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def cpu_timed(fn, *args, **kwargs):
    """(result, wall s, CPU s): CPU time shows the cost when other work shares the two cores."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def traced_peak_mb(fn, *args, **kwargs) -> float:
    tracemalloc.start()
    fn(*args, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def floor_group_mean(responses: Responses, values: np.ndarray) -> np.ndarray:
    """The least any scoring must do: value lookup, row mean, mean per (unit, group)."""
    row_mean = values[responses.levels].mean(axis=1)
    key = responses.unit.astype(np.int64) * 2 + responses.group
    return np.bincount(key, row_mean, minlength=2 * N_UNITS) / np.bincount(key, minlength=2 * N_UNITS)


def write_csv(directory: Path, units: list[dict], responses: Responses) -> tuple[Path, Path]:
    units_csv, responses_csv = directory / "UNITS.csv", directory / "RESPONSES.csv"
    with open(units_csv, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["code", "name", "category"])
        writer.writeheader()
        writer.writerows(units)
    codes = [unit["code"] for unit in units]
    level_text = np.array(["", "1", "2", "3", "4", "5"])[responses.levels]
    columns = [responses.response_id, [codes[u] for u in responses.unit.tolist()],
               [GROUPS[g] for g in responses.group.tolist()],
               np.datetime_as_string(responses.submitted_at).tolist(),
               np.round(responses.duration_s, 1).tolist(),
               ["" if c < 0 else f"{c * 2654435761 % 2**32:08x}" for c in responses.client.tolist()],
               ["" if w < 0 else f"W{w:04d}" for w in responses.window.tolist()],
               *level_text.T.tolist()]
    with open(responses_csv, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow([*BASE_COLUMNS, *(ITEM_PREFIX + code for code in responses.item_codes)])
        writer.writerows(zip(*columns))
    return units_csv, responses_csv


def csv_command(units_csv: Path, responses_csv: Path, out: Path, use_cli: bool) -> list[str]:
    """CSV → RESULT in a child process (its peak memory is its own), through the CLI or score_csv."""
    if use_cli:
        return [sys.executable, "-m", "flask", "--app", "wsgi", "stats", "score", "--units", str(units_csv),
                "--responses", str(responses_csv), "--out", str(out)]
    return [sys.executable, __file__, "--csv-child", str(units_csv), str(responses_csv), str(out)]


def duckdb_command(responses_csv: Path) -> list[str]:
    return [sys.executable, __file__, "--duckdb-child", str(responses_csv)]


def duckdb_child(responses_csv: str):
    """The floor: DuckDB's one query of group means (unit, group) of the row means of the same CSV."""
    import duckdb  # bench/requirements.txt: not a dependency of the application
    with open(responses_csv, encoding="utf-8-sig") as f:
        items = [name for name in f.readline().strip().split(",") if name.startswith(ITEM_PREFIX)]
    levels = ", ".join(f'"{name}"' for name in items)
    rows = duckdb.sql(f"SELECT unit_code, \"group\", avg(list_avg([{levels}])) FROM read_csv('{responses_csv}') "
                      "GROUP BY ALL").fetchall()
    assert rows


def csv_child(units_csv: str, responses_csv: str, out: str):
    """The child side: exactly what the CLI will do, without Flask."""
    write_result(out, score_csv(units_csv, responses_csv, load_scheme()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cli", action="store_true", help="run the end-to-end part through the flask CLI")
    parser.add_argument("--keep", type=Path, help="write the CSV files here and keep them")
    parser.add_argument("--csv", type=Path, help="score UNITS.csv and RESPONSES.csv of this folder (no generation)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each child command (median)")
    parser.add_argument("--csv-child", nargs=3, metavar=("UNITS", "RESPONSES", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--duckdb-child", metavar="RESPONSES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        return csv_child(*args.csv_child)
    if args.duckdb_child:
        return duckdb_child(args.duckdb_child)
    if args.csv:
        return end_to_end(args.csv / "UNITS.csv", args.csv / "RESPONSES.csv", args)
    scheme, units = load_scheme(), make_units()
    responses, seconds = timed(make_responses, args.rows)
    print(f"generated {len(responses):,} responses × {len(responses.item_codes)} items "
          f"over {N_UNITS} units in {seconds:.1f} s")
    in_memory(scheme, units, responses)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        (units_csv, responses_csv), seconds = timed(write_csv, directory, units, responses)
        print(f"wrote RESPONSES.csv ({responses_csv.stat().st_size / 2**20:.0f} MB) in {seconds:.1f} s")
        del responses
        end_to_end(units_csv, responses_csv, args)


def in_memory(scheme, units, responses):
    values = np.nan_to_num(level_values(scheme["survey"]))
    _, floor_s, floor_cpu = cpu_timed(floor_group_mean, responses, values)
    scores, memory_s, memory_cpu = cpu_timed(score_units, units, responses, None, scheme["survey"],
                                             scheme["screening"])
    floor_mb = traced_peak_mb(floor_group_mean, responses, values)
    memory_mb = traced_peak_mb(score_units, units, responses, None, scheme["survey"], scheme["screening"])
    reasons = {}
    for _, reason in scores.excluded:
        reasons[reason] = reasons.get(reason, 0) + 1
    print(f"floor (bare NumPy group mean): {floor_s:6.2f} s wall, {floor_cpu:6.2f} s CPU, "
          f"peak +{floor_mb:5.0f} MB traced")
    print(f"in memory (score + screen):    {memory_s:6.2f} s wall, {memory_cpu:6.2f} s CPU, "
          f"peak +{memory_mb:5.0f} MB traced   (×{memory_cpu / floor_cpu:.0f} CPU of the floor; target ≤ 8×)")
    print(f"  excluded: {reasons}, straightline reported: {len(scores.straightline):,}")
    json.dumps(result_dict(scheme["name"], scores))  # the result must be JSON-ready


def end_to_end(units_csv: Path, responses_csv: Path, args):
    """CSV → RESULT.json and the DuckDB floor, each in a child process under /usr/bin/time -v."""
    out = responses_csv.with_name("RESULT.json")
    floor = median_run(duckdb_command(responses_csv), args.repeat)
    ours = median_run(csv_command(units_csv, responses_csv, out, args.cli), args.repeat)
    print(line("floor (DuckDB group means of the CSV)", floor))
    print(line(f"CSV → RESULT.json{' (flask CLI)' if args.cli else ''}", ours, floor,
               "targets ≤ 3× the floor, ≤ 2048 MB"))


if __name__ == "__main__":
    main()
