"""A run's stored results shaped for people: per-category tables and one unit's detail, with labels.

Pages, exports and PDF notices all read a run through these functions, so they always agree.
"""

from surveys.models import GROUP_LABELS

REASON_LABELS = {
    "duplicate_id": "答卷编号重复",
    "empty": "未作答任何题目",
    "repeat_client": "同一终端短时间内重复提交",
    "speeder": "答题用时过短",
    "address_burst": "同一网络地址短时间内大量提交",
    "burst": "同一窗口短时间内集中提交",
    "appeal_upheld": "申诉复核成立",
}
BASELINE_LABELS = {"window": "本窗口以往各小时的中位数", "unit": "本单位其他窗口各小时的中位数",
                   "category": "本类别单位窗口各小时的中位数"}


def _hour(text):
    """"2024-03-04T10:00" (Beijing wall clock) as 2024年3月4日10时."""
    day, clock = text.split("T")
    year, month, date = (int(part) for part in day.split("-"))
    return f"{year}年{month}月{date}日{int(clock.split(':')[0])}时"


def evidence_text(entry):
    """Why screening held an excluded response, in words: the window-hour's count against its expected
    rate, or the address hash's count against its limit; "" when the run kept no evidence."""
    evidence = entry.get("evidence")
    if not evidence:
        return ""
    if entry["reason"] == "address_burst":
        return (f"{_hour(evidence['hour'])}：同一网络地址向本单位提交{evidence['address_count']}份，"
                f"上限{evidence['limit']}份")
    chance = "不足万分之一" if evidence["p"] < 1e-4 else f"约{evidence['p']:.4f}"
    text = (f"{_hour(evidence['hour'])}：本窗口该小时{evidence['count']}份，预期约{evidence['expected']:g}份"
            f"（{BASELINE_LABELS.get(evidence['baseline'], evidence['baseline'])}），偶然出现的概率{chance}")
    if evidence.get("address_count"):
        text += f"；其中同一网络地址{evidence['address_count']}份"
    return text
FLAG_LABELS = {
    "no_data": "无有效答卷",
    "missing_group": "缺少一类服务对象的答卷",
    "small_sample": "样本量偏少",
    "below_min_sample": "有效答卷不足，不参与排名",
    "missing_parts": "有考核项目分值未导入",
}
FLAG_SHORT = {  # for the narrow 标记 column of the run tables; the full label is the badge's title
    "no_data": "无答卷",
    "missing_group": "缺一类对象",
    "small_sample": "样本少",
    "below_min_sample": "不排名",
    "missing_parts": "缺项计0分",
}
STATUS_LABELS = {"draft": "草稿", "published": "已发布"}
INPUT_LABELS = {"units": "单位名单", "responses": "答卷", "parts": "考核项目分值", "adjustments": "加减分台账",
                "reinstatements": "恢复计分的答卷", "followup": "差评回访与整改", "appeals": "申诉复核成立的评价",
                "scheme": "考核方案"}
GROUPS = tuple(GROUP_LABELS.items())  # (code, label) for fixed, nonfixed


def part_label(results, part):
    return results["part_names"].get(part, part)


def survey_max(results):
    """The survey part's maximum (the axis of the interval charts)."""
    return max(c["parts"].get(results["survey_part"], 0) for c in results["categories"]) or 1


def flag_text(flags):
    return "、".join(FLAG_LABELS.get(flag, flag) for flag in flags)


def unranked_reason(results, row):
    """Why a unit has no rank, in words for officials: "有效样本不足30份", "无有效答卷" …; None if ranked."""
    if row["rank"] is not None:
        return None
    if "no_data" in row["flags"]:
        return "无有效答卷"
    if "below_min_sample" in row["flags"]:
        minimum = results.get("min_ranked")
        return f"有效样本不足{minimum}份" if minimum else "有效样本不足"
    return "考核数据不完整"


def rank_text(results, row, table):
    """The rank as a report states it: "第 2 名（本类共 14 个单位参与排名）", or "不参与排名（…）"."""
    if row["rank"] is None:
        return f"不参与排名（{unranked_reason(results, row)}）"
    return f"第 {row['rank']} 名（本类共 {table['ranked']} 个单位参与排名）"


