"""One refusal type: every exception class of the web packages derives from Refusal, and the one
handler answers a refusal with its Chinese message, never with a redirect page under a 4xx status."""
import importlib
import pathlib

import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.registry.models import Unit
from stats.web.models import Adjustment
from stats.web.operations import add_adjustment
from tests.conftest import csrf_from

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("app", "surveys", "complaints", "stats/web")
SKIPPED = ("app/migrations",)  # Alembic scripts run only under Alembic


def _import_all():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if not str(relative).startswith(SKIPPED):
                importlib.import_module(".".join(relative.parts).removesuffix(".__init__"))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_exception_class_of_the_web_packages_is_a_refusal():
    _import_all()
    prefixes = tuple(package.replace("/", ".") for package in PACKAGES)
    ours = {cls for cls in _subclasses(BaseException) if cls.__module__.startswith(prefixes)}
    names = {cls.__name__ for cls in ours}
    # The walk sees the classes it must judge (else this test would pass on an empty set).
    assert {"SchemeError", "RegistryError", "NoticeError", "TransitionRefused", "AttachmentError", "NoCampaign",
            "StatsError", "FrozenRunError", "DeductionError", "SurveyError", "CaseError"} <= names
    assert sorted(f"{cls.__module__}.{cls.__name__}" for cls in ours if not issubclass(cls, Refusal)) == []


def test_the_pure_stats_core_keeps_its_own_input_error():
    from stats.responses_io import InputError

    assert issubclass(InputError, ValueError) and not issubclass(InputError, Refusal)


def _ledger_line(unit, user):
    return add_adjustment(unit, 2024, -10, "迟报材料", "通报", user)


def test_a_refused_revoke_goes_back_to_its_page_with_the_message(client, login, make):
    user = login("statistician")
    line = _ledger_line(make.unit(code="A01"), user)
    page_url = "/stats/adjustments?year=2024"
    token = csrf_from(client.get(page_url).data)
    response = client.post(f"/stats/adjustments/{line.id}/revoke", data={"csrf_token": token, "reason": ""},
                           headers={"Referer": f"http://localhost{page_url}"})
    assert response.status_code == 303 and response.headers["Location"] == page_url
    assert "撤销须填写理由。" in client.get(page_url).data.decode()
    assert db.session.get(Adjustment, line.id).revoked_at is None


def test_a_refused_revoke_without_a_referrer_answers_the_message_not_a_redirect_page(client, login, make):
    user = login("statistician")
    line = _ledger_line(make.unit(code="A01"), user)
    token = csrf_from(client.get("/stats/adjustments?year=2024").data)
    response = client.post(f"/stats/adjustments/{line.id}/revoke", data={"csrf_token": token, "reason": ""})
    body = response.data.decode()
    assert response.status_code == 400 and "Location" not in response.headers
    assert "撤销须填写理由。" in body and "Redirecting" not in body


def test_a_refused_reinstatement_answers_the_message_not_a_redirect_page(client, login):
    login("statistician")
    token = csrf_from(client.get("/stats/adjustments?year=2024").data)  # one token per session
    response = client.post("/stats/screening/nope/reinstate", data={"csrf_token": token, "year": 2024, "note": ""})
    body = response.data.decode()
    assert response.status_code == 400 and "恢复计分须填写说明。" in body and "Redirecting" not in body
    response = client.post("/stats/screening/nope/reinstate", data={"csrf_token": token, "year": 2024, "note": "复核"},
                           headers={"Referer": "http://elsewhere.example/stats/screening"})
    assert response.status_code == 404 and "找不到该答卷。" in response.data.decode()


def test_the_handler_keeps_nothing_the_refused_request_wrote(app, make):
    unit = make.unit(code="A01", name="甲厅")
    db.session.commit()  # as a request before this one would have
    with app.test_request_context("/stats/adjustments", method="POST", headers={"Referer": "http://localhost/x"}):
        unit.name = "改过的名字"
        db.session.flush()
        response = app.handle_user_exception(Refusal("不行。"))
        assert (response.status_code, response.headers["Location"]) == (303, "/x")
    assert db.session.scalar(sa.select(Unit.name).where(Unit.code == "A01")) == "甲厅"


def test_the_handler_answers_json_under_the_api_and_hides_server_faults(app):
    with app.test_request_context("/api/v1/anything", method="POST"):
        response = app.make_response(app.handle_user_exception(Refusal("该件已办结。", 409)))
        assert (response.status_code, response.get_json()) == (409, {"error": "该件已办结。"})
    with app.test_request_context("/stats/runs"):
        response = app.make_response(app.handle_user_exception(Refusal("/etc/scheme.toml 格式错误", 500)))
        body = response.get_data(as_text=True)
        assert response.status_code == 500 and "scheme.toml" not in body and "服务器出现错误" in body
