"""The citizen's side: filing through the form, the public status page, rating, bad input."""
import re

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import deductions, operations as ops
from complaints.models import Case, CaseEvent, Deduction, OutboxMessage
from tests.complaints.conftest import file_case, intake_data, post_multipart
from tests.conftest import csrf_from


def _count():
    return db.session.scalar(sa.select(sa.func.count(Case.id)))


def _status_page(client, number, code):
    """Look a case up by number and code, as a citizen would; returns the status page."""
    token = csrf_from(client.get("/cases/lookup").data)
    response = client.post("/cases/lookup", data={"csrf_token": token, "number": number, "code": code})
    assert response.status_code == 302, response.data.decode()[:500]
    return client.get(response.headers["Location"]).data.decode()


def test_thank_you_link_prefills_unit_and_window(client, window):
    html = client.get(f"/cases/new?unit={window.unit.code}&window={window.code}").data.decode()
    assert re.search(rf'<option value="{window.unit.code}" selected>', html)
    assert re.search(rf'<option value="{window.code}" data-unit="{window.unit.code}" selected>', html)
    for label in ("投诉", "咨询", "建议", "举报", "匿名反映", "个人信息处理说明"):
        assert label in html


def test_filing_gives_number_and_code_and_stores_the_case(client, window):
    number, code = file_case(client, window.unit, window_code=window.code)
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    assert (case.status, case.channel, case.kind, case.window_id) == ("received", "web", "complaint", window.id)
    assert (case.citizen_name, case.citizen_phone, case.anonymous) == ("张三", "13812345678", False)
    assert case.query_hash != code and len(code) == 8 and case.accept_due_on and case.reply_due_on
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert (event.action, event.from_status, event.to_status, event.actor_label) == ("create", None, "received", "市民")
    notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()
    assert notice.audience == "citizen" and number in notice.body and code not in notice.body


def test_status_page_shows_progress_and_nothing_personal(client, unit):
    number, code = file_case(client, unit, description="在窗口等了两小时")
    html = _status_page(client, number, code)
    assert "已收到，等待受理" in html and "受理期限" in html and unit.name in html
    for personal in ("张三", "13812345678", "138****5678", "在窗口等了两小时"):
        assert personal not in html


def test_fresh_browser_must_give_the_code(app, unit, client):
    number, _code = file_case(client, unit)
    stranger = app.test_client()
    response = stranger.get(f"/cases/{number}")
    assert response.status_code == 302 and "/cases/lookup" in response.headers["Location"]


def test_wrong_code_and_unknown_number_answer_exactly_alike(client, unit):
    """Same status, same page, same length: nothing tells a guesser that a number exists."""
    number, code = file_case(client, unit)
    token = csrf_from(client.get("/cases/lookup").data)
    answers = []
    for lookup_number, lookup_code in ((number, "ABCDEFGH"), ("20990101000000", code)):
        response = client.post("/cases/lookup", data={"csrf_token": token, "number": lookup_number,
                                                      "code": lookup_code})
        html = response.data.decode()
        assert "编号与查询码不匹配" in html and unit.name not in html and "已接收" not in html
        answers.append((response.status_code, len(response.data),
                        html.replace(lookup_number, "N").replace(lookup_code, "C")))
    assert answers[0] == answers[1] and answers[0][0] == 404


def test_declined_case_tells_the_citizen_why(client, unit, make):
    number, code = file_case(client, unit)
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    ops.decline(case, make.user("handler"), "该事项属于司法程序，不属于效能投诉受理范围，请向法院反映。")
    db.session.commit()
    html = _status_page(client, number, code)
    assert "不予受理" in html and "请向法院反映" in html


def test_citizen_rates_and_dissatisfied_reopens_once(client, unit, make):
    handler, liaison = make.user("handler"), make.user("liaison", unit=unit)
    number, code = file_case(client, unit)
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    ops.reply(case, handler, "已责成窗口整改。")
    db.session.commit()

    def rate(rating):
        html = _status_page(client, number, code)
        assert "请评价办理结果" in html
        response = client.post(f"/cases/{number}/rate", data={"csrf_token": csrf_from(html), "rating": rating})
        assert response.status_code == 302
        db.session.refresh(case)

    rate("dissatisfied")
    assert case.status == "reopened" and case.reopen_count == 1 and case.rating is None
    ops.unit_reply(case, liaison, "复查后已约谈当事人")
    ops.reply(case, handler, "复查答复：已约谈并通报。")
    db.session.commit()
    rate("dissatisfied")
    assert case.status == "closed" and case.rating == "dissatisfied"
    assert "请评价办理结果" not in _status_page(client, number, code)


def test_rating_before_a_reply_is_refused(client, unit):
    number, code = file_case(client, unit)
    assert "请评价办理结果" not in _status_page(client, number, code)
    token = csrf_from(client.get("/cases/lookup").data)
    response = client.post(f"/cases/{number}/rate", data={"csrf_token": token, "rating": "satisfied"})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(Case.status).where(Case.number == number)) == "received"


