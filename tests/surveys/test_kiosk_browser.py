"""A hall pad in a tablet-sized browser: enrolled with its code, it takes one citizen's rating, returns to
an empty questionnaire a few seconds after the thank-you page, and clears answers left alone after a
warning that a touch dismisses; left untouched, it opens the rating of a service its window registered."""
import re
import time

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.kernel.scheme import read_scheme_file
from surveys.kiosk import operations as ops
from surveys.models import Response
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]

CHECKED = "document.querySelectorAll('input[type=radio]:checked').length"


def _until(condition, seconds):
    """Poll from Python: wait_for_function's string would be eval'd in the page, which the CSP refuses."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except Error:  # the page was navigating while asked
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _short_timings(app, tmp_path, **seconds):
    text = read_scheme_file("default").text
    for name, value in seconds.items():
        text = re.sub(rf"^{name} = \d+", f"{name} = {value}", text, flags=re.M)
    path = tmp_path / "pad-timings.toml"
    path.write_text(text, encoding="utf-8")
    app.config["SCHEME"] = str(path)


def test_pad_takes_a_rating_then_resets_after_submission_and_after_idle(isolated_app, live_server, tablet_page,
                                                                       tmp_path):
    _short_timings(isolated_app, tmp_path, reset_after_submit_s=1, idle_reset_s=4, idle_warning_s=2)
    with isolated_app.app_context():
        make = Factory(db.session)
        make.campaign()
        window = make.window(name="不动产登记窗口")
        _pad, code = ops.issue_code(window, "一号台面", minutes=30, actor=None)
        window_name = window.name
        db.session.commit()
    page = tablet_page
    page.goto(f"{live_server}/kiosk/enrol")
    page.get_by_label("启用码").fill(ops.format_code(code).lower())
    page.get_by_role("button", name="启用").click()
    page.wait_for_url(re.compile(r"/kiosk/$"))
    assert window_name in page.locator("header").inner_text()

    # Large targets, and nothing to scroll sideways on the tablet.
    boxes = [label.bounding_box() for label in page.locator(".levels label").all()]
    assert boxes and min(box["height"] for box in boxes) >= 56 and min(box["width"] for box in boxes) >= 100
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert page.locator("input[type=tel]").count() == 0
    page.screenshot(path=str(tmp_path / "pad.png"), full_page=True)

    for fieldset in page.locator("fieldset.item").all():
        fieldset.get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/kiosk/thanks")
    assert "感谢您的评价" in page.content()
    page.wait_for_url(re.compile(r"/kiosk/$"), timeout=10_000)  # by itself, after a second
    assert page.evaluate(CHECKED) == 0, "the next citizen finds an empty questionnaire"

    page.locator("fieldset.item").first.get_by_text("不满意", exact=True).click()
    assert page.evaluate(CHECKED) == 1
    warning = page.locator("#idle-warning")
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=10_000)  # two seconds before the reset
    page.locator("h1").click()  # a touch: the citizen is still there
    assert warning.is_hidden() and page.evaluate(CHECKED) == 1
    touched = time.monotonic()
    _until(lambda: page.evaluate(CHECKED) == 0, seconds=15)
    assert time.monotonic() - touched >= 3.5, "cleared only after the whole idle time since the last touch"
    assert page.url.endswith("/kiosk/")

    with isolated_app.app_context():
        stored = db.session.scalars(sa.select(Response)).one()
        assert stored.channel == "pad" and {answer.level for answer in stored.answers} == {4}


def _enrolled_pad(app, live_server, page):
    with app.app_context():
        make = Factory(db.session)
        make.campaign()
        _pad, code = ops.issue_code(make.window(), "一号台面", minutes=30, actor=None)
        db.session.commit()
    page.goto(f"{live_server}/kiosk/enrol")
    page.get_by_label("启用码").fill(code)
    page.get_by_role("button", name="启用").click()
    page.wait_for_url(re.compile(r"/kiosk/$"))


@pytest.mark.parametrize("touched", [False, True])
def test_an_untouched_pad_opens_the_service_its_window_registered(isolated_app, live_server, tablet_page, tmp_path,
                                                                  monkeypatch, touched):
    """ops.waiting_service is the hook for service records; here it names a page that exists."""
    _short_timings(isolated_app, tmp_path, service_poll_s=1, idle_reset_s=60)
    _enrolled_pad(isolated_app, live_server, tablet_page)
    if touched:
        tablet_page.locator("fieldset.item").first.get_by_text("满意", exact=True).click()
    monkeypatch.setattr(ops, "waiting_service", lambda pad: "/kiosk/thanks")
    if touched:
        time.sleep(3)
        assert tablet_page.url.endswith("/kiosk/") and tablet_page.evaluate(CHECKED) == 1, "the citizen keeps the page"
    else:
        tablet_page.wait_for_url("**/kiosk/thanks", timeout=10_000)
