"""Handlers, unit liaisons and first receivers: the queue, actions, identity, access, export."""
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from complaints import operations as ops
from complaints.models import Case, CaseEvent, Extension, IdentityView, NoticeItem, OutboxMessage
from tests.complaints.conftest import any_csrf, file_case
from tests.conftest import csrf_from


def act(client, number, action, **fields):
    """Submit one action form of the case page, with the version the page showed."""
    html = client.get(f"/staff/cases/{number}").data.decode()
    token = re.search(rf'name="{action}-csrf_token" type="hidden" value="([^"]+)"', html)
    assert token, f"no {action} form on the page"
    version = re.search(rf'name="{action}-version" type="hidden" value="(\d+)"', html).group(1)
    data = {f"{action}-csrf_token": token.group(1), f"{action}-version": version}
    data.update({f"{action}-{key}": value for key, value in fields.items()})
    return client.post(f"/staff/cases/{number}/act/{action}", data=data)


def _case(number):
    db.session.expire_all()
    return db.session.scalars(sa.select(Case).where(Case.number == number)).one()


@pytest.fixture
def filed(client, unit):
    number, _code = file_case(client, unit)
    db.session.commit()
    return number


def test_handler_takes_a_case_from_acceptance_to_close(client, unit, filed, login, make):
    login("handler")
    assert act(client, filed, "accept", note="属效能投诉").status_code == 302
    case = _case(filed)
    assert case.status == "accepted" and case.reply_started_on and case.first_receiver_id == case.handler_id
    assert act(client, filed, "assign", unit_code=unit.code).status_code == 302
    assert _case(filed).assigned_unit_id == unit.id
    assert act(client, filed, "reply", text="已核实并整改。").status_code == 302
    assert act(client, filed, "close", rating="satisfied", note="电话回访，表示满意").status_code == 302
    case = _case(filed)
    assert (case.status, case.rating) == ("closed", "satisfied")
    moves = [(e.action, e.from_status, e.to_status) for e in case.events]
    assert moves == [("create", None, "received"), ("accept", "received", "accepted"),
                     ("assign", "accepted", "assigned"), ("reply", "assigned", "replied"),
                     ("close", "replied", "closed")]
    assert all(e.actor_id for e in case.events[1:]) and case.version == 5


def test_queue_is_sorted_by_deadline_and_masks_identity(client, unit, new_case, login):
    later = new_case(now=datetime(2025, 3, 3, 2, 0), name="欧阳修", phone="13912345678")
    sooner = new_case(now=datetime(2025, 2, 20, 2, 0), name="张三", phone="13812345678")
    db.session.commit()
    login("handler")
    html = client.get("/staff/cases/").data.decode()
    assert html.index(sooner.number) < html.index(later.number)
    assert "张*" in html and "138****5678" in html and "欧**" in html and "139****5678" in html
    assert "13812345678" not in html and "张三" not in html and "超期" in html


def test_full_identity_view_is_logged_each_time(client, filed, login):
    handler = login("handler")
    html = client.get(f"/staff/cases/{filed}").data.decode()
    assert "张*" in html and "13812345678" not in html
    for _ in range(2):
        token = csrf_from(client.get(f"/staff/cases/{filed}").data)
        html = client.post(f"/staff/cases/{filed}/identity", data={"csrf_token": token}).data.decode()
        assert "张三 13812345678" in html and "本次查看已记录" in html
    views = db.session.scalars(sa.select(IdentityView)).all()
    assert [v.user_id for v in views] == [handler.id, handler.id]


def _assigned(target, new_case, make, **fields):
    """A case accepted and assigned to `target`, committed."""
    handler = make.user("handler")
    case = new_case(**fields)
    ops.accept(case, handler)
    ops.assign(case, handler, target)
    db.session.commit()
    return case


