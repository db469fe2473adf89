"""Server-side SVG charts (no JavaScript): interval bars and plain bars, for pages and PDF notices.

Each row puts its label and value on a line of text above its bar, so the plot has the full width.
Horizontal positions are percentages of the chart's width and there is no viewBox: the chart takes the
width of its box while text keeps its size (12 px), where a scaled viewBox shrank it to 8 px on a phone.
Every label is escaped; the result is Markup.
"""
import math

from markupsafe import Markup, escape

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
SIDE, ROW_H, TOP = 4.0, 32, 6  # side margin (% of the width: room for edge ticks), row height (px), top (px)
MAIN, MUTED, HIGHLIGHT = "#b71c1c", "#777", "#0d47a1"


def _nice_step(span):
    """A round step (1, 2 or 5 × 10^k) giving at most six intervals over `span`."""
    magnitude = 10 ** math.floor(math.log10(span))
    return next(m * magnitude for m in (0.1, 0.2, 0.5, 1, 2, 5, 10) if span / (m * magnitude) <= 6)


def _axis(values, lower, upper):
    """(lo, hi, ticks): an axis around the values snapped to round ticks, kept within [lower, upper]."""
    values = [v for v in values if v is not None] or [lower, upper]
    low, high = min(values), max(values)
    step = _nice_step(high - low if high > low else (upper - lower) / 10)
    lo = max(lower, math.floor(low / step) * step)
    hi = min(upper, math.ceil(high / step) * step)
    if hi <= lo:  # every value equal and on a tick: show a step either side
        lo, hi = max(lower, lo - step), min(upper, hi + step)
    ticks = [round(lo + k * step, 10) for k in range(int((hi - lo) / step + 1e-9) + 1)]
    return lo, hi, ticks


def _scale(lo, hi):
    """value → x as a percentage string of the chart's width."""
    return lambda value: f"{SIDE + (value - lo) / (hi - lo) * (100 - 2 * SIDE):.2f}%"


def _frame(rows, ticks, x_of, unit, title, draw_row):
    """Grid lines, tick labels under the last row, and each row drawn by draw_row(row, y_text, y_bar)."""
    bottom = TOP + ROW_H * len(rows)
    body = [f'<line x1="{x_of(t)}" y1="{TOP}" x2="{x_of(t)}" y2="{bottom}" stroke="#e6e6e6"/>'
            f'<text x="{x_of(t)}" y="{bottom + 13}" text-anchor="middle" fill="{MUTED}" font-size="10">'
            f'{t:g}{unit}</text>' for t in ticks]
    for i, row in enumerate(rows):
        y = TOP + ROW_H * i
        body.extend(draw_row(row, y + 12, y + 22))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{bottom + 18}" role="img" '
        f'font-family=\'{FONT}\' font-size="12"><title>{escape(title)}</title>'
        f'{"".join(body)}</svg>')


def _text_line(label, value_text, y, bold=False, colour="#222"):
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{SIDE}%" y="{y}"{weight} fill="{colour}">{escape(label)}</text>'
            f'<text x="{100 - SIDE}%" y="{y}" text-anchor="end"{weight} fill="{colour}">{escape(value_text)}</text>')


