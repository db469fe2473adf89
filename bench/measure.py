"""Running a benchmark's command in a child process under /usr/bin/time -v: wall, CPU and peak memory.

The machine's two cores are shared, so wall time swings with other work; CPU time (user + system) is the
steadier figure of a command's own cost, and every benchmark prints both, as medians of --repeat runs.
"""
from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_FIELDS = {"user": r"User time \(seconds\): ([\d.]+)", "system": r"System time \(seconds\): ([\d.]+)",
           "wall": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
           "peak_kb": r"Maximum resident set size \(kbytes\): (\d+)"}


def _seconds(clock: str) -> float:
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def time_v(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> dict:
    """One run of `command` under /usr/bin/time -v: {"wall", "cpu", "peak_mb"}; fails if the command does."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *command], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL)
        text = report.read()
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, command)
    found = {name: re.search(pattern, text).group(1) for name, pattern in _FIELDS.items()}
    return {"wall": _seconds(found["wall"]), "cpu": float(found["user"]) + float(found["system"]),
            "peak_mb": int(found["peak_kb"]) / 1024}


def median_run(command: list[str], repeat: int, **kwargs) -> dict:
    runs = [time_v(command, **kwargs) for _ in range(repeat)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def line(label: str, figures: dict, floor: dict | None = None, target: str = "") -> str:
    text = (f"{label:44} {figures['wall']:7.2f} s wall {figures['cpu']:7.2f} s CPU "
            f"{figures['peak_mb']:6.0f} MB peak")
    if floor:
        text += f"   ×{figures['wall'] / floor['wall']:.1f} wall ×{figures['cpu'] / floor['cpu']:.1f} CPU of the floor"
    return text + (f"   ({target})" if target else "")


def python() -> str:
    return sys.executable
