"""The 考核结果通报 written from a run's results: plain official Chinese, no program words.

`ranking_notice(results, documents)` returns what templates/pdf/ranking.html prints: the title, the
body as (kind, text) blocks — kind "h2" (一、), "h3" (（一）) or "p" — and the attachment's tables.
"""
from app.kernel.text import chinese_numeral
from stats.web import report

TOP = 3  # units named at each end of a category's ranking
UNRANKED_REASONS = {
    "no_data": "没有有效的服务对象测评答卷",
    "below_min_sample": "服务对象测评有效答卷数量未达到排名要求",
}


def _names(rows):
    return "、".join(row["name"] for row in rows)


def _parts_sentence(results):
    """How the 1000 points are made up, category by category (categories sharing parts together)."""
    groups = {}
    for category in results["categories"]:
        parts = "、".join(f"{report.part_label(results, p)}（{m:g}分）" for p, m in category["parts"].items())
        groups.setdefault(parts, []).append(f"第{chinese_numeral(int(category['code']))}类")
    return "；".join(f"{'、'.join(codes)}单位由{parts}组成" for parts, codes in groups.items())


def _category_blocks(table, index):
    ranked = [row for row in table["rows"] if row["rank"] is not None]
    heading = f"（{chinese_numeral(index)}）第{chinese_numeral(int(table['code']))}类：{table['name']}"
    if not ranked:
        who = f"{len(table['rows'])}个单位均" if len(table["rows"]) > 1 else table["rows"][0]["name"]
        return [("h3", heading), ("p", f"本类{who}未达到排名条件，本年度暂不排名。")]
    count = f"本类{len(table['rows'])}个单位参加考核，{len(ranked)}个单位参与排名。"
    top = [row for row in ranked if row["rank"] <= TOP]
    if len(ranked) <= 2 * TOP:
        order = "、".join(f"{row['name']}（第{row['rank']}名）" for row in ranked)
        return [("h3", heading), ("p", f"{count}名次依次为：{order}。")]
    worst = ranked[-1]["rank"]
    bottom = [row for row in ranked if row["rank"] > worst - TOP and row not in top]
    text = f"{count}{_names(top)}位列前{TOP}名；{_names(bottom)}位列后{TOP}名。"
    return [("h3", heading), ("p", text)]


def _unranked_blocks(tables, min_ranked):
    reasons = {**UNRANKED_REASONS}
    if min_ranked:
        reasons["below_min_sample"] = f"服务对象测评有效答卷不足{min_ranked}份"
    by_reason = {}
    for table in tables:
        for row in table["rows"]:
            if row["rank"] is None:
                reason = next((reasons[f] for f in row["flags"] if f in reasons), "考核数据不完整")
                by_reason.setdefault(reason, []).append(row)
    if not by_reason:
        return []
    text = "；".join(f"{_names(rows)}{len(rows) > 1 and '等' + str(len(rows)) + '个单位' or ''}因{reason}"
                     for reason, rows in by_reason.items())
    return [("p", f"{text}，未参与本年度排名，其各项得分列入附件，仅供参考。")]


def ranking_notice(results, documents):
    """The notice's title, body blocks and attachment tables for one run's results."""
    year, tables = results["year"], report.category_tables(results)
    units = sum(len(t["rows"]) for t in tables)
    valid = sum(row.get("n_fixed", 0) + row.get("n_nonfixed", 0) for row in results["units"])
    kinds = "，".join(f"第{chinese_numeral(int(t['code']))}类{t['name']}{len(t['rows'])}个" for t in tables)
    body = [
        ("p", f"根据{documents['rules_title']}，{documents['issuer']}组织开展了{year}年度机关效能建设考核。"
              "现将考核结果通报如下。"),
        ("h2", "一、考核基本情况"),
        ("p", f"本次考核共有{units}个单位参加，按单位类别分别排名（{kinds}）。考核实行千分制，{_parts_sentence(results)}；"
              "另按规定计算加分和减分，加分、减分分别封顶。"),
        ("p", f"服务对象测评共收回答卷{results.get('response_count') or valid + len(results.get('excluded', []))}份，"
              f"其中有效答卷{valid}份；"
              f"依照考核方案剔除无效答卷{len(results.get('excluded', []))}份，剔除情况另行存档备查。"),
        ("h2", "二、考核结果"),
    ]
    for index, table in enumerate(tables, start=1):
        body += _category_blocks(table, index)
    unranked = _unranked_blocks(tables, results.get("min_ranked"))
    if unranked:
        body += [("h2", "三、未参与排名的单位"), *unranked]
    body += [
        ("h2", f"{'四' if unranked else '三'}、有关要求"),
        ("p", "各单位要认真对照考核结果，查找在履行职责、服务群众、规范权力运行等方面存在的差距，"
              "制定整改措施，切实提升机关效能。排名靠后的单位要深入分析原因，认真抓好整改，"
              f"并将整改情况报送{documents['issuer']}。"),
    ]
    return {"title": f"关于{year}年度机关效能建设考核结果的通报", "body": body, "tables": tables,
            "attachment": f"{year}年度机关效能建设考核结果"}


def render_ranking_notice(results, documents, *, dated, number=None, draft_mark=None):
    """The notice as PDF bytes; without a number it is a draft and says so."""
    from app.documents.layout import official
    from app.kernel.pdf import render_pdf

    notice = ranking_notice(results, documents)
    doc = official(documents, title=notice["title"], dated=dated, number=number, draft_mark=draft_mark,
                   attachments=[notice["attachment"]])
    return render_pdf("pdf/ranking.html", doc=doc, notice=notice)


def results_from_score(result, units, scheme, year):
    """A `stats score` RESULT (survey part only) shaped like a run's results, for a notice to check:
    names and categories from UNITS, totals from the survey points alone (other parts count as missing)."""
    from stats.totals import combine_totals

    points = {row["unit_code"]: row.get("points") for row in result["units"]}
    below = [row["unit_code"] for row in result["units"] if row.get("below_min_sample")]
    return {
        **result, "year": year, "registry": units, "response_count": None,
        "min_ranked": scheme["survey"]["min_ranked"],
        "totals": combine_totals(units, points, [], [], scheme, below_min_sample=below),
        "categories": [{"code": c["code"], "name": c["name"], "parts": c["parts"]} for c in scheme["categories"]],
        "part_names": scheme.get("part_names", {}), "survey_part": scheme["survey"]["part"],
    }
