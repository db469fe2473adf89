"""公示: /public/results lists the years with published results; /public/results/<year> shows, without
sign-in and cacheable, only the published run's index, rank, valid count, 差评 count, 回访率 and 整改率 per
unit, a server-side chart and the issued 通报 — nothing from drafts, no comments, ids or people."""
import re
from datetime import datetime

import numpy as np
import pytest

from app.kernel.extensions import db
from complaints import operations as ops
from stats.followup import bad_counts, followup_rows
from stats.responses_io import Responses
from stats.web.runs import create_run, issue_ranking_notice, publish_run
from tests.stats_web.conftest import YEAR

IN_YEAR = datetime(YEAR, 5, 6, 2, 0)
COMMENT = "窗口的王某某态度很凶"


@pytest.fixture
def callbacks(scored_units, make):
    """甲厅's four callback cases of the year: one waiting, one declined after the callback, one being
    rectified, one rectified (回访率 3/4, 整改率 1/2); and one of the next year, which does not count."""
    first = scored_units[0]
    handler = make.user("handler")

    def callback(now=IN_YEAR):
        case, _code = ops.create_case(kind="callback", unit=first, description="差评回访", phone="13700001111",
                                      channel="survey", now=now)
        return case

    callback()
    ops.decline(callback(), handler, "回访核实：市民表示误操作", now=IN_YEAR)
    for rectified in (False, True):
        case = callback()
        ops.accept(case, handler, now=IN_YEAR)
        ops.assign(case, handler, first, now=IN_YEAR)
        if rectified:
            ops.reply(case, handler, "已整改", now=IN_YEAR)
    callback(datetime(YEAR + 1, 1, 5, 2, 0))
    return first


@pytest.fixture
def bad_response(scored_units, respond):
    """乙厅 gets two 差评 (valid non-fixed responses rating everything 非常不满意), one with a comment:
    its non-fixed mean falls to 1/3, its index to 0.6 × 1 + 0.4 × 1/3 = 0.733, below 甲厅's 0.8."""
    respond(scored_units[1], "nonfixed", level=1)
    response = respond(scored_units[1], "nonfixed", level=1)
    response.comment = COMMENT
    return response


@pytest.fixture
def published(callbacks, bad_response, staff):
    run = create_run(YEAR, staff)
    publish_run(run, staff, confirm_missing_parts=True, confirm_unranked=True)
    db.session.commit()
    return run


def test_nothing_published_says_so(client, scored_units, staff):
    create_run(YEAR, staff)  # a draft is not public
    db.session.commit()
    listing = client.get("/public/results")
    assert listing.status_code == 200 and "暂无已发布的结果" in listing.text and f"{YEAR}年度" not in listing.text
    page = client.get(f"/public/results/{YEAR}")
    assert page.status_code == 404 and "暂无已发布的结果" in page.text and "甲厅" not in page.text


def test_the_published_year_shows_the_public_figures(client, published):
    listing = client.get("/public/results").text
    assert f'href="/public/results/{YEAR}"' in listing
    page = client.get(f"/public/results/{YEAR}")
    assert page.status_code == 200
    rows = {row.split("</td>")[1].split(">")[-1]: row for row in page.text.split("<tr>")[2:] if "</td>" in row}
    first, second = rows["甲厅"], rows["乙厅"]
    assert "0.800" in first and "75.0%" in first and "50.0%" in first  # index, 回访率, 整改率
    assert [cell.split(">")[-1] for cell in first.split("</td>")][:5] == ["1", "甲厅", "0.800", "3", "0"]
    assert [cell.split(">")[-1] for cell in second.split("</td>")][:5] == ["2", "乙厅", "0.733", "4", "2"]
    assert second.count("—") == 2  # no callback case: no rates, not 0 %
    assert "第一类" in page.text and "第二类" in page.text and "<svg" in page.text and "满意度指数" in page.text


def test_nothing_personal_nor_internal_reaches_the_page(client, published, bad_response):
    page = client.get(f"/public/results/{YEAR}").text
    for private in (COMMENT, bad_response.public_id, "13700001111", "/stats/", "测评得分区间", "加分", "标记", "草稿"):
        assert private not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/text-size.js">',  # no inline script
                                                  '<script src="/static/js/site.js" defer>']
    assert not re.search(r"\son\w+=", page) and "<style" not in page


