"""Input that once answered 500: NUL and other control characters (PostgreSQL refuses NUL), lone
surrogates, JSON nested past the parser's recursion limit, a chunked body past the limit, numbers
past the database's integers. Each gets a clear 4xx and stores nothing."""
import io
import json

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import operations as ops
from complaints.models import Case, CaseEvent, Deduction, OutboxMessage
from app.kernel.text import CONTROL_MESSAGE, ENCODING_MESSAGE, text_problem
from tests.complaints.conftest import file_case, intake_data, post_multipart
from tests.conftest import csrf_from

BAD = ["\x00", "\x07", "\x1b", "\x1f", "\x0b"]


def _count(model=Case):
    return db.session.scalar(sa.select(sa.func.count(model.id)))


@pytest.mark.parametrize("text, problem", [
    ("正常的文字\t\r\n换行", None), ("a\x00b", CONTROL_MESSAGE), ("\x1b[31m", CONTROL_MESSAGE),
    ("\x7f删除符", None), ("\ud800", ENCODING_MESSAGE), ("😀\udfff", ENCODING_MESSAGE),
])
def test_the_one_check(text, problem):
    assert text_problem(text) == problem


@pytest.mark.parametrize("field", ["description", "name", "unit_code", "window_code", "phone", "kind"])
@pytest.mark.parametrize("bad", ["\x00", "\x1b"])
def test_web_intake_refuses_control_characters(client, unit, field, bad):
    data = intake_data(client, unit, window_code="")
    data[field] = (data.get(field) or "x") + bad
    response = post_multipart(client, "/cases/new", data)
    assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()
    assert _count() == 0 and _count(OutboxMessage) == 0


def test_tabs_and_line_breaks_are_ordinary_text(client, unit):
    number, _code = file_case(client, unit, description="第一行\r\n\t第二行")
    assert db.session.scalar(sa.select(Case.description).where(Case.number == number)) == "第一行\r\n\t第二行"


@pytest.mark.parametrize("number, code", [("2026\x00", "ABCDEFGH"), ("20260101000000", "AB\x00CD")])
def test_lookup_form_refuses_control_characters(client, number, code):
    token = csrf_from(client.get("/cases/lookup").data)
    response = client.post("/cases/lookup", data={"csrf_token": token, "number": number, "code": code})
    assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()


@pytest.mark.parametrize("url", ["/cases/lookup?number=2026%00", "/cases/new?unit=%00&window=%1b"])
def test_citizen_urls_with_nul_are_not_errors(client, url):
    response = client.get(url)
    assert response.status_code in (200, 302) and b"\x00" not in response.data and b"\x1b" not in response.data


@pytest.mark.parametrize("url", ["/cases/2026%00", "/cases/done/2026%00", "/cases/2026%00/receipt.pdf",
                                 "/api/v1/cases/2026%00?code=ABCDEFGH"])
def test_a_path_with_a_control_character_matches_no_route(client, url):
    response = client.get(url)
    assert response.status_code == 404 and b"\x00" not in response.data


@pytest.mark.parametrize("number, code", [("20260101000000", "%00"),
                                          ("2026%ED%A0%80", "A"), ("x" * 30, "%ED%A0%80")])
def test_api_status_with_odd_characters_is_simply_not_found(client, number, code):
    response = client.get(f"/api/v1/cases/{number}?code={code}")
    assert response.status_code == 404 and response.get_json() == {"error": ops.NOT_FOUND}


def test_find_case_does_not_match_on_odd_characters(new_case):
    case = new_case()
    with pytest.raises(ops.CaseError):
        ops.find_case(case.number + "\x00", "ANY")
    with pytest.raises(ops.CaseError):
        ops.find_case(case.number, "\ud800")


def _api_body(unit, **overrides):
    body = {"kind": "complaint", "unit_code": unit.code, "description": "窗口推诿", "name": "吴十",
            "phone": "13912345678"}
    body.update(overrides)
    return body


@pytest.mark.parametrize("field", ["kind", "unit_code", "window_code", "description", "name", "phone"])
@pytest.mark.parametrize("bad, message", [("\x00", CONTROL_MESSAGE), ("\x08", CONTROL_MESSAGE),
                                          ("\ud800", ENCODING_MESSAGE)])
