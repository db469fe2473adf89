"""RESPONSES.csv read column by column with pyarrow (issue 13): the same checks, errors and arrays as the
csv-module reader it replaced, in a fraction of the time and in bounded memory.

pyarrow's streaming reader splits the file into rows of text fields; nothing here runs Python code per
row. The rows are checked in chunks of CHUNK_ROWS lines in the order the old reader checked them, so a
file with several faults still reports the same first one:

    1. a blank line followed by anything but blank lines  第N行：文件中间有空行
    2. a row with another number of fields                 第N行：应有 W 列，实际为 n 列
    3. the values, column by column (response_id, unit_code, group, submitted_at, duration_s, q:…)

Line numbers are physical lines (the header is line 1); a value may not contain a line break.
Values in the usual forms (times as 2024-03-01T09:30:00, durations as plain decimals) are converted by
pyarrow; a chunk with any other form goes through the same Python conversions as records from the
database (responses_io), so unusual values are read exactly as before.
"""
from __future__ import annotations

import csv
import os
from typing import Callable, Mapping, Sequence

import numpy as np

from stats.responses_io import (ADDRESS_COLUMN, BASE_COLUMNS, CHUNK_ROWS, GROUPS, ITEM_PREFIX, InputError, Responses,
                                _check_header, _parse_durations, _parse_times)

_NOT_UTF8 = "含有非 UTF-8 编码的字符，请将文件另存为 UTF-8 编码后重新导入"
_DIGIT_POSITIONS = [i for i in range(19) if i not in (4, 7, 10, 13, 16)]  # in 2024-03-01T09:30:00


def read_responses(path: str, units: Sequence[Mapping], progress: Callable[[int, int], None] | None = None,
                   *, chunk_rows: int = CHUNK_ROWS) -> Responses:
    """RESPONSES.csv → Responses. `progress(done_bytes, total_bytes)` is called after every chunk."""
    header = _header(path)
    items = [(i, name[len(ITEM_PREFIX):]) for i, name in enumerate(header) if name.startswith(ITEM_PREFIX)]
    if not items:
        raise InputError(1, f"没有题目列（列名以 {ITEM_PREFIX} 开头）")
    builder = _ColumnBuilder(units, header, items)
    chunks = _Chunks(path, len(header), chunk_rows)
    total = os.path.getsize(path)
    for line, table in chunks:
        builder.add(line, table)
        if progress:
            progress(min(chunks.position(), total), total)
    if progress:
        progress(total, total)
    return builder.build()


def _header(path: str) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(1, _NOT_UTF8) from None
    return _check_header(next(csv.reader([text]), []), BASE_COLUMNS)


