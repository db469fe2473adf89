"""The JSON API: lodging a case, its public status, errors as JSON, limits, the OpenAPI file."""
import json

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import operations as ops
from complaints.models import Case


def _body(unit, **overrides):
    body = {"kind": "inquiry", "unit_code": unit.code, "description": "办理居住证需要哪些材料?",
            "name": "吴十", "phone": "+86 139 1234 5678"}
    body.update(overrides)
    return body


def _count():
    return db.session.scalar(sa.select(sa.func.count(Case.id)))


def test_post_creates_a_case_and_get_reads_its_public_status(client, window):
    response = client.post("/api/v1/cases", json=_body(window.unit, window_code=window.code))
    assert response.status_code == 201
    created = response.get_json()
    assert set(created) >= {"number", "query_code", "status", "expected_datetime"}
    assert created["status"] == "open" and created["case_status"] == "received"
    assert created["expected_datetime"].endswith("T23:59:59+08:00")
    case = db.session.scalars(sa.select(Case)).one()
    assert (case.channel, case.kind, case.citizen_phone, case.reply_days) == ("api", "inquiry", "13912345678", 5)

    status = client.get(f"/api/v1/cases/{created['number']}?code={created['query_code']}")
    assert status.status_code == 200
    body = status.get_json()
    assert body["service_request_id"] == created["number"] and body["status"] == "open"
    assert body["agency_responsible"] == window.unit.name and body["service_name"] == "咨询"
    assert body["requested_datetime"].endswith("+08:00") and body["expected_datetime"] == created["expected_datetime"]
    text = status.data.decode()
    for personal in ("吴十", "13912345678", "居住证"):
        assert personal not in text


def test_status_notes_carry_the_reply_or_the_decline_reason(client, unit, make):
    created = client.post("/api/v1/cases", json=_body(unit)).get_json()
    case = db.session.scalars(sa.select(Case)).one()
    ops.decline(case, make.user("handler"), "请直接向公安机关咨询。")
    body = client.get(f"/api/v1/cases/{created['number']}?code={created['query_code']}").get_json()
    assert (body["status"], body["case_status"], body["status_notes"]) == ("closed", "declined", "请直接向公安机关咨询。")
    assert body["expected_datetime"] is None


@pytest.mark.parametrize("number, code", [("right", "WRONGCODE"), ("20990101000000", "right"), ("right", "")])
def test_wrong_number_or_code_is_the_same_404(client, unit, number, code):
    created = client.post("/api/v1/cases", json=_body(unit)).get_json()
    number = created["number"] if number == "right" else number
    code = created["query_code"] if code == "right" else code
    response = client.get(f"/api/v1/cases/{number}?code={code}")
    assert response.status_code == 404
    assert response.get_json() == {"error": ops.NOT_FOUND}


def test_query_code_is_not_case_sensitive(client, unit):
    created = client.post("/api/v1/cases", json=_body(unit)).get_json()
    assert client.get(f"/api/v1/cases/{created['number']}?code={created['query_code'].lower()}").status_code == 200


@pytest.mark.parametrize("send", [
    {"data": "{not json", "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},
    {"data": "kind=complaint", "content_type": "application/x-www-form-urlencoded"},
    {"data": json.dumps({"kind": "complaint"}), "content_type": "text/plain"},
    {"data": b"\xff\xfe\x00", "content_type": "application/json"},
    {"data": "", "content_type": "application/json"},
])
def test_bad_body_is_a_json_400(client, send):
    response = client.post("/api/v1/cases", **send)
    assert response.status_code == 400 and response.is_json and response.get_json()["error"]
    assert _count() == 0


@pytest.mark.parametrize("overrides, field, message", [
    ({"kind": "praise"}, "kind", "类型无效"),
    ({"kind": None}, "kind", "请选择类型"),
    ({"unit_code": "NOPE"}, "unit_code", "请从列表中选择被反映的单位"),
    ({"phone": "010-12345678"}, "phone", "请填写11位中国大陆手机号码"),
    ({"phone": 13912345678}, "phone", "须为字符串"),
    ({"anonymous": "yes"}, "anonymous", "须为 true 或 false"),
    ({"description": "x" * 2001}, "description", "情况描述不能超过2000字"),
    ({"name": None}, "name", "请填写姓名，或选择匿名反映"),
])
def test_invalid_fields_get_a_message_each(client, unit, overrides, field, message):
    response = client.post("/api/v1/cases", json=_body(unit, **overrides))
    assert response.status_code == 400
    assert any(message in text for text in response.get_json()["fields"][field])
    assert _count() == 0


def test_fields_a_citizen_may_not_set_are_ignored(client, unit, make):
    other = make.unit()
    response = client.post("/api/v1/cases", json=_body(unit, status="closed", assigned_unit_id=other.id,
                                                       reply_due_on="2099-01-01", identity_released=True))
    assert response.status_code == 201
    case = db.session.scalars(sa.select(Case)).one()
    assert case.status == "received" and case.assigned_unit_id is None and not case.identity_released


def test_anonymous_case_keeps_no_identity(client, unit):
    response = client.post("/api/v1/cases", json=_body(unit, anonymous=True))
    assert response.status_code == 201
    case = db.session.scalars(sa.select(Case)).one()
    assert case.anonymous and case.citizen_name is None and case.citizen_phone is None


def test_no_csrf_token_needed_and_no_cookie_set(client, unit):
    response = client.post("/api/v1/cases", json=_body(unit))
    assert response.status_code == 201 and "Set-Cookie" not in response.headers


def test_oversized_body_is_refused(client, unit):
    response = client.post("/api/v1/cases", json=_body(unit, description="x" * 70_000))
    assert response.status_code == 413 and response.is_json
    assert _count() == 0


def test_posting_is_rate_limited(client, unit):
    for _ in range(30):
        assert client.post("/api/v1/cases", json=_body(unit, anonymous=True)).status_code == 201
    response = client.post("/api/v1/cases", json=_body(unit, anonymous=True))
    assert response.status_code == 429 and response.is_json


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.is_json


def test_openapi_document_covers_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert {"/units", "/cases", "/cases/{number}"} <= set(document["paths"])
    schema = document["components"]["schemas"]["CaseStatus"]["properties"]
    assert {"service_request_id", "status", "status_notes", "agency_responsible", "requested_datetime",
            "expected_datetime"} <= set(schema)
    assert document["components"]["schemas"]["NewCase"]["properties"]["kind"]["enum"] == [
        "complaint", "inquiry", "suggestion", "report"]