def test_fields_a_citizen_may_not_set_are_ignored(client, unit, make):
    other = make.unit()
    handler = make.user("handler")
    number, _code = file_case(client, unit, status="closed", assigned_unit_id=str(other.id), handler_id=str(handler.id),
                              accept_due_on="2099-01-01", reply_due_on="2099-01-01", identity_released="y",
                              first_receiver_id=str(handler.id), version="99")
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    assert case.status == "received" and case.assigned_unit_id is None and case.handler_id is None
    assert case.first_receiver_id is None and not case.identity_released and case.version == 1
    assert case.accept_due_on.year < 2099


def test_anonymous_filing_drops_name_and_phone(client, unit):
    number, _code = file_case(client, unit, anonymous="y", name="不该保存", phone="13800000000")
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    assert case.anonymous and case.citizen_name is None and case.citizen_phone is None
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.case_id == case.id)) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"description": "长" * 2001}, "情况描述不能超过2000字"),
    ({"description": "   "}, "请填写情况描述"),
    ({"phone": "02112345678"}, "请填写11位中国大陆手机号码"),
    ({"phone": "12345678901"}, "请填写11位中国大陆手机号码"),
    ({"phone": "1381234567８"}, "请填写11位中国大陆手机号码"),
    ({"phone": ""}, "请填写手机号，或选择匿名反映"),
    ({"name": ""}, "请填写姓名，或选择匿名反映"),
    ({"name": "名" * 31}, "姓名不能超过30字"),
    ({"consent": None}, "请阅读并同意个人信息处理说明后提交"),
    ({"kind": "praise"}, "类型无效"),
    ({"unit_code": "NO-SUCH-UNIT"}, "请从列表中选择被反映的单位"),
    ({"window_code": "W-OF-ANOTHER"}, "该窗口不属于所选单位"),
])
def test_bad_input_is_refused_and_stores_nothing(client, unit, make, overrides, message):
    make.window(code="W-OF-ANOTHER")
    db.session.commit()
    response = post_multipart(client, "/cases/new", intake_data(client, unit, **overrides))
    assert response.status_code == 400 and message in response.data.decode()
    assert _count() == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_huge_text_is_refused_before_parsing(client, unit):
    response = post_multipart(client, "/cases/new", intake_data(client, unit, description="x" * 1_000_000))
    assert response.status_code == 413 and "提交的内容过大" in response.data.decode()
    assert _count() == 0


def test_expired_token_keeps_what_was_typed(client, unit):
    data = intake_data(client, unit, description="保留我写的内容")
    data["csrf_token"] = "forged"
    response = post_multipart(client, "/cases/new", data)
    html = response.data.decode()
    assert response.status_code == 400 and "安全校验已过期" in html and "保留我写的内容" in html
    assert _count() == 0


def test_script_in_the_text_is_shown_escaped_everywhere(client, unit, make, login):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    number, code = file_case(client, unit, description=script, name="<b>王</b>")
    case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
    assert case.description == script  # stored as typed, escaped on output
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    ops.reply(case, handler, script)
    db.session.commit()
    assert "<script>alert" not in _status_page(client, number, code)
    login("handler")
    html = client.get(f"/staff/cases/{number}").data.decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "<img src=x" not in html and "<b>王</b>" not in html
    assert "<script>alert" not in client.get("/staff/cases/").data.decode()

    # The outbox shows the decline reason as typed.
    declined = ops.create_case(kind="complaint", unit=unit, description="x", name="王", phone="13812345678")[0]
    ops.decline(declined, handler, script)
    db.session.commit()
    login("admin")
    outbox = client.get("/admin/cases/outbox").data.decode()
    assert "&lt;script&gt;alert" in outbox and "<script>alert" not in outbox and "<img src=x" not in outbox


def test_script_on_the_extension_and_deduction_pages_is_shown_escaped(client, unit, make, login):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    handler = make.user("handler")
    case, _code = ops.create_case(kind="complaint", unit=unit, description=script, anonymous=True)
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    ops.request_extension(case, handler, 3, script)
    deduction = Deduction(unit_id=unit.id, year=2025, points=2, case_id=case.id, stage="reply",
                          due_on=case.reply_due_on, reason=script)
    db.session.add(deduction)
    db.session.flush()
    deductions.revoke(deduction, make.user("admin"), script)
    db.session.commit()
    login("admin")
    for url in ("/admin/cases/extensions", "/admin/cases/deductions?year=2025"):
        html = client.get(url).data.decode()
        assert "&lt;script&gt;alert" in html and "<script>alert" not in html and "<img src=x" not in html


def test_intake_is_rate_limited_per_client(client, unit):
    for _ in range(10):
        file_case(client, unit)
    response = post_multipart(client, "/cases/new", intake_data(client, unit))
    assert response.status_code == 429 and "太频繁" in response.data.decode()
    assert _count() == 10
