"""API keys of the units' business systems: issued once (command and admin page), stored hashed, limited to
their unit and to so many calls a minute, revocable, and every call recorded in the audit log."""
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit import operations as audit
from app.audit.models import AuditEntry
from app.kernel.extensions import db
from app.kernel.scheme import scheme_path
from app.registry import apikeys
from app.registry.models import ApiKey
from tests.conftest import csrf_from


@pytest.fixture
def unit(make):
    unit = make.unit()
    make.window(unit, code=f"{unit.code}-W1", name="不动产登记窗口")
    return unit


@pytest.fixture
def issued(unit):
    api_key, key = apikeys.create_api_key(unit, "排队叫号系统")
    db.session.commit()  # as issued before the calls: a refused call's rollback keeps it
    return api_key, key


def _bearer(key):
    return {"Authorization": f"Bearer {key}"}


def _entries(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_the_command_prints_the_key_once_and_stores_only_its_hash(app, unit):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["apikeys", "create", "--unit", unit.code, "--name", "办件系统"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("xn_") and len(key) > 40
    stored = db.session.scalars(sa.select(ApiKey)).one()
    assert stored.key_hash == apikeys.api_key_hash(key) and stored.prefix == key[:11]
    assert key not in str([getattr(stored, c.key) for c in ApiKey.__table__.columns])
    listed = runner.invoke(args=["apikeys", "list"]).output
    assert stored.prefix in listed and key not in listed and "从未使用" in listed
    entry = _entries("api_key.create")[-1]
    assert key not in entry.details and audit.details_of(entry)["prefix"] == stored.prefix

    assert runner.invoke(args=["apikeys", "revoke", stored.prefix]).exit_code == 0
    assert stored.revoked_at is not None and "已吊销" in runner.invoke(args=["apikeys", "list"]).output
    again = runner.invoke(args=["apikeys", "revoke", stored.prefix])
    assert again.exit_code != 0 and "已于此前吊销" in again.output
    unknown = runner.invoke(args=["apikeys", "create", "--unit", "NOPE", "--name", "x"])
    assert unknown.exit_code != 0 and "没有单位 NOPE" in unknown.output


def test_without_a_key_the_call_is_refused_in_chinese(client, unit):
    for headers in ({}, {"Authorization": "Basic eDp5"}, _bearer("xn_not-a-key"), {"Authorization": "Bearer "}):
        response = client.get(f"/api/v1/units/{unit.code}/windows", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "接口密钥" in response.get_json()["error"]
    assert _entries("api_key.use") == []


def test_a_valid_key_reads_its_unit_and_each_call_is_audited(client, unit, issued):
    api_key, key = issued
    response = client.get(f"/api/v1/units/{unit.code}/windows", headers={**_bearer(key), "X-Forwarded-For": "1.2.3.4"})
    assert response.status_code == 200
    assert response.get_json() == [{"code": f"{unit.code}-W1", "name": "不动产登记窗口", "location": ""}]
    client.get(f"/api/v1/units/{unit.code}/windows", headers=_bearer(key))
    uses = _entries("api_key.use")
    assert len(uses) == 2 and {e.object_id for e in uses} == {str(api_key.id)}
    assert audit.details_of(uses[0]) == {"method": "GET", "path": f"/api/v1/units/{unit.code}/windows",
                                         "prefix": api_key.prefix}
    assert uses[0].user_id is None and uses[0].address == "127.0.0.1"
    assert api_key.last_used_at is not None


def test_a_key_of_another_unit_is_refused_and_the_refusal_kept(client, make, issued):
    api_key, key = issued
    other = make.unit()
    db.session.commit()
    for code in (other.code, "NO-SUCH-UNIT"):
        response = client.get(f"/api/v1/units/{code}/windows", headers=_bearer(key))
        assert response.status_code == 403
        assert response.get_json() == {"error": f"该接口密钥只能用于{api_key.unit.name}，不能读取或登记其他单位的数据。"}
    refused = _entries("api_key.refused")
    assert [audit.details_of(e)["unit"] for e in refused] == [other.code, ""]
    assert len(_entries("api_key.use")) == 2  # the calls themselves outlast the refused requests' rollback


def test_a_revoked_key_is_refused_from_the_next_call(client, unit, issued):
    api_key, key = issued
    assert client.get(f"/api/v1/units/{unit.code}/windows", headers=_bearer(key)).status_code == 200
    apikeys.revoke_api_key(api_key)
    response = client.get(f"/api/v1/units/{unit.code}/windows", headers=_bearer(key))
    assert response.status_code == 401 and "已吊销" in response.get_json()["error"]
    assert audit.details_of(_entries("api_key.refused")[-1])["reason"] == "密钥已吊销"
    assert len(_entries("api_key.use")) == 1


@pytest.fixture
def three_a_minute(app, tmp_path, monkeypatch):
    text = Path(scheme_path("default")).read_text(encoding="utf-8")
    scheme = tmp_path / "three.toml"
    scheme.write_text(text.replace('api_key = "120 per 1 minute"', 'api_key = "3 per 1 minute"'), encoding="utf-8")
    monkeypatch.setitem(app.config, "SCHEME", str(scheme))


def test_a_key_is_limited_by_the_shared_limiter_and_bad_requests_count_too(client, make, unit, issued,
                                                                            three_a_minute):
    api_key, key = issued
    url, other = f"/api/v1/units/{unit.code}/windows", f"/api/v1/units/{make.unit().code}/windows"
    db.session.commit()
    assert [client.get(u, headers=_bearer(key)).status_code for u in (url, other, url)] == [200, 403, 200]
    limited = client.get(url, headers=_bearer(key))
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.get_json() == {"error": "调用太频繁：每个接口密钥每分钟最多调用3次，请稍后再试。"}
    assert client.get(url, headers=_bearer(key)).status_code == 429
    assert len(_entries("api_key.limited")) == 1  # once a minute, not once a call
    assert len(_entries("api_key.use")) == 3
    _second, fresh = apikeys.create_api_key(unit, "第二个系统")
    db.session.commit()
    assert client.get(url, headers=_bearer(fresh)).status_code == 200  # counted per key, not per address


def _post_form(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get("/admin/api-keys").data), **data})


def test_the_admin_page_issues_a_key_once_and_revokes_it(client, login, unit):
    admin = login("admin")
    assert "接口密钥" in client.get("/staff").data.decode()
    shown = _post_form(client, "/admin/api-keys", {"unit": unit.code, "name": "窗口叫号系统"})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    api_key = db.session.scalars(sa.select(ApiKey)).one()
    page = shown.data.decode()
    key = page.split('<code class="once">')[1].split("</code>")[0]
    assert apikeys.api_key_hash(key) == api_key.key_hash and api_key.created_by_id == admin.id
    listing = client.get("/admin/api-keys").data.decode()
    assert api_key.prefix in listing and key not in listing and "窗口叫号系统" in listing

    assert _post_form(client, f"/admin/api-keys/{api_key.id}/revoke", {}).status_code == 302
    assert api_key.revoked_by_id == admin.id and "已吊销" in client.get("/admin/api-keys").data.decode()
    assert client.get(f"/api/v1/units/{unit.code}/windows", headers=_bearer(key)).status_code == 401


def test_the_admin_page_refuses_bad_input_and_other_roles(client, login, make, unit):
    login("admin")
    response = _post_form(client, "/admin/api-keys", {"unit": unit.code, "name": ""})
    assert response.status_code == 400 and "请填写用途" in response.data.decode()
    assert _post_form(client, "/admin/api-keys", {"unit": "NOPE", "name": "x"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/admin/api-keys").data)})
    login("liaison", unit=unit)
    assert client.get("/admin/api-keys").status_code == 403


def test_the_openapi_file_documents_the_key(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    windows = document["paths"]["/units/{code}/windows"]["get"]
    assert windows["security"] == [{"apiKey": []}] and {"401", "403", "429"} <= set(windows["responses"])
