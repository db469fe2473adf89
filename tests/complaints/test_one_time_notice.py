"""一次性告知 issued later (issue 10): on an online case the handler, or the liaison of the unit handling
it, tells the citizen every missing material with its basis, once; the case keeps it as an event, the
audit log records who did it, the citizen is sent it, and the 一次性告知书 prints it."""
import io
import re

import pytest
import sqlalchemy as sa

from app.audit import operations as audit
from app.audit.models import AuditEntry
from app.kernel.clock import chinese_date, local_today
from app.kernel.extensions import db
from complaints import one_time_notice, operations as ops
from complaints.models import CaseEvent, OutboxMessage
from tests.conftest import csrf_from

pdfplumber = pytest.importorskip("pdfplumber")


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn")


@pytest.fixture
def handled(new_case, make, unit):
    """An online complaint, accepted and assigned to the unit complained about."""
    case = new_case(name="冯十二", phone="13822223333")
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    return case


def _notice(client, case, rows, version=None):
    page = client.get("/staff/cases/record").get_data(as_text=True)  # a form whatever the case offers
    data = {"notice-csrf_token": csrf_from(page), "notice-version": str(version or case.version)}
    for i, (material, basis) in enumerate(rows):
        data[f"notice-notice_items-{i}-material"] = material
        data[f"notice-notice_items-{i}-basis"] = basis
    return client.post(f"/staff/cases/{case.number}/act/notice", data=data)


def _pdf_text(data):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def test_the_handler_issues_it_on_the_case_page(client, login, handled):
    handler = login("handler")
    page = client.get(f"/staff/cases/{handled.number}").get_data(as_text=True)
    assert "一次性告知所缺材料" in page and 'name="notice-notice_items-0-material"' in page
    response = _notice(client, handled, [("营业执照副本", "《办事指南》第3条"), ("", ""), ("授权委托书", "《民法典》第165条")])
    assert response.status_code == 302
    db.session.refresh(handled)
    assert [(i.material, i.basis) for i in handled.notice_items] == [("营业执照副本", "《办事指南》第3条"),
                                                                    ("授权委托书", "《民法典》第165条")]
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == handled.id,
                                                         CaseEvent.action == "one_time_notice")).one()
    assert event.actor_id == handler.id and event.from_status == event.to_status == "assigned"
    assert "营业执照副本" in event.note
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "case.one_time_notice")).one()
    assert audit.details_of(entry) == {"number": handled.number, "items": 2} and entry.username == handler.username
    sent = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == handled.id,
                                                            OutboxMessage.topic == "one_time_notice")).one()
    assert "授权委托书（依据：《民法典》第165条）" in sent.body
    page = client.get(f"/staff/cases/{handled.number}").get_data(as_text=True)
    assert "一次性告知书" in page and "一次性告知所缺材料</summary>" not in page, "told once: not offered again"
    assert re.search(r"<td>一次性告知\s*<div class=\"pre\">1. 营业执照副本", page), "the case history shows the event"
    text = _pdf_text(client.get(f"/staff/cases/{handled.number}/letters/notice.pdf").data)
    assert "营业执照副本" in text and "《民法典》第165条" in text and chinese_date(local_today()) in text
    assert "冯十二" not in text and "13822223333" not in text


def test_the_liaison_of_the_handling_unit_may_issue_it(client, login, handled, unit):
    liaison = login("liaison", unit=unit)
    assert _notice(client, handled, [("身份证复印件", "《信访条例》第18条")]).status_code == 302
    event = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.action == "one_time_notice")).one()
    assert event.actor_id == liaison.id


def test_a_liaison_of_another_unit_may_not(handled, make):
    stranger = make.user("liaison", unit=make.unit())
    with pytest.raises(ops.CaseError) as refused:
        one_time_notice.issue(handled, stranger, [("身份证复印件", "《信访条例》第18条")])
    assert refused.value.status == 403 and not handled.notice_items


def test_each_material_needs_its_basis_and_nothing_is_stored_otherwise(client, login, handled):
    login("handler")
    response = _notice(client, handled, [("营业执照副本", "")])
    assert response.status_code == 400 and "都须写明依据" in response.get_data(as_text=True)
    empty = _notice(client, handled, [("", "")])
    assert empty.status_code == 400 and "请至少填写一项所缺材料" in empty.get_data(as_text=True)
    db.session.refresh(handled)
    assert not handled.notice_items
    assert not db.session.scalar(sa.select(CaseEvent.id).where(CaseEvent.action == "one_time_notice"))


def test_told_once_a_stale_page_and_a_second_notice_are_refused(client, login, handled):
    login("handler")
    shown = handled.version
    assert _notice(client, handled, [("营业执照副本", "《办事指南》第3条")]).status_code == 302
    again = _notice(client, handled, [("另一份材料", "另一条依据")])
    assert again.status_code == 409 and "已一次性告知" in again.get_data(as_text=True)
    stale = _notice(client, handled, [("另一份材料", "另一条依据")], version=shown)
    assert stale.status_code == 409
    db.session.refresh(handled)
    assert [i.material for i in handled.notice_items] == ["营业执照副本"]


def test_not_on_a_phone_case_nor_after_the_reply(client, login, new_case, make, unit):
    handler = login("handler")
    phoned = new_case(channel="phone", first_receiver=handler)
    ops.accept(phoned, handler)
    assert "一次性告知所缺材料" not in client.get(f"/staff/cases/{phoned.number}").get_data(as_text=True)
    assert _notice(client, phoned, [("营业执照副本", "《办事指南》第3条")]).status_code == 403
    replied = new_case()
    ops.accept(replied, handler)
    ops.assign(replied, handler, unit)
    ops.reply(replied, handler, "已答复。")
    assert _notice(client, replied, [("营业执照副本", "《办事指南》第3条")]).status_code == 409
