"""Fixtures for case tests: a unit with a window, filing through the form, and a signed-in handler."""
import re

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from app.kernel.extensions import db
from complaints import operations as ops
from tests.conftest import csrf_from


def any_csrf(html):
    """A CSRF token from any form of the page (tokens are per session, so a prefixed one does too)."""
    match = re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def window(make):
    return make.window(name="不动产登记窗口")


@pytest.fixture
def unit(window):
    return window.unit


def intake_data(client, unit, **overrides):
    """Valid intake form data (with a fresh CSRF token) for `unit`."""
    html = client.get(f"/cases/new?unit={unit.code}").data.decode()
    data = {"csrf_token": csrf_from(html), "kind": "complaint", "unit_code": unit.code,
            "description": "窗口工作人员态度生硬，材料齐全却让我跑了三趟。", "name": "张三",
            "phone": "13812345678", "consent": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_multipart(client, url, data):
    """POST multipart form data built in memory (the test client would spool a large body to an unclosed file)."""
    boundary, body = encode_multipart(MultiDict(data))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def file_case(client, unit, **overrides):
    """File a case through the web form; returns (number, code)."""
    response = post_multipart(client, "/cases/new", intake_data(client, unit, **overrides))
    assert response.status_code == 302, response.data.decode()[:2000]
    done = client.get(response.headers["Location"]).data.decode()
    number = re.search(r'id="case-number">(\d+)<', done).group(1)
    code = re.search(r'id="query-code">([A-Z0-9]+)<', done).group(1)
    return number, code


@pytest.fixture
def new_case(unit):
    """A case made directly through the operations (no request)."""

    def _make(kind="complaint", now=None, **fields):
        defaults = {"description": "测试事项", "name": "李四", "phone": "13912345678"}
        defaults.update(fields)
        case, _code = ops.create_case(kind=kind, unit=fields.pop("unit", unit), now=now,
                                      **{k: v for k, v in defaults.items() if k != "unit"})
        db.session.flush()
        return case

    return _make