def test_api_refuses_bad_text_per_field(client, unit, field, bad, message):
    body = json.dumps(_api_body(unit, **{field: "正文" + bad}))  # ensure_ascii: "\ud800" stays an escape
    response = client.post("/api/v1/cases", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["fields"][field] == [message]
    assert _count() == 0


@pytest.mark.parametrize("body", [
    "[" * 30_000 + "]" * 30_000,
    '{"description": ' + "[" * 30_000 + "]" * 30_000 + "}",
    '{"a":' * 9_000 + "1" + "}" * 9_000,
    '{"description": ' + "9" * 5000 + "}",
    "\ufeff{}",  # a BOM is fine; an empty object is a field error, not a parse error
])
def test_deep_nesting_or_odd_json_is_a_json_4xx(client, body):
    assert len(body.encode()) < 64 * 1024
    response = client.post("/api/v1/cases", data=body.encode(), content_type="application/json")
    assert response.status_code == 400 and response.is_json and response.get_json()["error"]
    assert _count() == 0


@pytest.mark.parametrize("size, status", [(70_000, 413), (60_000, 400)])
def test_chunked_body_is_measured_as_it_is_read(client, size, status):
    """No Content-Length (Transfer-Encoding: chunked, the server decodes it): the size is found by reading."""
    body = b'{"description": "' + b"x" * size + b'"}'
    response = client.post("/api/v1/cases", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.request.content_length is None
    assert response.status_code == status and response.is_json
    assert _count() == 0


# --- staff --------------------------------------------------------------------------------------

@pytest.fixture
def assigned(unit, new_case, make):
    handler = make.user("handler")
    case = new_case()
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    db.session.commit()
    return case


def _post_action(client, case, action, **fields):
    html = client.get(f"/staff/cases/{case.number}").data.decode()
    token = csrf_from(html.replace(f'name="{action}-csrf_token"', 'name="csrf_token"'))
    data = {f"{action}-csrf_token": token, f"{action}-version": str(case.version)}
    data.update({f"{action}-{key}": value for key, value in fields.items()})
    return client.post(f"/staff/cases/{case.number}/act/{action}", data=data)


@pytest.mark.parametrize("action, fields", [
    ("transfer", {"unit_code": "T\x00", "note": "属其职责"}),
    ("transfer", {"unit_code": "", "note": "属其职责\x00"}),
    ("extension", {"days": "3", "reason": "\x1b复杂"}),
    ("release", {"reason": "\x00"}),
    ("reply", {"text": "已整改\x00"}),
])
def test_staff_action_forms_refuse_control_characters(client, assigned, login, action, fields):
    login("handler")
    events = len(assigned.events)
    response = _post_action(client, assigned, action, **fields)
    assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count(CaseEvent.id)).where(CaseEvent.case_id == assigned.id)) == events


def test_record_form_refuses_control_characters_also_in_notice_items(client, unit, login):
    login("handler")
    token = csrf_from(client.get("/staff/cases/record").data)
    base = {"csrf_token": token, "channel": "phone", "kind": "inquiry", "unit_code": unit.code,
            "description": "来电咨询", "anonymous": "y"}
    for extra in ({"unit_code": unit.code + "\x00"},
                  {"notice_items-0-material": "身份证\x00", "notice_items-0-basis": "办事指南"}):
        response = client.post("/staff/cases/record", data={**base, **extra})
        assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()
    assert _count() == 0


def test_admin_forms_refuse_control_characters(client, assigned, login):
    login("admin")
    page = client.get("/admin/cases/calendar").data.decode()
    response = client.post("/admin/cases/calendar", data={"csrf_token": csrf_from(page), "year": "2027",
                                                          "text": "2027-01-01 休 元旦\x00", "note": "x"})
    assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()
    deduction = Deduction(unit_id=assigned.assigned_unit_id, year=2025, points=2, case_id=assigned.id,
                          stage="reply", due_on=assigned.reply_due_on, reason="测试")
    db.session.add(deduction)
    db.session.commit()
    response = client.post(f"/admin/cases/deductions/{deduction.id}/revoke",
                           data={"csrf_token": csrf_from(page), "reason": "核实\x00"})
    assert response.status_code == 400 and CONTROL_MESSAGE in response.data.decode()
    db.session.refresh(deduction)
    assert deduction.revoked_at is None


@pytest.mark.parametrize("url", ["/staff/cases/2026%00", "/staff/cases/2026%00/attachments/1"])
def test_staff_urls_with_nul_are_404(client, login, url):
    login("handler")
    assert client.get(url).status_code == 404


def test_staff_action_url_with_nul_is_404(client, login):
    login("handler")
    token = csrf_from(client.get("/staff/cases/record").data)
    assert client.post("/staff/cases/2026%00/act/accept", data={"accept-csrf_token": token}).status_code == 404
    assert client.post("/staff/cases/2026%00/identity", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("version", ["9" * 5000, "1" * 10, "-1", "١", "", "1 "])
def test_version_that_is_no_small_number_is_a_400(client, assigned, login, version):
    login("handler")
    html = client.get(f"/staff/cases/{assigned.number}").data.decode()
    token = csrf_from(html.replace('name="reply-csrf_token"', 'name="csrf_token"'))
    response = client.post(f"/staff/cases/{assigned.number}/act/reply", data={
        "reply-csrf_token": token, "reply-version": version, "reply-text": "答复"})
    assert response.status_code == 400 and "请刷新页面后重试" in response.data.decode()
    db.session.refresh(assigned)
    assert assigned.status == "assigned"


@pytest.mark.parametrize("page", ["9" * 30, "9" * 5000, "-3", "x", "0"])
def test_queue_page_number_is_clamped(client, assigned, login, page):
    login("handler")
    response = client.get(f"/staff/cases/?page={page}")
    assert response.status_code == 200


def test_queue_page_beyond_the_end_is_empty_not_an_error(client, assigned, login):
    login("handler")
    html = client.get("/staff/cases/?page=" + "9" * 30).data.decode()
    assert assigned.number not in html and "没有符合条件的件" in html
    assert assigned.number in client.get("/staff/cases/?page=-3").data.decode()


@pytest.mark.parametrize("year", ["9" * 30, "-5", "99999"])
def test_deduction_year_out_of_range_shows_this_year(client, login, year):
    login("admin")
    assert client.get(f"/admin/cases/deductions?year={year}").status_code == 200


def test_huge_ids_in_urls_are_404(client, assigned, login):
    login("admin")
    token = csrf_from(client.get("/admin/cases/calendar").data)
    assert client.get(f"/staff/cases/{assigned.number}/attachments/{10 ** 30}").status_code == 404
    assert client.post(f"/admin/cases/deductions/{10 ** 30}/revoke",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404
