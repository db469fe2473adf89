"""Every citizen page passes axe-core (WCAG 2.1 A and AA rules and best practices) with no serious or
critical violation, in standard and in large-text mode, also when it shows errors; the large-text switch
is visible, remembered and keeps pages from scrolling sideways; touch targets are at least 44 px.

axe-core's own script comes from the axe-playwright-python wheel pinned in requirements-dev.txt (it ships
axe.min.js; nothing is fetched at run time). Playwright evaluates it over the DevTools protocol, which the
page's Content-Security-Policy does not govern."""
import pathlib
import re
from datetime import datetime

import axe_playwright_python
import pytest

from app.kernel.extensions import db
from complaints import operations as case_ops
from stats.web.runs import create_run, publish_run
from surveys import operations as survey_ops
from surveys.kiosk import operations as pad_ops
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]

AXE_SCRIPT = (pathlib.Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")
RUN_AXE = """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})"""
# Controls a finger must hit: buttons, fields and the option tiles (an inline link in a sentence is exempt).
TARGETS = ("button:visible, a.btn:visible, input[type=text]:visible, input[type=tel]:visible, select:visible, "
           "textarea:visible, .levels label:visible, .choices label:visible, label.check:visible")


def _seed(app):
    with app.app_context():
        make = Factory(db.session)
        staff = make.user("admin", username="boss")
        unit = make.unit(name="省无障碍测试厅", code="A101")
        window = make.window(unit=unit, code="A101-W1", name="综合窗口")
        campaign = make.campaign(year=datetime.now().year)
        respondent = make.fixed_respondent(unit, name="测试企业甲")
        [(_respondent, token)] = survey_ops.issue_invitations(campaign, unit)
        case, code = case_ops.create_case(kind="complaint", unit=unit, description="窗口让我跑了三趟。",
                                          name="赵六", phone="13700001111")
        _pad, pad_code = pad_ops.issue_code(window, "一号台面", minutes=30, actor=None)
        db.session.flush()
        run = create_run(campaign.year, staff, "default")
        publish_run(run, staff, confirm_missing_parts=True, confirm_unranked=True)
        db.session.commit()
        assert respondent.id
        return {"unit": unit.code, "window": window.code, "token": token, "case": case.number, "code": code,
                "year": campaign.year, "pad_code": pad_code}


class Checker:
    """Runs axe on each page shown and collects what fails, so that one run reports every page."""

    def __init__(self, page):
        self.page, self.failures = page, []

    def check(self, what):
        self.page.wait_for_load_state("load")
        self.page.evaluate(AXE_SCRIPT)
        for violation in self.page.evaluate(RUN_AXE, TAGS)["violations"]:
            if violation["impact"] in FAILING:
                nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                self.failures.append(f"{what}: {violation['id']} ({violation['impact']}) {nodes}")
        small = self.page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.getBoundingClientRect(), el.outerHTML.slice(0, 60)])
            .filter(([box]) => box.height < 44 || box.width < 44).map(([box, html]) => html)""",
                                   TARGETS.replace(":visible", ""))
        self.failures += [f"{what}: target smaller than 44 px: {html}" for html in small]
        wide = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wide > 0:
            self.failures.append(f"{what}: scrolls sideways by {wide} px")

    def visit(self, url, what=None):
        self.page.goto(url)
        self.check(what or url)


def _citizen_pages(checker, base, ids):
    page = checker.page
    for path in ("/", f"/s/{ids['window']}", f"/thanks?unit={ids['unit']}&window={ids['window']}", "/cases/new",
                 "/cases/lookup", "/public/results", f"/public/results/{ids['year']}", "/no-such-page"):
        checker.visit(base + path)
    page.goto(f"{base}/s/{ids['window']}")
    page.get_by_role("button", name="提交评价").click()
    checker.check("questionnaire with errors")
    page.goto(f"{base}/i/{ids['token']}")
    checker.check("invitation questionnaire")
    page.goto(f"{base}/cases/new")
    page.get_by_role("button", name="提交").click()
    checker.check("case intake with errors")
    page.goto(f"{base}/cases/lookup")
    page.get_by_label("编号").fill(ids["case"])
    page.get_by_label("查询码").fill("WRONG123")
    page.get_by_role("button", name="查询").click()
    checker.check("look-up refused")
    page.get_by_label("查询码").fill(ids["code"])
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(f"**/cases/{ids['case']}")
    checker.check("case status")


def test_citizen_pages_pass_axe_in_both_text_sizes(isolated_app, live_server, phone_page):
    ids = _seed(isolated_app)
    checker = Checker(phone_page)
    _citizen_pages(checker, live_server, ids)
    phone_page.goto(live_server + "/")
    phone_page.get_by_role("button", name="大字").click()
    _citizen_pages(checker, live_server, ids)
    assert checker.failures == []


def test_the_pad_passes_axe(isolated_app, live_server, tablet_page):
    ids = _seed(isolated_app)
    checker, page = Checker(tablet_page), tablet_page
    checker.visit(f"{live_server}/kiosk/enrol")
    page.get_by_label("启用码").fill("WRONG")
    page.get_by_role("button", name="启用").click()
    checker.check("pad enrolment refused")
    page.get_by_label("启用码").fill(ids["pad_code"])
    page.get_by_role("button", name="启用").click()
    page.wait_for_url(re.compile(r"/kiosk/$"))
    checker.check("pad questionnaire")
    page.get_by_role("button", name="提交评价").click()
    checker.check("pad questionnaire with errors")
    for fieldset in page.locator("fieldset.item").all():
        fieldset.get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/kiosk/thanks")
    checker.check("pad thank-you page")
    assert checker.failures == []


def test_the_large_text_switch_is_visible_and_remembered(isolated_app, live_server, phone_page, tmp_path):
    ids = _seed(isolated_app)
    page = phone_page
    size = "parseFloat(getComputedStyle(document.querySelector('main')).fontSize)"
    page.goto(f"{live_server}/s/{ids['window']}")
    switch = page.get_by_role("button", name="大字")
    assert switch.is_visible() and switch.get_attribute("aria-pressed") == "false"
    assert page.evaluate(size) == 16
    switch.click()
    assert switch.get_attribute("aria-pressed") == "true" and page.evaluate(size) == 22
    page.screenshot(path=str(tmp_path / "large-questionnaire.png"), full_page=True)

    page.goto(f"{live_server}/cases/new")  # another page remembers it, and draws large from the start
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert page.get_by_role("button", name="大字").get_attribute("aria-pressed") == "true"
    assert page.evaluate(size) == 22
    page.screenshot(path=str(tmp_path / "large-case.png"), full_page=True)
    page.get_by_role("button", name="大字").click()
    page.goto(f"{live_server}/cases/lookup")
    assert page.evaluate(size) == 16 and page.get_by_role("button", name="大字").get_attribute("aria-pressed") == "false"
