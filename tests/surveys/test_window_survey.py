"""Non-fixed respondents: the QR survey at a service window."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys.models import Answer, Response
from tests.conftest import csrf_from


@pytest.fixture
def window(make):
    make.campaign()
    return make.window()


def _answers(page_html, level="5"):
    """Form data answering every item of the page at `level`."""
    return {name: level for name in set(re.findall(r'name="(item_\d+)"', page_html))}


def _optional_items(page_html):
    """Items that offer 不了解 (value 0)."""
    return set(re.findall(r'name="(item_\d+)"[^>]*value="0"', page_html))


def _form(client, url, level="5", **extra):
    page = client.get(url)
    html = page.data.decode()
    return {"csrf_token": csrf_from(html), "ticket": _ticket(html), **_answers(html, level), **extra}


def _ticket(html):
    return re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1)


def _count():
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


def test_page_shows_unit_window_and_levels(client, window):
    page = client.get(f"/s/{window.code}")
    html = page.data.decode()
    assert page.status_code == 200
    assert window.unit.name in html and "非常满意" in html and "不了解" in html
    assert 'name="viewport"' in html


def test_submit_stores_response_and_thanks(client, window):
    data = _form(client, f"/s/{window.code}", comment="窗口人员很耐心")
    response = client.post(f"/s/{window.code}", data=data)
    assert response.status_code == 302
    thanks = client.get(response.headers["Location"])
    assert "感谢您的评价" in thanks.data.decode() and "/cases/new" in thanks.data.decode()
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.group, stored.channel, stored.window_id, stored.unit_id) == ("nonfixed", "qr", window.id, window.unit_id)
    assert stored.comment == "窗口人员很耐心"
    assert len(stored.client_hash) == 32 and "127.0.0.1" not in stored.client_hash
    assert stored.duration_s is not None and stored.duration_s >= 0
    assert {a.level for a in stored.answers} == {5}


def test_unknown_is_stored_as_null(client, window):
    data = _form(client, f"/s/{window.code}")
    optional = _optional_items(client.get(f"/s/{window.code}").data.decode())
    assert len(optional) == 5, "the default questionnaire offers 不了解 on every item but the overall one"
    data.update({name: "0" for name in optional})
    assert client.post(f"/s/{window.code}", data=data).status_code == 302
    levels = db.session.scalars(sa.select(Answer.level)).all()
    assert sorted(levels, key=lambda v: v or 0) == [None] * 5 + [5]


@pytest.mark.parametrize("change, message", [
    ("missing", "请选择一项"),
    ("out_of_range", "不是有效的选择"),
    ("huge_comment", "意见和建议不能超过"),
])
def test_bad_input_is_refused_and_stores_nothing(client, window, change, message):
    data = _form(client, f"/s/{window.code}")
    html = client.get(f"/s/{window.code}").data.decode()
    first_item = sorted(set(_answers(html)) - _optional_items(html))[0]
    if change == "missing":
        del data[first_item]
    elif change == "out_of_range":
        data[first_item] = "9"
    else:
        data["comment"] = "长" * 1_000_000
    response = client.post(f"/s/{window.code}", data=data)
    assert response.status_code == 400
    assert message in response.data.decode()
    assert _count() == 0


def test_foreign_csrf_token_keeps_answers(client, window):
    data = _form(client, f"/s/{window.code}", comment="保留我")
    data["csrf_token"] = "IjAxMjM0NTY3ODkwMTIzNDU2Nzg5MCI.forged.token"
    response = client.post(f"/s/{window.code}", data=data)
    html = response.data.decode()
    assert response.status_code == 400 and "安全校验已过期" in html
    assert "保留我" in html and re.search(r'<input checked[^>]*value="5"', html)
    assert _count() == 0
    data["csrf_token"] = csrf_from(html)
    assert client.post(f"/s/{window.code}", data=data).status_code == 302


def test_expired_csrf_token_keeps_answers(app, client, window):
    data = _form(client, f"/s/{window.code}")
    app.config["WTF_CSRF_TIME_LIMIT"] = -1
    try:
        response = client.post(f"/s/{window.code}", data=data)
    finally:
        app.config["WTF_CSRF_TIME_LIMIT"] = 3600 * 4
    assert response.status_code == 400 and "安全校验已过期" in response.data.decode()
    checked = re.findall(r'<input checked[^>]*value="(\d)"', response.data.decode())
    assert checked and set(checked) == {"5"}
    assert _count() == 0


def test_unknown_window_is_404(client, window):
    response = client.get("/s/NO-SUCH-WINDOW")
    assert response.status_code == 404 and "未找到该服务窗口" in response.data.decode()
    assert client.post("/s/NO-SUCH-WINDOW", data={}).status_code == 404


def test_closed_campaign_says_so_and_stores_nothing(client, make):
    window = make.window()
    past = date.today() - timedelta(days=400)
    make.campaign(opens_on=past, closes_on=past + timedelta(days=30))
    page = client.get(f"/s/{window.code}")
    assert page.status_code == 200 and "未开放" in page.data.decode()
    assert client.post(f"/s/{window.code}", data={"item_1": "5"}).status_code == 403
    assert _count() == 0


@pytest.mark.parametrize("where", ["comment", "item", "path"])
def test_nul_characters_are_refused_everywhere(client, window, where):
    data = _form(client, f"/s/{window.code}")
    url = f"/s/{window.code}"
    if where == "comment":
        data["comment"] = "好\x00评"
    elif where == "item":
        data[next(name for name in data if name.startswith("item_"))] = "5\x00"
    else:
        url = f"/s/{window.code}%00"
    response = client.post(url, data=data)
    # A control character in the path matches no route (404); in the form it is refused (400).
    assert response.status_code == (404 if where == "path" else 400)
    assert _count() == 0
