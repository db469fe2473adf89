"""Survey responses as column arrays, and the CSV readers the scoring CLI uses.

Files are UTF-8 (a BOM is accepted) with a header on line 1:

    UNITS.csv      code,name,category
    ITEMS.csv      item_code,weight[,dimension]
    RESPONSES.csv  response_id,unit_code,group,submitted_at,duration_s,client_hash,window_code,
                   [address_hash,] q:<item_code>,...   (one column per item: level 1-5, empty = no
                   answer/不了解; address_hash, a keyed hash of the network address alone, may be left out)

Errors are `InputError` (a ValueError) carrying the line number, worded in Chinese ("第3行: ...") because
the efficiency office sees them as they are. Line numbers count one line per record.

Speed: RESPONSES.csv is read column by column with pyarrow (stats.responses_csv), checked as before.
Records (`responses_from_records`) are converted a chunk at a time, each column in one C-level pass (a
dict lookup mapped over the column, or numpy's own parser); the CSV reader uses the same conversions
for values in unusual forms, so both paths read the data the same way.
"""
from __future__ import annotations

import csv
import gc
import warnings
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import count, islice
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

GROUPS = ("fixed", "nonfixed")  # a response's group code is the position in this tuple
LOCAL_TIME = timezone(timedelta(hours=8))  # China Standard Time, no DST: naive times are taken as CST
BASE_COLUMNS = ("response_id", "unit_code", "group", "submitted_at", "duration_s", "client_hash", "window_code")
ADDRESS_COLUMN = "address_hash"  # optional: files without it have no address for screening
ITEM_PREFIX = "q:"
CHUNK_ROWS = 50_000

_GROUP_CODES = {name: code for code, name in enumerate(GROUPS)}
_LEVEL_CODES = {"": 0, None: 0, **{str(level): level for level in range(1, 6)}, **{level: level for level in range(1, 6)}}


class InputError(ValueError):
    """A problem in an input file or record; `line` is the 1-based line (the header is line 1)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"第{line}行：{message}")
        self.line = line


@dataclass(frozen=True)
class Responses:
    """All responses of one scoring, one array element per response.

    unit          int32   position of the response's unit in the `units` list it was built with
    group         int8    0 = fixed, 1 = nonfixed (see GROUPS)
    submitted_at  datetime64[s], China Standard Time
    duration_s    float64, NaN = unknown
    client        int64   one code per distinct client_hash (its rank in sorted order), -1 = none
                          (never matches another response)
    window        int64   one code per distinct window_code (its rank in sorted order), -1 = none
    levels        int8 (n, len(item_codes)): the stored level 1-5, 0 = blank or 不了解
    address       int64   one code per distinct address_hash (its rank in sorted order), -1 = none; all
                          -1 when not given
    """

    response_id: list[str]
    unit: np.ndarray
    group: np.ndarray
    submitted_at: np.ndarray
    duration_s: np.ndarray
    client: np.ndarray
    window: np.ndarray
    levels: np.ndarray
    item_codes: tuple[str, ...]
    address: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.response_id)
        if self.address is None:
            object.__setattr__(self, "address", np.full(n, -1, np.int64))
        for name in ("unit", "group", "submitted_at", "duration_s", "client", "window", "address"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Responses.{name} has {len(getattr(self, name))} rows, expected {n}")
        if self.levels.shape != (n, len(self.item_codes)):
            raise ValueError(f"Responses.levels has shape {self.levels.shape}, expected {(n, len(self.item_codes))}")

    def __len__(self) -> int:
        return len(self.response_id)


def read_table(path: str, required: Sequence[str]) -> list[dict]:
    """A small CSV file as a list of dicts (row i is on line i + 2); checks that `required` columns exist."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = _check_header(rows[0] if rows else [], required)
    body, _ = _trim_blank_tail(rows[1:], iter(()), 2)
    _check_widths(body, len(header), 2)
    return [dict(zip(header, row)) for row in body]


def read_units(path: str, categories: Sequence[Mapping] | None = None) -> list[dict]:
    """UNITS.csv → [{"code", "name", "category"}].

    With the scheme's [[categories]], the category column may hold a code or a name and must be known;
    the category is returned as the scheme's code. Without them it is kept as written.
    """
    by_key = {}
    for category in categories or ():
        by_key[str(category["code"])] = by_key[category["name"]] = category["code"]
    units, seen = [], set()
    for line, row in enumerate(read_table(path, ("code", "name", "category")), start=2):
        code = row["code"].strip()
        if not code:
            raise InputError(line, "单位代码为空")
        if code in seen:
            raise InputError(line, f"单位代码 {code!r} 重复")
        written = row["category"].strip()
        if by_key and written not in by_key:
            raise InputError(line, f"未知的单位类别 {written!r}")
        seen.add(code)
        units.append({"code": code, "name": row["name"].strip(), "category": by_key.get(written, written)})
    return units