class _Chunks:
    """(first line, pyarrow Table of string columns) per CHUNK_ROWS physical lines of data.

    pyarrow hands over the well-formed rows; rows with another number of fields are noted (line, count)
    by its handler, so the line of every row is known. Blank lines arrive as rows of empty fields.
    """

    def __init__(self, path: str, width: int, chunk_rows: int):
        from pyarrow import csv as arrow_csv, string
        self.path, self.width, self.rows = path, width, chunk_rows
        self.invalid: list[tuple[int, int]] = []  # (line, number of fields), in line order
        self.buffer, self.buffered, self.taken = [], 0, 0  # batches not yet handed out; rows handed out
        self.exhausted = self.ended = False
        names = [f"c{i}" for i in range(width)]
        self._source = _open_source(path)
        try:  # opening reads the first block already
            self._stream = arrow_csv.open_csv(
                self._source,
                read_options=arrow_csv.ReadOptions(use_threads=False, skip_rows=1, column_names=names),
                parse_options=arrow_csv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=self._note),
                convert_options=arrow_csv.ConvertOptions(column_types={name: string() for name in names},
                                                         strings_can_be_null=False))
        except _arrow_invalid() as error:
            raise _parse_failure(path, error) from None

    def _note(self, row) -> str:
        self.invalid.append((row.number, row.actual_columns))
        return "skip"

    def position(self) -> int:
        return self._source.tell()

    def __iter__(self):
        line = 2
        while not self.ended and (chunk := self._chunk(line)) is not None:
            yield line, chunk
            line += self.rows

    def _line_of(self, rows: np.ndarray) -> np.ndarray:
        """Physical lines of well-formed rows (0-based positions among them, in file order)."""
        if not self.invalid:
            return rows + 2
        bad = np.array([line for line, _ in self.invalid])
        rows_before_bad = bad - 2 - np.arange(len(bad))
        return rows + 2 + np.searchsorted(rows_before_bad, rows, side="right")

    def _pull(self) -> bool:
        try:
            batch = self._stream.read_next_batch()
        except StopIteration:
            self.exhausted = True
            return False
        except _arrow_invalid() as error:
            raise _parse_failure(self.path, error) from None
        self.buffer.append(batch)
        self.buffered += batch.num_rows
        return True

    def _known_through(self) -> float:
        """The last line whose row (well-formed or not) has been read."""
        if self.exhausted:
            return float("inf")
        last = self.taken + self.buffered - 1
        return int(self._line_of(np.array([last]))[0]) if last >= 0 else 1

    def _chunk(self, start: int):
        end = start + self.rows
        while self._known_through() < end - 1 and self._pull():
            pass
        lines = self._line_of(np.arange(self.taken, self.taken + self.buffered))
        count = int(np.searchsorted(lines, end))
        invalid = [(line, n) for line, n in self.invalid if start <= line < end]
        if not count and not invalid and self.exhausted:
            return None
        table = self._take(count)
        blank = self._first_blank(table, lines[:count])
        if blank is not None:
            if self._content_after(blank, table, lines[:count]):
                raise InputError(blank, "文件中间有空行")
            table, self.ended = table.slice(0, int(np.searchsorted(lines[:count], blank))), True
        if invalid:
            raise InputError(invalid[0][0], f"应有 {self.width} 列，实际为 {invalid[0][1]} 列")
        return table

    def _take(self, count: int):
        import pyarrow as pa
        table = pa.Table.from_batches(self.buffer, schema=self._stream.schema)
        rest = table.slice(count)
        self.buffer, self.buffered = rest.to_batches(), rest.num_rows
        self.taken += count
        return table.slice(0, count)

    def _first_blank(self, table, lines: np.ndarray) -> int | None:
        """Line of the first blank line among `lines` (a blank line and a row of empty fields look alike
        to pyarrow: the file's own bytes tell them apart)."""
        candidates = lines[_all_empty(table)]
        if not candidates.size:
            return None
        raw = _raw_lines(self.path, candidates.tolist())
        return next((line for line in candidates.tolist() if raw[line] in (b"", b"\r")), None)

    def _content_after(self, blank: int, table, lines: np.ndarray) -> bool:
        """Is anything but blank lines after line `blank`? Reads on only while the answer is no."""
        after = lines > blank
        if not _all_empty(table)[after].all():
            return True
        later, pending = lines[after].tolist(), list(self.buffer)
        while True:
            if any(line > blank for line, _ in self.invalid) or not all(_all_empty(b).all() for b in pending):
                return True
            if not self._pull():
                break
            pending = self.buffer[-1:]
        later += self._line_of(np.arange(self.taken, self.taken + self.buffered)).tolist()
        raw = _raw_lines(self.path, later)
        return any(raw[line] not in (b"", b"\r") for line in later)


def _open_source(path: str):
    from pyarrow import OSFile
    return OSFile(path)


def _arrow_invalid():
    from pyarrow import ArrowInvalid
    return ArrowInvalid


def _parse_failure(path: str, error: Exception) -> InputError:
    """What pyarrow could not read at all: text that is not UTF-8, or a line break inside quotes."""
    line = _first_undecodable_line(path)
    if line is not None:
        return InputError(line, _NOT_UTF8)
    return InputError(1, f"无法读取文件（引号内不能换行）：{error}")


