"""The statisticians' pages in headless Chromium: a wide run table fits a 1280 px screen, and the charts
keep legible text on a phone."""
import uuid
from datetime import datetime, timedelta

import pytest

from app.kernel.extensions import db
from stats.web.runs import create_run
from surveys.models import Answer, Response
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]


def _seed(app):
    """33 category-1 units, of which only two have responses; returns (run id, a unit code with data)."""
    with app.app_context():
        make = Factory(db.session)
        make.user("statistician", username="stat", password="a-long-test-password")
        units = [make.unit(name=f"省测试厅{i:02d}号单位", code=f"A{i:03d}", category=1) for i in range(33)]
        campaign = make.campaign(year=2024)
        for k, unit in enumerate(units[:2]):
            for i, group in enumerate(["fixed", "nonfixed", "nonfixed"]):
                questionnaire = campaign.questionnaire_for(group)
                at = datetime(2024, 3, 1, 2, 0) + timedelta(hours=i)
                response = Response(public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id,
                                    group=group, questionnaire_id=questionnaire.id, channel="qr",
                                    duration_s=90, submitted_at=at)
                response.answers = [Answer(item_id=item.id, level=5 - (i + k) % 3) for item in questionnaire.items]
                db.session.add(response)
        run = create_run(2024, None, "default")
        db.session.commit()
        return run.id, units[0].code


def test_run_table_fits_a_desktop_and_charts_keep_their_text_on_a_phone(isolated_app, live_server, phone_page,
                                                                       tmp_path):
    run_id, code = _seed(isolated_app)
    page = phone_page
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", "stat")
    page.fill("#password", "a-long-test-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/stats/runs/{run_id}")
    overflow = page.evaluate("Math.max(...Array.from(document.querySelectorAll('.table-wrap'))"
                             ".map(w => w.scrollWidth - w.clientWidth))")
    page.screenshot(path=str(tmp_path / "run_1280.png"), full_page=True)
    assert overflow <= 0, "the run table must not scroll sideways at 1280 px"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/stats/runs/{run_id}/units/{code}")
    chart = page.locator(".chart svg").last  # the category chart
    assert chart.locator("text", has_text="无有效答卷").count() == 1
    assert chart.locator("text", has_text="其余 31 个单位").count() == 1
    heights = page.evaluate("Array.from(document.querySelectorAll('.chart svg text'))"
                            ".map(t => t.getBoundingClientRect().height)")
    page.screenshot(path=str(tmp_path / "unit_390.png"), full_page=True)
    assert min(heights) >= 10, "chart text shrank below a legible size on a phone"
