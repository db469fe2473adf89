"""A run's results as CSV, XLSX and JSON files.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return) as a formula, and
skip leading blanks and control characters when they decide. So text is cleaned first (control
characters that XML cannot hold are removed, for CSV too, so both files say the same), then any value
whose first visible character starts a formula is neutralised with a leading apostrophe. XLSX cells
are also written as explicit strings, never as formulas. Numbers stay numbers: a negative number is
not text and cannot be a formula.
"""
import csv
import io
import json

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.kernel.text import spreadsheet_safe
from stats.web.report import REASON_LABELS, evidence_text, flat_rows



def neutralise(value):
    """Text safe for a spreadsheet cell: cleaned of control characters, then defused; other values as is."""
    if not isinstance(value, str):
        return value
    return spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value))


def _cells(row):
    return [neutralise(value) for value in row]


def _append(sheet, row):
    """Append a row; text cells are stored as strings, whatever they look like."""
    sheet.append(_cells(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def results_csv(run):
    """UTF-8 with a BOM, which Excel needs to read Chinese."""
    header, rows = flat_rows(run.results)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_cells(header))
    for row in rows:
        writer.writerow(_cells(_round(value) for value in row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def results_xlsx(run):
    """Sheet 考核结果 (one row per unit) and sheet 无效问卷 (excluded responses with their reasons)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考核结果"
    header, rows = flat_rows(run.results)
    _append(sheet, header)
    for row in rows:
        _append(sheet, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "E2"
    excluded = book.create_sheet("无效问卷")
    _append(excluded, ["答卷编号", "单位代码", "原因代码", "原因", "依据"])
    for entry in run.results["excluded"]:
        _append(excluded, [entry["response_id"], entry.get("unit_code", ""), entry["reason"],
                           REASON_LABELS.get(entry["reason"], entry["reason"]), evidence_text(entry)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def results_json(run):
    """The stored results with the run's identity, scheme and input hashes: enough to check it later."""
    document = {
        "run": {"year": run.year, "sequence": run.sequence, "status": run.status,
                "created_at": run.created_at.isoformat(),
                "published_at": run.published_at.isoformat() if run.published_at else None,
                "previous_run": run.previous_run.sequence if run.previous_run else None, "note": run.note},
        "scheme_sha256": run.scheme_sha256, "scheme_version": run.scheme_version, "input_hashes": run.input_hashes,
        **run.results,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