def _first_undecodable_line(path: str) -> int | None:
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _raw_lines(path: str, wanted: list[int], block: int = 1 << 20) -> dict[int, bytes]:
    """The bytes of the physical lines `wanted` (without their line break), counting in C block by block."""
    result, targets = {}, sorted(set(wanted))
    if not targets:
        return result
    with open(path, "rb") as f:
        line, carry = 1, b""
        while targets and (data := f.read(block)):
            data, newlines = carry + data, data.count(b"\n") + carry.count(b"\n")
            if line + newlines < targets[0]:  # the wanted line starts in a later block
                line += newlines
                carry = b""
                continue
            parts = data.split(b"\n")
            carry = parts.pop()  # the unfinished last line
            for part in parts:
                if targets and line == targets[0]:
                    result[targets.pop(0)] = part
                line += 1
        for target in targets:  # the last line, without a line break, or lines past the end
            result[target] = carry if target == line else b""
    return result


def _all_empty(table) -> np.ndarray:
    """Rows whose every field is empty."""
    import pyarrow.compute as pc
    empty = np.ones(table.num_rows, bool)
    for column in table.columns:
        if not empty.any():
            break
        empty &= pc.equal(column, "").to_numpy(zero_copy_only=False)
    return empty


class _ColumnBuilder:
    """Checks each chunk's columns (errors name the line) and collects the arrays."""

    def __init__(self, units: Sequence[Mapping], header: list[str], items: list[tuple[int, str]]):
        import pyarrow as pa
        self._units = pa.array([unit["code"] for unit in units], pa.string())
        self._groups = pa.array(GROUPS, pa.string())
        self._base = [header.index(name) for name in BASE_COLUMNS]
        self._address = header.index(ADDRESS_COLUMN) if ADDRESS_COLUMN in header else None
        self._items = items
        self._ids: list[str] = []
        self._parts: dict[str, list] = {name: [] for name in ("unit", "group", "submitted_at", "duration_s", "client",
                                                              "window", "address", "levels")}

    def add(self, line: int, table):
        rid, unit, group, submitted_at, duration_s, client, window = (table.column(i).combine_chunks()
                                                                      for i in self._base)
        empty = _strings(rid)[2] == 0
        if empty.any():
            raise InputError(line + int(np.argmax(empty)), "response_id 为空")
        parts = self._parts
        parts["unit"].append(_codes(unit, self._units, np.int32, line, lambda v: f"未知的单位代码 {v!r}"))
        parts["group"].append(_codes(group, self._groups, np.int8, line,
                                     lambda v: f"group 应为 fixed 或 nonfixed，实际为 {v!r}"))
        parts["submitted_at"].append(_times(submitted_at, line))
        parts["duration_s"].append(_durations(duration_s, line))
        parts["client"].append(client)
        parts["window"].append(window)
        if self._address is not None:
            parts["address"].append(table.column(self._address).combine_chunks())
        levels = np.empty((table.num_rows, len(self._items)), np.int8)
        for k, (i, code) in enumerate(self._items):
            levels[:, k] = _levels(table.column(i).combine_chunks(), code, line)
        parts["levels"].append(levels)
        self._ids.extend(rid.to_pylist())

    def build(self) -> Responses:
        parts, arrays = self._parts, {}
        for name in ("unit", "group", "submitted_at", "duration_s", "levels"):
            arrays[name] = np.concatenate(parts[name]) if parts[name] else _empty(name, len(self._items))
            parts[name].clear()  # one column's chunks freed before the next is joined
        for name in ("client", "window"):
            arrays[name] = _ranks(parts[name])
        if self._address is not None:
            arrays["address"] = _ranks(parts["address"])
        return Responses(response_id=self._ids, item_codes=tuple(code for _, code in self._items), **arrays)


def _empty(name: str, n_items: int) -> np.ndarray:
    dtypes = {"unit": np.int32, "group": np.int8, "submitted_at": "datetime64[s]", "duration_s": np.float64}
    return np.zeros((0, n_items), np.int8) if name == "levels" else np.zeros(0, dtypes[name])