def test_liaison_sees_only_own_unit_cases_and_no_identity(client, unit, new_case, make, login):
    other_unit = make.unit()
    mine = _assigned(unit, new_case, make, name="赵六", phone="13611112222")
    theirs = _assigned(other_unit, new_case, make, unit=other_unit)
    login("liaison", unit=unit)
    queue = client.get("/staff/cases/").data.decode()
    assert mine.number in queue and theirs.number not in queue and "赵" not in queue
    html = client.get(f"/staff/cases/{mine.number}").data.decode()
    assert "投诉人身份信息不向承办单位提供" in html and "赵" not in html and "1361" not in html
    assert client.post(f"/staff/cases/{mine.number}/identity",
                       data={"csrf_token": any_csrf(html)}).status_code == 403
    for url in (f"/staff/cases/{theirs.number}", f"/staff/cases/{theirs.number}/attachments/1"):
        assert client.get(url).status_code == 404
    token = any_csrf(html)
    assert client.post(f"/staff/cases/{theirs.number}/identity", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/staff/cases/{theirs.number}/act/unit_reply",
                       data={"unit_reply-csrf_token": token, "unit_reply-text": "x"}).status_code == 404
    export = client.get("/staff/cases/export.csv").data.decode("utf-8-sig")
    assert mine.number in export and theirs.number not in export and "赵" not in export and "手机号" not in export


def test_released_identity_reaches_the_liaison_for_that_case_only(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make, name="赵六", phone="13611112222")
    other = _assigned(unit, new_case, make, name="钱七", phone="13633334444")
    login("handler")
    assert act(client, case.number, "release", reason="需承办单位当面核实").status_code == 302
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.action == "release_identity")).one()
    assert event.note == "需承办单位当面核实" and event.from_status == event.to_status == "assigned"
    liaison = login("liaison", unit=unit)
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert "赵*" in html and "13611112222" not in html
    html = client.post(f"/staff/cases/{case.number}/identity", data={"csrf_token": csrf_from(html)}).data.decode()
    assert "赵六 13611112222" in html
    assert db.session.scalar(sa.select(IdentityView.user_id)) == liaison.id
    assert "钱" not in client.get(f"/staff/cases/{other.number}").data.decode()

    ops.transfer(_case(case.number), make.user("handler"), make.unit(), "属其职责")
    db.session.flush()
    assert not _case(case.number).identity_released  # the next unit needs a release of its own


def test_events_are_append_only(new_case):
    event = new_case().events[0]
    event.note = "改写历史"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_unit_reply_then_official_reply_and_unit_notices_carry_no_identity(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make, name="孙八", phone="13655556666")
    login("liaison", unit=unit)
    assert act(client, case.number, "unit_reply", text="已对窗口人员批评教育。").status_code == 302
    login("handler")
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert "已对窗口人员批评教育。</textarea>" in html  # the reply form starts from the unit's answer
    assert act(client, case.number, "reply", text="已对窗口人员批评教育，感谢监督。").status_code == 302
    assert _case(case.number).status == "replied"
    unit_notices = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.audience == "unit")).all()
    assert unit_notices and all("孙" not in m.body and "1365" not in m.body for m in unit_notices)


def test_transfer_keeps_the_first_receiver(client, unit, make, login):
    other_unit = make.unit()
    db.session.commit()
    officer = login("handler")
    page = client.get("/staff/cases/record").data.decode()
    response = client.post("/staff/cases/record", data={
        "csrf_token": csrf_from(page), "channel": "phone", "kind": "inquiry", "unit_code": unit.code,
        "description": "来电询问营业执照变更要带什么材料", "answer_given": "已告知所需材料和办理地点",
        "notice_items-0-material": "股东会决议", "notice_items-0-basis": "《公司登记管理条例》第27条",
        "notice_items-1-material": "", "notice_items-1-basis": "", "name": "周九", "phone": "13577778888"})
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    assert (case.channel, case.first_receiver_id, case.answer_given) == ("phone", officer.id, "已告知所需材料和办理地点")
    assert [(n.material, n.basis) for n in db.session.scalars(sa.select(NoticeItem))] == [
        ("股东会决议", "《公司登记管理条例》第27条")]
    notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == "one_time_notice")).one()
    assert "股东会决议（依据：《公司登记管理条例》第27条）" in notice.body
    assert "查询码" in client.get(response.headers["Location"]).data.decode()

    login("handler")
    act(client, case.number, "accept")
    act(client, case.number, "assign", unit_code=unit.code)
    assert act(client, case.number, "transfer", unit_code=other_unit.code, note="属其职责").status_code == 302
    case = _case(case.number)
    assert case.first_receiver_id == officer.id and case.assigned_unit_id == other_unit.id
    login("liaison", unit=unit)
    assert client.get(f"/staff/cases/{case.number}").status_code == 404
    login("liaison", unit=other_unit)
    assert client.get(f"/staff/cases/{case.number}").status_code == 200


