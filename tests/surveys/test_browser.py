"""A citizen on a phone: scan, answer, submit, see the thank-you page."""
import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys.models import Response
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]


def test_phone_answers_window_survey(isolated_app, live_server, phone_page, tmp_path):
    with isolated_app.app_context():
        make = Factory(db.session)
        make.campaign()
        window = make.window(name="不动产登记窗口")
        code, unit_name = window.code, window.unit.name
        db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/s/{code}")
    assert unit_name in page.content()
    for fieldset in page.locator("fieldset.item").all():
        fieldset.get_by_text("满意", exact=True).click()
    page.get_by_label("意见和建议（选填）").fill("排队时间有点长")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the questionnaire must not scroll sideways on a phone"
    page.screenshot(path=str(tmp_path / "questionnaire.png"), full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/thanks**")
    assert "感谢您的评价" in page.content()
    with isolated_app.app_context():
        stored = db.session.scalars(sa.select(Response)).one()
        assert stored.comment == "排队时间有点长"
        assert {answer.level for answer in stored.answers} == {4}
