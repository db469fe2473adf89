"""单位测评报告: one unit's report card, and all of a run's at once on every core (one PDF per unit plus
one merged PDF). The pages are rendered to HTML here; WeasyPrint's layout, the slow part, runs in a
process pool on plain strings, so the workers need neither the app nor the database."""
import io
import os
import re
from concurrent.futures import ProcessPoolExecutor

from flask import render_template

from app.kernel.pdf import pdf_from_html, render_pdf, static_root
from stats.web import charts, report


def unit_charts(run, detail):
    survey_max = report.survey_max(run.results)
    references = report.dimension_means(run.results, detail["row"]["category"])
    return {
        "category": charts.category_interval_chart(detail["table"], survey_max, highlight=detail["row"]["unit_code"]),
        "groups": charts.group_rate_chart(detail["groups"]),
        "dimensions": charts.dimension_chart(detail["dimensions"], references),
    }


def unit_parts(run, detail):
    """(part, label, max, points, source, note) for each part of the unit's category."""
    code = detail["row"]["unit_code"]
    imported = {p["part"]: p for p in run.results["parts"] if p["unit_code"] == code}
    return [(part, label, maximum, detail["row"]["parts"].get(part), imported.get(part, {}).get("source", ""),
             imported.get(part, {}).get("note", "")) for part, label, maximum in detail["table"]["parts"]]


def _context(run, detail):
    return {"run": run, "d": detail, "charts": unit_charts(run, detail), "parts": unit_parts(run, detail),
            "flag_text": report.flag_text}


def unit_report_pdf(run, detail):
    return render_pdf("pdf/unit_report.html", **_context(run, detail))


def _filename(index, detail):
    name = re.sub(r'[\\/:*?"<>|\s]+', "", detail["row"]["name"])
    return f"{index:03d}-{detail['row']['unit_code']}-{name}.pdf"


def write_all(run, out_dir, *, workers=None, progress=None):
    """Every unit's report into `out_dir`, in category then rank order, plus 全部单位.pdf merged; returns
    the paths written. `progress(done, total)` follows the rendering."""
    from pypdf import PdfWriter  # late: only this command needs it

    details = [report.unit_detail(run.results, row["unit_code"])
               for table in report.category_tables(run.results) for row in table["rows"]]
    pages = [render_template("pdf/unit_report.html", **_context(run, d)) for d in details]
    os.makedirs(out_dir, exist_ok=True)
    folder, paths, merged = static_root(), [], PdfWriter()
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for index, (detail, pdf) in enumerate(zip(details, pool.map(pdf_from_html, pages, [folder] * len(pages))),
                                              start=1):
            path = os.path.join(out_dir, _filename(index, detail))
            with open(path, "wb") as fh:
                fh.write(pdf)
            merged.append(io.BytesIO(pdf))
            paths.append(path)
            if progress:
                progress(index, len(pages))
    merged_path = os.path.join(out_dir, "全部单位.pdf")
    with open(merged_path, "wb") as fh:
        merged.write(fh)
    return paths + [merged_path]
