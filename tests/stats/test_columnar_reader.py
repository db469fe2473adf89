"""The pyarrow reader of RESPONSES.csv gives what the csv-module reader gave (issue 13): the same arrays
for good files, and for bad ones the same first error (line and message), at any chunk size."""
import random

import numpy as np
import pytest

from stats import responses_csv
from stats.responses_io import InputError, read_units
from tests.stats import legacy_responses_io as legacy

ITEMS = ("q1", "q2", "q3")
HEADER = ("response_id,unit_code,group,submitted_at,duration_s,client_hash,window_code,"
          + ",".join(f"q:{code}" for code in ITEMS))
COLUMNS = ("unit", "group", "submitted_at", "duration_s", "client", "window", "levels")

# (column position, replacement) of one field: each is a value the old reader refused or read its own way
ODD_VALUES = [
    (0, ""), (1, "ZZ"), (1, " A"), (2, "walkin"), (2, "Fixed"),
    (3, "now"), (3, "2024-02-30T09:30:00"), (3, "2024-03-01T01:30:00+00:00"), (3, "2024-03-01T10:00:00Z"),
    (3, "2024-03-01"), (3, "2024-03-01 09:30:00"), (3, "2024-03-01T09:30:00.75"), (3, "2024-03-01T24:00:00"),
    (4, "-3"), (4, "fast"), (4, " 12"), (4, "1_000"), (4, "1e3"), (4, "nan"), (4, ""), (4, "+7"), (4, "-0"),
    (5, "x9"), (5, "张三"), (6, "W9"), (7, "6"), (7, "x"), (7, " 5"), (7, "05"), (8, "0"), (9, ""),
]
ODD_LINES = ["", "", ",,,,,,,,,", " ", "r,A,fixed", "r,A,fixed,2024-03-01T09:30:00,,,,5,5,5,5"]


def good_row(rng: random.Random, i: int) -> list[str]:
    nonfixed = rng.random() < 0.6
    return [f"r{rng.randrange(10 ** 6) if rng.random() < 0.05 else i}", rng.choice("ABCDE"),
            "nonfixed" if nonfixed else "fixed",
            f"2024-03-{rng.randrange(1, 29):02d}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
            rng.choice(["", f"{rng.uniform(5, 300):.1f}", str(rng.randrange(400))]),
            rng.choice(["", f"h{rng.randrange(30)}", "é", "Z1"]) if nonfixed else "",
            f"W{rng.randrange(5)}" if nonfixed else "",
            *(rng.choice(["", "1", "2", "3", "4", "5", "5"]) for _ in ITEMS)]


def generated_file(seed: int, rows: int, faults: int) -> str:
    """A file of `rows` responses with `faults` odd fields or lines at random places."""
    rng = random.Random(seed)
    lines = [",".join(good_row(rng, i)) for i in range(rows)]
    for _ in range(faults):
        at = rng.randrange(len(lines) + 1)
        if at == len(lines):
            lines.append(rng.choice(ODD_LINES))
            continue
        if rng.random() < 0.7:
            fields = lines[at].split(",")
            position, value = rng.choice(ODD_VALUES)
            fields[min(position, len(fields) - 1)] = value
            lines[at] = ",".join(fields)
        else:
            lines.insert(at, rng.choice(ODD_LINES))
    tail = rng.choice(["", "\n", "\n\n\n", "\n,,,,,,,,,\n", "\n\n"])
    ending = "\r\n" if rng.random() < 0.3 else "\n"
    return ("\ufeff" if rng.random() < 0.5 else "") + ending.join([HEADER, *lines]) + ending + tail.replace("\n", ending)


def read_both(path, units, chunk_rows, monkeypatch):
    monkeypatch.setattr(legacy, "CHUNK_ROWS", chunk_rows)
    results = []
    for read in (lambda: legacy.read_responses(path, units),
                 lambda: responses_csv.read_responses(path, units, chunk_rows=chunk_rows)):
        try:
            results.append(read())
        except (InputError, legacy.InputError) as error:
            results.append((error.line, str(error)))
    return results


def assert_same(old, new):
    if isinstance(old, tuple) or isinstance(new, tuple):
        assert new == old
        return
    assert new.response_id == old.response_id and new.item_codes == old.item_codes
    for name in COLUMNS:
        a, b = getattr(new, name), getattr(old, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b, equal_nan=name == "duration_s"), name


@pytest.mark.parametrize("seed", range(40))
def test_generated_files_read_alike(seed, tmp_path, units, monkeypatch):
    rng = random.Random(seed)
    path = tmp_path / "r.csv"
    path.write_bytes(generated_file(seed, rows=rng.choice([0, 1, 5, 40, 300]), faults=rng.choice([0, 0, 1, 2, 4]))
                     .encode("utf-8"))
    for chunk_rows in (1, 7, 50_000):
        old, new = read_both(str(path), units, chunk_rows, monkeypatch)
        assert_same(old, new)


def test_the_generator_makes_both_good_and_bad_files(tmp_path, units, monkeypatch):
    """The comparison above is worth something only if it meets both outcomes, and many error kinds."""
    outcomes = set()
    for seed in range(40):
        path = tmp_path / f"r{seed}.csv"
        rng = random.Random(seed)
        path.write_bytes(generated_file(seed, rows=rng.choice([0, 1, 5, 40, 300]),
                                        faults=rng.choice([0, 0, 1, 2, 4])).encode("utf-8"))
        old, _ = read_both(str(path), units, 50_000, monkeypatch)
        outcomes.add(old[1].split("：")[1][:4] if isinstance(old, tuple) else "read")
    assert "read" in outcomes and len(outcomes) >= 6, outcomes


@pytest.mark.parametrize("text", [
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n\n",
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n\nr2,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n",
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n\n,,,,,,,,,\n",
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n,,,,,,,,,\n\n",
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\n\n\n \n",
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\nr2,A,fixed\n\nr3,A\n",
    "\n" * 5,
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5",
    '"r1","A","fixed","2024-03-01T09:30:00","","","","5","5","5"\n',
    "r1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\r\n\r\n",
])
@pytest.mark.parametrize("chunk_rows", [1, 2, 50_000])
def test_blank_lines_and_short_rows(text, chunk_rows, tmp_path, units, monkeypatch):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\n" + text, encoding="utf-8")
    old, new = read_both(str(path), units, chunk_rows, monkeypatch)
    assert_same(old, new)


def test_the_bundled_fixture_files_read_alike(tmp_path, monkeypatch):
    """The CSV files of the test suite (the CLI's fixtures) read the same with both readers."""
    from tests.stats_web.test_cli import RESPONSES_CSV, UNITS_CSV
    (tmp_path / "u.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "r.csv").write_text(RESPONSES_CSV, encoding="utf-8")
    units = read_units(str(tmp_path / "u.csv"))
    old, new = read_both(str(tmp_path / "r.csv"), units, 50_000, monkeypatch)
    assert not isinstance(new, tuple) and len(new) > 0
    assert_same(old, new)


def test_text_that_is_not_utf8_is_refused_with_its_line(tmp_path, units):
    path = tmp_path / "r.csv"
    path.write_bytes((HEADER + "\nr1,A,fixed,2024-03-01T09:30:00,,,,5,5,5\nr2,").encode() + "乙".encode("gbk")
                     + b",fixed,2024-03-01T09:30:00,,,,5,5,5\n")
    with pytest.raises(InputError, match="第3行：含有非 UTF-8 编码的字符"):
        responses_csv.read_responses(str(path), units)