def read_items(path: str, item_codes: Iterable[str] | None = None) -> dict[str, dict]:
    """ITEMS.csv → {item_code: {"weight": float, "dimension": str | None}}.

    With `item_codes` (the q: columns of the responses), an item that is not among them is an error:
    it is almost always a typo, and a typo would silently leave the real item at weight 1.
    """
    known = set(item_codes) if item_codes is not None else None
    items = {}
    for line, row in enumerate(read_table(path, ("item_code", "weight")), start=2):
        code = row["item_code"].strip()
        if code in items:
            raise InputError(line, f"题目 {code!r} 重复")
        if known is not None and code not in known:
            raise InputError(line, f"题目 {code!r} 不在答卷文件的 q: 列中")
        try:
            weight = float(row["weight"])
        except ValueError:
            raise InputError(line, f"权重不是数字：{row['weight']!r}") from None
        if not weight > 0 or not np.isfinite(weight):
            raise InputError(line, f"权重必须为正数：{row['weight']!r}")
        items[code] = {"weight": weight, "dimension": (row.get("dimension") or "").strip() or None}
    return items


def read_responses(path: str, units: Sequence[Mapping],
                   progress: Callable[[int, int], None] | None = None) -> Responses:
    """RESPONSES.csv → Responses, read column by column (stats.responses_csv; pyarrow loads only here).
    `progress(done_bytes, total_bytes)` is called after every chunk."""
    from stats.responses_csv import read_responses as read_columns
    return read_columns(path, units, progress)


def responses_from_records(records: Iterable[Mapping], units: Sequence[Mapping],
                           item_codes: Sequence[str]) -> Responses:
    """Responses from plain dicts, e.g. database rows turned into dicts by the web layer.

    Each record has the CSV's base columns as keys (submitted_at may be a datetime, duration_s a number
    or None, client_hash/window_code None), optionally address_hash, and "levels": {item_code: 1-5 or
    None}. Record i is reported as line i + 2, as if it were a CSV row.
    """
    builder = _ResponseBuilder(units, item_codes)
    records = iter(records)
    line = 2
    with _gc_paused():
        while chunk := list(islice(records, CHUNK_ROWS)):
            columns = {name: tuple(r.get(name) for r in chunk) for name in (*BASE_COLUMNS, ADDRESS_COLUMN)}
            levels = [tuple(r["levels"].get(code) for r in chunk) for code in item_codes]
            builder.add(line, columns, levels)
            line += len(chunk)
    return builder.build()


