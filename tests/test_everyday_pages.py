"""Everyday pages (issue 14, part 4): the demo questionnaire's dimensions, citizen wording (选填, the
thank-you page, the status page), staff pages (flashes, the extension link, paper-entry windows)."""
import re

import pytest

from app.demo import FIXED_ITEMS, NONFIXED_ITEMS
from app.kernel.extensions import db
from complaints import operations as ops
from tests.conftest import csrf_from

OFFLINE_INDICATORS = {"服务态度", "办事效率", "服务水平", "总体评价"}  # 好差评: 服务态度, 服务效率, 服务水平, 整体满意


@pytest.mark.parametrize("items", [NONFIXED_ITEMS, FIXED_ITEMS])
def test_default_items_follow_the_offline_indicators_with_integrity_and_openness(items):
    by_code = {code: (text, dimension, unknown) for code, text, dimension, _weight, unknown in items}
    assert OFFLINE_INDICATORS | {"廉洁自律", "公开透明"} <= {dimension for _text, dimension, _u in by_code.values()}
    for code, (text, dimension, unknown) in by_code.items():
        assert unknown is (code != "overall"), f"不了解 on every item but the overall one ({code})"
        assert dimension[:2] in text or code in ("overall", "competence"), (code, text, dimension)
    assert all("一次性告知" not in text or dimension == "服务水平" for text, dimension, _u in by_code.values())


def test_optional_items_carry_a_mark_and_the_overall_one_does_not(client, make):
    make.campaign()
    window = make.window()
    html = client.get(f"/s/{window.code}").data.decode()
    legends = re.findall(r"<legend>(.*?)</legend>", html, re.S)
    assert len(legends) == len(NONFIXED_ITEMS)
    assert all("选填" in legend for legend in legends[:-1]) and "选填" not in legends[-1]
    assert "意见和建议（选填）" in html and "手机号（选填）" in html


def test_thanks_after_a_window_survey_says_what_follows_a_bad_rating_without_a_time(client, make):
    window = make.window()
    html = client.get(f"/thanks?unit={window.unit.code}&window={window.code}").data.decode()
    note = re.search(r'id="callback-note">([^<]+)<', html).group(1)
    assert "短信" in note and "查询码" in note
    assert not re.search(r"\d|小时|工作日|今天|明天|尽快|之前|前与您联系", note)
    assert note in client.get(f"/thanks?unit={window.unit.code}").data.decode()  # invitations ask for it too


def test_the_status_page_reads_as_a_citizen_would(client, make):
    unit = make.unit()
    case, code = ops.create_case(kind="complaint", unit=unit, description="事项", anonymous=True)
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    db.session.commit()
    client.post("/cases/lookup", data={"csrf_token": csrf_from(client.get("/cases/lookup").data),
                                       "number": case.number, "code": code})
    html = client.get(f"/cases/{case.number}").data.decode()
    main = html.split("<main")[1]
    assert "已受理，正在办理" in main
    for internal in ("交办", "承办", "复查", "临时", "联络员", "效能办内部"):
        assert internal not in main, internal


def test_flashes_are_sentences(client, make, login):
    unit = make.unit()
    case, _code = ops.create_case(kind="complaint", unit=unit, description="事项", anonymous=True)
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    db.session.commit()
    login("liaison", unit=unit)
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    token = re.search(r'name="unit_reply-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(f"/staff/cases/{case.number}/act/unit_reply", data={
        "unit_reply-csrf_token": token, "unit_reply-version": "3", "unit_reply-text": "已整改"})
    page = client.get(response.headers["Location"]).data.decode()
    assert "已提交单位答复意见。" in page and "已单位答复意见" not in page


def test_the_extensions_list_opens_the_approval_form(client, make, login):
    unit = make.unit()
    case, _code = ops.create_case(kind="complaint", unit=unit, description="事项", anonymous=True)
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    ops.request_extension(case, handler, 3, "需现场核查")
    db.session.commit()
    login("admin")
    listing = client.get("/admin/cases/extensions").data.decode()
    link = re.search(r'href="([^"]+)">' + case.number, listing).group(1).replace("&amp;", "&")
    html = client.get(link).data.decode()
    assert re.search(r'<details class="action" id="act-decide_extension" open>', html)
    assert not re.search(r'<details class="action" id="act-reply" open>', html)


def test_paper_entry_windows_name_their_unit_for_the_filter(client, make, login):
    make.campaign()
    first, second = make.window(), make.window()
    login("statistician")
    html = client.get("/admin/surveys/paper").data.decode()
    assert 'data-follows="unit"' in html
    assert f'data-parent="{first.unit.code}" value="{first.code}"' in html
    assert f'data-parent="{second.unit.code}" value="{second.code}"' in html



def test_every_action_of_the_case_page_says_what_it_did_in_a_sentence():
    from complaints.staff import ACTIONS, _done_message

    outcomes = {"close": "closed", "decide_extension": "refuse_extension"}
    for action in ACTIONS:
        message = _done_message(action, outcomes.get(action))
        assert message.startswith("已") and message.endswith("。") and "已单位" not in message, action