def test_notice_item_without_basis_is_refused(client, unit, login):
    login("handler")
    page = client.get("/staff/cases/record").data.decode()
    response = client.post("/staff/cases/record", data={
        "csrf_token": csrf_from(page), "channel": "walk_in", "kind": "inquiry", "unit_code": unit.code,
        "description": "来访咨询", "notice_items-0-material": "身份证", "notice_items-0-basis": "",
        "anonymous": "y"})
    assert response.status_code == 400 and "都须写明依据" in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0


def test_extension_once_before_the_deadline_approved_by_an_admin(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make)
    before = case.reply_due_on
    login("handler")
    assert act(client, case.number, "extension", days="5", reason="需现场核查").status_code == 302
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    assert 'name="extension-csrf_token"' not in html and "待管理员审批" in html
    login("admin")
    assert "需现场核查" in client.get("/admin/cases/extensions").data.decode()
    assert act(client, case.number, "decide_extension", decision="approve", note="同意").status_code == 302
    case = _case(case.number)
    assert case.extension_days == 5 and case.reply_due_on > before and case.extension.decision == "approved"
    with pytest.raises(ops.CaseConflict, match="只能申请一次"):
        ops.request_extension(case, make.user("handler"), 3, "再延")


def test_extension_after_the_deadline_is_refused(unit, new_case, make):
    case = _assigned(unit, new_case, make)
    late = datetime.combine(case.reply_due_on + timedelta(days=2), time(2))
    with pytest.raises(ops.CaseError, match="已超过答复期限"):
        ops.request_extension(case, make.user("handler"), 3, "太晚了", now=late)
    assert db.session.scalar(sa.select(sa.func.count(Extension.id))) == 0


def test_stale_page_gets_a_conflict_message(client, filed, login):
    login("handler")
    html = client.get(f"/staff/cases/{filed}").data.decode()
    stale = {"accept-csrf_token": csrf_from(html), "accept-version": "1"}
    assert act(client, filed, "decline", reason="重复件").status_code == 302
    response = client.post(f"/staff/cases/{filed}/act/accept", data=stale)
    assert response.status_code == 409 and "已由其他工作人员处理" in response.data.decode()
    assert _case(filed).status == "declined"


def test_move_outside_the_table_is_refused(client, filed, login):
    login("handler")
    html = client.get(f"/staff/cases/{filed}").data.decode()
    assert 'name="reply-csrf_token"' not in html
    response = client.post(f"/staff/cases/{filed}/act/reply", data={
        "reply-csrf_token": csrf_from(html), "reply-version": "1", "reply-text": "直接答复"})
    assert response.status_code == 409 and "不能执行“答复”" in response.data.decode()
    assert _case(filed).status == "received"


def test_decline_needs_a_reason(client, filed, login):
    login("handler")
    response = act(client, filed, "decline", reason="  ")
    assert response.status_code == 400 and _case(filed).status == "received"


@pytest.mark.parametrize("role, status", [("statistician", 403), ("liaison", 200)])
def test_staff_pages_by_role(client, login, role, status):
    login(role)
    assert client.get("/staff/cases/").status_code == status