def test_a_later_draft_stays_private(client, published, staff, respond, scored_units):
    for _ in range(3):
        respond(scored_units[0], "nonfixed", level=1)
    create_run(YEAR, staff)
    db.session.commit()
    first = next(row for row in client.get(f"/public/results/{YEAR}").text.split("<tr>") if "甲厅" in row)
    assert [cell.split(">")[-1] for cell in first.split("</td>")][2:5] == ["0.800", "3", "0"]


def test_the_page_is_cacheable_and_the_same_for_everyone(client, published, login):
    page = client.get(f"/public/results/{YEAR}")
    assert page.headers["Cache-Control"] == "public, max-age=600"
    assert page.headers["ETag"] and page.headers["Last-Modified"]
    assert "Set-Cookie" not in page.headers and "Cookie" not in page.headers.get("Vary", "")
    again = client.get(f"/public/results/{YEAR}", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    login("admin")
    signed_in = client.get(f"/public/results/{YEAR}")
    assert signed_in.text == page.text and "工作台" not in signed_in.text
    assert "Cookie" not in signed_in.headers.get("Vary", "") and "Set-Cookie" not in signed_in.headers


def test_the_issued_notice_is_linked_and_served(client, published, staff):
    assert "考核结果通报尚未印发" in client.get(f"/public/results/{YEAR}").text
    assert client.get(f"/public/results/{YEAR}/notice.pdf").status_code == 404
    document = issue_ranking_notice(published, staff, datetime(YEAR + 1, 1, 10).date())
    db.session.commit()
    page = client.get(f"/public/results/{YEAR}").text
    assert f'href="/public/results/{YEAR}/notice.pdf"' in page and document.code in page
    pdf = client.get(f"/public/results/{YEAR}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == document.pdf
    assert pdf.headers["Cache-Control"].startswith("public")


def test_home_and_run_pages_lead_to_the_public_results(client, published, staff):
    assert 'href="/public/results"' in client.get("/").text
    assert f'href="/public/results/{YEAR}"' in client.get(f"/stats/runs/{published.id}").text


def test_bad_counts_take_valid_responses_with_any_bad_level():
    units = [{"code": "A"}, {"code": "B"}]
    levels = np.array([[5, 2], [1, 1], [3, 4], [2, 0]], dtype=np.int8)
    responses = Responses(
        response_id=["r1", "r2", "r3", "r4"], unit=np.array([0, 0, 1, 1], np.int32), group=np.zeros(4, np.int8),
        submitted_at=np.zeros(4, "datetime64[s]"), duration_s=np.full(4, np.nan), client=np.full(4, -1),
        window=np.full(4, -1), levels=levels, item_codes=("q1", "q2"))
    valid = np.array([True, False, True, True])
    assert bad_counts(units, responses, valid, [1, 2]) == {"A": 1, "B": 1}
    rows = followup_rows(units, {"A": 1}, {"A": {"callbacks": 4, "called_back": 3, "to_rectify": 0}})
    assert rows["A"]["callback_rate"] == 0.75 and rows["A"]["rectification_rate"] is None
    assert rows["B"] == {"bad": 0, "callbacks": 0, "called_back": 0, "to_rectify": 0, "rectified": 0,
                         "callback_rate": None, "rectification_rate": None}


def test_the_staff_run_and_unit_pages_show_the_rates_beside_the_scores(client, published, staff):
    run_page = client.get(f"/stats/runs/{published.id}").text
    assert "回访率" in run_page and "整改率" in run_page
    row = next(r for r in run_page.split("<tr>") if "甲厅" in r)
    assert "75%<br>50%" in row and "已回访 3 / 差评回访件 4" in row
    unit_page = client.get(f"/stats/runs/{published.id}/units/A01").text
    assert 'id="followup"' in unit_page and "已整改 1 / 经核实需整改 2" in unit_page


def test_an_unranked_unit_says_why(client, published):
    page = client.get(f"/public/results/{YEAR}").text
    reasons = re.findall(r"不参与排名（([^）]+)）", page)
    unranked = [row for row in published.results["units"] if row.get("rank") is None]
    minimum = published.results["min_ranked"]
    assert unranked and len(reasons) == len(unranked)
    assert set(reasons) <= {"无有效答卷", f"有效样本不足{minimum}份"}
