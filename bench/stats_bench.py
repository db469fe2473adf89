"""Benchmark of the survey statistics at full provincial scale.

    python bench/stats_bench.py [--rows 1000000] [--cli] [--keep DIR]

1. Generates 1,000,000 responses × 12 items over 113 units in memory (seeded), with some duplicates,
   speeders, repeat clients and one burst so that every screening rule has work to do.
2. In memory: score_units with screening, next to a bare NumPy group mean of the same arrays (the floor).
3. End to end: writes RESPONSES.csv / UNITS.csv to a temporary directory and runs CSV → RESULT JSON in a
   child process (score_csv, or with --cli the `flask --app wsgi stats score` command), so that its
   peak memory is its own (VmHWM, sampled every 20 ms: the last few ms before exit may be missed).

Targets on the 2-core reference machine: in memory ≤ 2 s, end to end ≤ 15 s, peak memory ≤ 2 GB.
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
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
from stats.scoring import level_values, result_dict, score_csv, score_units  # noqa: E402

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


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def run_csv_child(units_csv: Path, responses_csv: Path, out: Path, use_cli: bool) -> tuple[float, float]:
    """Run CSV → RESULT in a child process; returns its wall seconds and peak RSS in MB."""
    if use_cli:
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "stats", "score", "--units", str(units_csv),
                   "--responses", str(responses_csv), "--out", str(out)]
    else:
        command = [sys.executable, __file__, "--csv-child", str(units_csv), str(responses_csv), str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    peak_kb = 0
    while child.poll() is None:
        peak_kb = max(peak_kb, _peak_rss_kb(child.pid))
        time.sleep(0.02)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return time.perf_counter() - start, peak_kb / 1024


def _peak_rss_kb(pid: int) -> int:
    """The child's VmHWM. Unlike ru_maxrss, it starts afresh at exec, so it does not include the pages
    of this (large) parent that the child shared between fork and exec."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
    except FileNotFoundError:  # the child has just exited
        return 0


def csv_child(units_csv: str, responses_csv: str, out: str):
    """The child side: exactly what the CLI will do, without Flask."""
    result = score_csv(units_csv, responses_csv, load_scheme())
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cli", action="store_true", help="run the end-to-end part through the flask CLI")
    parser.add_argument("--keep", type=Path, help="write the CSV files here and keep them")
    parser.add_argument("--csv-child", nargs=3, metavar=("UNITS", "RESPONSES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        return csv_child(*args.csv_child)

    scheme, units = load_scheme(), make_units()
    responses, seconds = timed(make_responses, args.rows)
    print(f"generated {len(responses):,} responses × {len(responses.item_codes)} items "
          f"over {N_UNITS} units in {seconds:.1f} s")

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
          f"peak +{memory_mb:5.0f} MB traced   (target ≤ 2 s)")
    print(f"  excluded: {reasons}, straightline reported: {len(scores.straightline):,}")
    json.dumps(result_dict(scheme["name"], scores))  # the result must be JSON-ready

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        (units_csv, responses_csv), seconds = timed(write_csv, directory, units, responses)
        size_mb = responses_csv.stat().st_size / 2**20
        print(f"wrote RESPONSES.csv ({size_mb:.0f} MB) in {seconds:.1f} s")
        del responses, scores
        cpu = children_cpu_seconds()
        wall, peak_mb = run_csv_child(units_csv, responses_csv, directory / "RESULT.json", args.cli)
        cpu = children_cpu_seconds() - cpu
    print(f"end to end (CSV → RESULT.json{', flask CLI' if args.cli else ''}): {wall:6.2f} s wall, "
          f"{cpu:6.2f} s CPU, peak RSS {peak_mb:5.0f} MB   (targets ≤ 15 s, ≤ 2048 MB)")
    print(f"this process (generation, in-memory runs): peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # Linux reports KiB


if __name__ == "__main__":
    main()