def test_liaison_cannot_act_as_handler(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make)
    login("liaison", unit=unit)
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    response = client.post(f"/staff/cases/{case.number}/act/reply", data={
        "reply-csrf_token": any_csrf(html), "reply-version": "3", "reply-text": "自己答复"})
    assert response.status_code == 403


def test_export_masks_identity_and_defuses_formulas(client, unit, new_case, login):
    new_case(name="=HYPERLINK(1)", phone="13812345678")
    db.session.commit()
    login("handler")
    export = client.get("/staff/cases/export.csv").data.decode("utf-8-sig")
    assert "'=************" in export and "138****5678" in export
    assert "13812345678" not in export and "=HYPERLINK" not in export


def test_dashboard_lists_case_pages_by_role(client, login):
    login("handler")
    html = client.get("/staff").data.decode()
    assert "投诉咨询件" in html and "首问登记" in html and "延期审批" not in html
    login("admin")
    html = client.get("/staff").data.decode()
    assert "延期审批" in html and "超期扣分记录" in html and "节假日安排" in html


def test_case_page_shows_beijing_dates(client, unit, new_case, login):
    case = new_case(now=datetime(2025, 1, 26, 17, 30))
    db.session.commit()
    login("handler")
    assert case.received_on == date(2025, 1, 27)
    assert "2025年1月27日<br>01:30" in client.get(f"/staff/cases/{case.number}").data.decode()


def _flash(client, response):
    assert response.status_code == 302
    return re.search(r'class="flash success"[^>]*>([^<]+)<', client.get(response.headers["Location"]).data.decode())


def test_flash_says_what_the_rating_did(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make)
    ops.reply(case, make.user("handler"), "已整改")
    db.session.commit()
    login("handler")
    flash = _flash(client, act(client, case.number, "close", rating="dissatisfied", note="电话回访，不满意"))
    assert _case(case.number).status == "reopened"
    assert flash and "重新办理" in flash.group(1) and "办结" not in flash.group(1)
    ops.reply(_case(case.number), make.user("handler"), "复查答复")
    db.session.commit()
    flash = _flash(client, act(client, case.number, "close", rating="dissatisfied", note="仍不满意"))
    assert _case(case.number).status == "closed" and "已办结" in flash.group(1)


def test_flash_says_an_extension_was_refused(client, unit, new_case, make, login):
    case = _assigned(unit, new_case, make)
    ops.request_extension(case, make.user("handler"), 3, "需现场核查")
    db.session.commit()
    login("admin")
    flash = _flash(client, act(client, case.number, "decide_extension", decision="refuse", note="理由不足"))
    assert flash.group(1) == "已决定不批准延期。" and _case(case.number).extension.decision == "refused"


def test_export_is_built_by_the_operations(unit, new_case, make):
    case = new_case(name="张三", phone="13812345678")
    office, liaison = make.user("handler"), make.user("liaison", unit=unit)
    text = ops.export_csv(office)
    assert text.startswith("\ufeff编号,") and case.number in text and "138****5678" in text
    assert case.number not in ops.export_csv(liaison)  # not yet assigned to the unit


def test_extension_form_allows_what_the_scheme_allows(app, client, unit, new_case, make, login, tmp_path):
    """The form's limit is the scheme's extension_max_days, not a number of its own."""
    case = _assigned(unit, new_case, make)
    login("handler")
    refused = act(client, case.number, "extension", days="16", reason="需现场核查")
    assert refused.status_code == 400 and "延期天数须在1至15个工作日之间" in refused.data.decode()
    assert case.extension is None
    generous = tmp_path / "generous.toml"
    text = read_scheme_file("default").text
    generous.write_text(text.replace("extension_max_days = 15", "extension_max_days = 90"), encoding="utf-8")
    app.config["SCHEME"] = str(generous)
    try:
        assert act(client, case.number, "extension", days="70", reason="需现场核查").status_code == 302
    finally:
        app.config["SCHEME"] = "default"
    assert case.extension.days == 70