@contextmanager
def _gc_paused():
    """Reading creates millions of short-lived lists and tuples that never form cycles; letting the
    cycle collector scan them over and over more than doubles the reading time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _ResponseBuilder:
    """Converts column chunks to arrays (errors name the line) and joins them at the end."""

    def __init__(self, units: Sequence[Mapping], item_codes: Sequence[str]):
        if not item_codes:
            raise ValueError("没有题目：至少需要一个题目才能计分")
        self._unit_index = {unit["code"]: i for i, unit in enumerate(units)}
        self._item_codes = tuple(item_codes)
        self._clients, self._windows, self._addresses = _factoriser(), _factoriser(), _factoriser()
        self._ids: list[str] = []
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(self, line: int, columns: Mapping[str, Sequence], item_columns: Sequence[Sequence]):
        ids = columns["response_id"]
        if "" in ids or None in ids:
            blank = next(i for i, rid in enumerate(ids) if rid is None or rid == "")
            raise InputError(line + blank, "response_id 为空")
        self._ids.extend(ids)
        self._chunks.append({
            "unit": _lookup(columns["unit_code"], self._unit_index, np.int32, line,
                            lambda v: f"未知的单位代码 {v!r}"),
            "group": _lookup(columns["group"], _GROUP_CODES, np.int8, line,
                             lambda v: f"group 应为 fixed 或 nonfixed，实际为 {v!r}"),
            "submitted_at": _parse_times(columns["submitted_at"], line),
            "duration_s": _parse_durations(columns["duration_s"], line),
            "client": _lookup(columns["client_hash"], self._clients, np.int64, line, repr),
            "window": _lookup(columns["window_code"], self._windows, np.int64, line, repr),
            "address": _lookup(columns.get(ADDRESS_COLUMN) or (None,) * len(ids), self._addresses, np.int64,
                               line, repr),
            "levels": np.column_stack([_parse_levels(column, code, line)
                                       for column, code in zip(item_columns, self._item_codes)]),
        })

    def build(self) -> Responses:
        if not self._chunks:  # a file with a header only: still a valid, empty set of responses
            self.add(2, {name: () for name in (*BASE_COLUMNS, ADDRESS_COLUMN)}, [()] * len(self._item_codes))
        arrays = {name: np.concatenate([chunk[name] for chunk in self._chunks]) for name in self._chunks[0]}
        arrays["client"] = _as_ranks(arrays["client"], self._clients)
        arrays["window"] = _as_ranks(arrays["window"], self._windows)
        arrays["address"] = _as_ranks(arrays["address"], self._addresses)
        return Responses(response_id=self._ids, item_codes=self._item_codes, **arrays)


def _factoriser() -> defaultdict:
    """A dict handing out 0, 1, 2 ... to new keys; blank keys map to -1 (no client/window)."""
    table = defaultdict(count().__next__)
    table[""] = table[None] = -1
    return table


def _as_ranks(codes: np.ndarray, table: Mapping) -> np.ndarray:
    """Codes handed out in order of first appearance, renumbered in sorted order of their keys.

    Screening breaks ties between rows by these codes; as ranks they are the same whatever the order
    of the rows, so permuting the rows cannot change a result.
    """
    keys = [key for key, code in table.items() if code >= 0]  # insertion order: codes 0, 1, 2 ...
    if not keys:
        return codes
    rank = np.empty(len(keys), np.int64)
    rank[np.argsort(np.array(keys, dtype=str), kind="stable")] = np.arange(len(keys))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)


def _lookup(values: Sequence, table: Mapping, dtype, line: int, message: Callable[[object], str]) -> np.ndarray:
    """Map every value through `table` in one C-level pass; on a miss, name the line of the first one."""
    try:
        return np.fromiter(map(table.__getitem__, values), dtype, count=len(values))
    except (KeyError, TypeError):
        bad = next(i for i, value in enumerate(values) if not _has(table, value))
        raise InputError(line + bad, message(values[bad])) from None


def _has(table: Mapping, value) -> bool:
    try:
        return value in table
    except TypeError:  # unhashable
        return False


def _parse_levels(values: Sequence, item_code: str, line: int) -> np.ndarray:
    return _lookup(values, _LEVEL_CODES, np.int8, line,
                   lambda v: f"{ITEM_PREFIX}{item_code} 的等级应为 1-5 或留空，实际为 {v!r}")


def _parse_times(values: Sequence, line: int) -> np.ndarray:
    """ISO 8601 → datetime64[s] in China Standard Time.

    Fast path: numpy parses naive ISO strings in C. The length check keeps out what numpy accepts but
    ISO dates are not ('now', 'today', '2024'); numpy's warning about UTC offsets sends those strings,
    like datetime objects and bad values, to the one-by-one path, which converts offsets to CST.
    """
    try:
        if min(map(len, values), default=10) >= 10:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                return np.array(values, dtype="datetime64[s]")
    except (TypeError, ValueError, UserWarning):
        pass
    try:
        seconds = np.fromiter(map(_cst_seconds, values), np.int64, count=len(values))
    except (TypeError, ValueError):
        bad = next(i for i, value in enumerate(values) if not _is_time(value))
        raise InputError(line + bad, f"submitted_at 不是有效的 ISO 8601 时间：{values[bad]!r}") from None
    return seconds.astype("datetime64[s]")


def _cst_seconds(value) -> int:
    """Seconds since 1970-01-01 00:00 on the CST wall clock (so datetime64 shows CST)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TIME).replace(tzinfo=None)
    return (moment - datetime(1970, 1, 1)) // timedelta(seconds=1)


def _is_time(value) -> bool:
    try:
        _cst_seconds(value)
        return True
    except (TypeError, ValueError):
        return False


def _parse_durations(values: Sequence, line: int) -> np.ndarray:
    """Seconds as float64; blank → NaN (unknown, never a speeder). Negative is an error."""
    try:
        seconds = np.array(values, dtype=np.float64)  # numpy parses the strings in C; blanks make it fail
    except (TypeError, ValueError):
        seconds = np.array([_duration(value, line + i) for i, value in enumerate(values)], dtype=np.float64)
    negative = np.flatnonzero(seconds < 0)
    if negative.size:
        raise InputError(line + int(negative[0]), f"duration_s 不能为负：{values[negative[0]]!r}")
    return seconds


def _duration(value, line: int) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(line, f"duration_s 不是数字：{value!r}") from None


def _check_header(header: list[str], required: Sequence[str]) -> list[str]:
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(1, f"缺少列：{', '.join(missing)}")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(1, f"列名重复：{', '.join(duplicated)}")
    return header


def _trim_blank_tail(rows: list[list[str]], rest: Iterable, line: int) -> tuple[list[list[str]], bool]:
    """Blank lines are allowed at the end of a file (editors add them) and nowhere else.

    Returns the rows before the first blank one and whether the file ended there; `rest` is the
    unread remainder, checked for further content."""
    if [] not in rows:
        return rows, False
    first = rows.index([])
    if any(rows[first:]) or any(rest):
        raise InputError(line + first, "文件中间有空行")
    return rows[:first], True


def _check_widths(rows: list[list[str]], width: int, line: int):
    if set(map(len, rows)) - {width}:
        bad = next(i for i, row in enumerate(rows) if len(row) != width)
        raise InputError(line + bad, f"应有 {width} 列，实际为 {len(rows[bad])} 列")