def interval_chart(rows, *, lower, upper, title, unit="", digits=1):
    """One row per item: a dot at `value` and a band from `lo` to `hi`; a row with `highlight` stands out.

    rows: [{"label", "value", "lo", "hi", "highlight"}]; rows without a value are listed as 无数据 (or
    with their own "note").
    """
    lo, hi, ticks = _axis([v for r in rows for v in (r.get("lo"), r.get("hi"), r.get("value"))], lower, upper)
    x_of = _scale(lo, hi)

    def draw(row, y_text, y_bar):
        colour = HIGHLIGHT if row.get("highlight") else MAIN
        if row.get("value") is None:
            return [_text_line(row["label"], row.get("note", "无数据"), y_text, bold=row.get("highlight"),
                               colour=HIGHLIGHT if row.get("highlight") else MUTED)]
        value = f"{row['value']:.{digits}f}{unit}"
        if row.get("lo") is not None:
            value += f"({row['lo']:.{digits}f}–{row['hi']:.{digits}f})"
        parts = [_text_line(row["label"], value, y_text, bold=row.get("highlight"))]
        if row.get("lo") is not None:
            parts.append(f'<line x1="{x_of(row["lo"])}" y1="{y_bar}" x2="{x_of(row["hi"])}" y2="{y_bar}" '
                         f'stroke="{colour}" stroke-width="5" stroke-opacity="0.35" stroke-linecap="round"/>')
        parts.append(f'<circle cx="{x_of(row["value"])}" cy="{y_bar}" r="4" fill="{colour}"/>')
        return parts

    return _frame(rows, ticks, x_of, unit, title, draw)


def bar_chart(rows, *, maximum, title, digits=3):
    """Bars from 0 to `maximum`; an optional `reference` value is drawn as a dark tick across the bar.

    rows: [{"label", "value", "reference"}]; None values are listed as 无数据.
    """
    x_of = _scale(0, maximum)

    def draw(row, y_text, y_bar):
        if row.get("value") is None:
            return [_text_line(row["label"], "无数据", y_text, colour=MUTED)]
        value = f"{row['value']:.{digits}f}"
        if row.get("reference") is not None:
            value += f"（类别平均 {row['reference']:.{digits}f}）"
        width = row["value"] / maximum * (100 - 2 * SIDE)
        bar = f'<rect x="{SIDE}%" y="{y_bar - 5}" width="{width:.2f}%" height="10" fill="{MAIN}" fill-opacity="0.8"/>'
        parts = [_text_line(row["label"], value, y_text), bar]
        if row.get("reference") is not None:
            ref = x_of(row["reference"])
            parts.append(f'<line x1="{ref}" y1="{y_bar - 7}" x2="{ref}" y2="{y_bar + 7}" stroke="#222" '
                         f'stroke-width="2"/>')
        return parts

    return _frame(rows, _axis([0, maximum], 0, maximum)[2], x_of, "", title, draw)


def category_interval_chart(table, max_points, highlight=None):
    """The survey points and their intervals for every unit of a category, highest first; the units
    without data share one line at the end (a category may have dozens)."""
    rows, without = [], []
    for row in sorted(table["rows"], key=lambda r: -(r["survey"].get("points") or -1)):
        if row["survey"].get("points") is None:
            without.append(row)
            continue
        ci = row["survey"].get("points_ci") or [None, None]
        rows.append({"label": row["name"], "value": row["survey"].get("points"), "lo": ci[0], "hi": ci[1],
                     "highlight": row["unit_code"] == highlight})
    if without:
        here = any(row["unit_code"] == highlight for row in without)
        rows.append({"label": f"其余 {len(without)} 个单位" + ("（含本单位）" if here else ""), "value": None,
                     "note": "无有效答卷", "highlight": here})
    return interval_chart(rows, lower=0, upper=max_points, title=f"{table['name']}：测评得分及区间")


def group_rate_chart(groups):
    """Satisfaction rate of each group with its Wilson interval, in percent."""
    rows = []
    for g in groups:
        lo, hi = g["rate_ci"] or (None, None)
        rows.append({"label": f"{g['label']}(n={g['n']})", "value": _pct(g["rate"]), "lo": _pct(lo), "hi": _pct(hi)})
    return interval_chart(rows, lower=0, upper=100, title="满意率及区间", unit="%")


def _pct(value):
    return None if value is None else value * 100


def dimension_chart(dimensions, references):
    """Per-dimension index (0–1) with the category mean as a reference tick."""
    rows = [{"label": name, "value": value, "reference": references.get(name)}
            for name, value in sorted(dimensions.items())]
    return bar_chart(rows, maximum=1, title="各测评维度满意度指数")