def unranked_units(results):
    """[(name, category name, reason)] of every unit the run leaves without a rank, in category order."""
    return [(row["name"], table["name"], unranked_reason(results, row))
            for table in category_tables(results) for row in table["rows"] if row["rank"] is None]


def _by_code(rows):
    return {row.get("unit_code", row.get("code")): row for row in rows}


def _rank_key(row):
    return (row["rank"] is None, row["rank"] or 0, row["unit_code"])


def category_tables(results):
    """[{"code", "name", "parts": [(part, label, max)], "rows": [...], "ranked": n}] in rank order within
    each category; `ranked` counts the units that have a rank.

    A row: unit_code, name, rank, total, parts {part: points}, bonus, deduction, flags (totals and
    survey flags together), survey (the unit's survey row: index, points_ci, n_fixed …).
    """
    names = {u["code"]: u["name"] for u in results["registry"]}
    survey = _by_code(results["units"])
    tables = []
    for category in results["categories"]:
        rows = [{**row, "name": names.get(row["unit_code"], row["unit_code"]),
                 "survey": survey.get(row["unit_code"], {}),
                 "flags": list(dict.fromkeys(row["flags"] + survey.get(row["unit_code"], {}).get("flags", [])))}
                for row in results["totals"] if row["category"] == category["code"]]
        if rows:
            tables.append({"code": category["code"], "name": category["name"],
                           "parts": [(p, part_label(results, p), m) for p, m in category["parts"].items()],
                           "rows": sorted(rows, key=_rank_key),
                           "ranked": sum(1 for row in rows if row["rank"] is not None)})
    return tables


def unit_detail(results, code):
    """Everything a unit page or report card shows for one unit, or None if the run has no such unit."""
    table = next((t for t in category_tables(results) if any(r["unit_code"] == code for r in t["rows"])), None)
    if table is None:
        return None
    row = next(r for r in table["rows"] if r["unit_code"] == code)
    survey = row["survey"]
    groups = [{"code": g, "label": label, "n": survey.get(f"n_{g}", 0), "index": survey.get(f"index_{g}"),
               "rate": survey.get(f"rate_{g}"), "rate_ci": survey.get(f"rate_{g}_ci")} for g, label in GROUPS]
    return {
        "row": row, "table": table, "survey": survey, "groups": groups, "rank_text": rank_text(results, row, table),
        "dimensions": results["dimensions"].get(code, {}),
        "adjustments": [a for a in results["adjustments"] if a["unit_code"] == code],
        "excluded_count": sum(1 for e in results["excluded"] if e.get("unit_code") == code),
        "straightline_count": len(results.get("straightline_by_unit", {}).get(code, ())),
        "survey_part": results["survey_part"],
    }


def dimension_means(results, category):
    """{dimension: plain mean over the category's units with data}, the reference ticks of the chart."""
    codes = {row["unit_code"] for row in results["totals"] if row["category"] == category}
    values = {}
    for code in codes:
        for dimension, value in results["dimensions"].get(code, {}).items():
            if value is not None:
                values.setdefault(dimension, []).append(value)
    return {dimension: sum(v) / len(v) for dimension, v in values.items()}


def flat_rows(results):
    """One flat row per unit (for CSV and XLSX) and the header, in category then rank order."""
    all_parts = list(dict.fromkeys(p for c in results["categories"] for p in c["parts"]))
    header = (["类别", "名次", "不参与排名的原因", "单位代码", "单位名称"] + [part_label(results, p) for p in all_parts]
              + ["加分", "减分", "总分", "满意度指数", "测评分区间下限", "测评分区间上限",
                 "固定服务对象有效答卷", "非固定服务对象有效答卷", "标记"])
    rows = []
    for table in category_tables(results):
        for row in table["rows"]:
            survey, ci = row["survey"], row["survey"].get("points_ci") or [None, None]
            rows.append([table["name"], row["rank"], unranked_reason(results, row) or "", row["unit_code"], row["name"]]
                        + [row["parts"].get(p) for p in all_parts]
                        + [row["bonus"], row["deduction"], row["total"], survey.get("index"), ci[0], ci[1],
                           survey.get("n_fixed"), survey.get("n_nonfixed"), flag_text(row["flags"])])
    return header, rows