def _strings(column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start offsets, UTF-8 bytes, lengths) of a string array, straight from its buffers."""
    _, offsets, data = column.buffers()
    offsets = np.frombuffer(offsets, np.int32)[column.offset:column.offset + len(column) + 1] \
        if offsets is not None else np.zeros(1, np.int32)
    chars = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets[:-1], chars, np.diff(offsets)


def _first_bad(bad: np.ndarray) -> int:
    return int(np.argmax(bad))


def _codes(column, value_set, dtype, line: int, message: Callable[[str], str]) -> np.ndarray:
    """Position of each value in `value_set`; a value not in it is an error naming its line."""
    import pyarrow.compute as pc
    codes = pc.index_in(column, value_set=value_set).fill_null(-1).to_numpy()
    missing = codes < 0
    if missing.any():
        bad = _first_bad(missing)
        raise InputError(line + bad, message(column[bad].as_py()))
    return codes.astype(dtype)


def _levels(column, item_code: str, line: int) -> np.ndarray:
    """'' → 0 and '1'…'5' → 1…5, from the characters themselves; anything else names its line."""
    starts, chars, length = _strings(column)
    first = chars[np.minimum(starts, max(len(chars) - 1, 0))].astype(np.int16) if chars.size \
        else np.zeros(len(length), np.int16)
    level = np.where(length == 1, first - ord("0"), 0)
    bad = (length > 1) | ((length == 1) & ((level < 1) | (level > 5)))
    if bad.any():
        at = _first_bad(bad)
        raise InputError(line + at, f"{ITEM_PREFIX}{item_code} 的等级应为 1-5 或留空，实际为 {column[at].as_py()!r}")
    return level.astype(np.int8)


def _times(column, line: int) -> np.ndarray:
    """2024-03-01T09:30:00 (or with a space) by pyarrow; any other form the way records are read."""
    import pyarrow as pa
    import pyarrow.compute as pc
    starts, chars, length = _strings(column)
    if len(column) and (length == 19).all():  # then the values lie end to end: a (n, 19) view of the bytes
        text = chars[starts[0]:starts[0] + 19 * len(column)].reshape(-1, 19)
        shaped = ((text[:, [4, 7]] == ord("-")).all() and (text[:, [13, 16]] == ord(":")).all()
                  and np.isin(text[:, 10], (ord("T"), ord(" "))).all()
                  and ((text[:, _DIGIT_POSITIONS] - ord("0")) < 10).all())
        if shaped:
            try:
                return pc.cast(column, pa.timestamp("s")).to_numpy().astype("datetime64[s]")
            except pa.ArrowInvalid:  # an impossible date: the slow path names it
                pass
    return _parse_times(column.to_pylist(), line)


def _durations(column, line: int) -> np.ndarray:
    """Seconds; pyarrow parses what it can (it is stricter than Python: ' 12' and '1_000' go the slow way)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if (_strings(column)[2] == 0).any():  # blank = unknown: null for pyarrow, NaN for NumPy
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    try:
        seconds = pc.cast(column, pa.float64())
    except pa.ArrowInvalid:
        return _parse_durations(column.to_pylist(), line)
    seconds = seconds.to_numpy(zero_copy_only=False)
    negative = np.flatnonzero(seconds < 0)
    if negative.size:
        raise InputError(line + int(negative[0]), f"duration_s 不能为负：{column[int(negative[0])].as_py()!r}")
    return seconds


def _ranks(chunks: list) -> np.ndarray:
    """Each value's rank among the distinct non-blank values in sorted (code point) order; blank → -1.

    The same codes as responses_io gives records: screening breaks ties by them, whatever the row order."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not chunks:
        return np.zeros(0, np.int64)
    encoded = pc.dictionary_encode(pa.concat_arrays(chunks))  # one hash pass: codes in order of appearance
    chunks.clear()
    keys = encoded.dictionary
    rank = np.empty(len(keys), np.int64)
    rank[pc.sort_indices(keys).to_numpy()] = np.arange(len(keys))
    blank = keys.index("").as_py()
    if blank >= 0:  # "" sorts first: it takes no rank, and the others move up by one
        rank -= 1
        rank[blank] = -1
    return rank[encoded.indices.to_numpy()]
