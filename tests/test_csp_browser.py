"""The main pages in headless Chromium under the real Content-Security-Policy: no violation, no script
error, no missing static file, and what had inline script before (the intake form's unit filter and
anonymous switch, the publish confirmation, the print button, the paper-sheet keying) still works."""
import uuid
from datetime import datetime

import pytest

from app.kernel.extensions import db
from complaints import operations as case_ops
from stats.web.runs import create_run
from surveys.models import Answer, Response
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]

PASSWORD = "a-long-test-password"
# Listens before any page script runs (Playwright's init scripts are not subject to the policy).
WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});"""


def _seed(app):
    with app.app_context():
        make = Factory(db.session)
        make.user("admin", username="boss", password=PASSWORD)
        unit = make.unit(name="省安全浏览测试厅", code="C101")
        window = make.window(unit=unit, code="C101-W1", name="综合窗口")
        make.fixed_respondent(unit, name="测试企业甲")
        campaign = make.campaign(year=datetime.now().year)
        for group in ("fixed", "nonfixed"):
            questionnaire = campaign.questionnaire_for(group)
            response = Response(public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id, group=group,
                                questionnaire_id=questionnaire.id, channel="qr", duration_s=90,
                                submitted_at=datetime(campaign.year, 3, 1, 2, 0))
            response.answers = [Answer(item_id=item.id, level=4) for item in questionnaire.items]
            db.session.add(response)
        case, _code = case_ops.create_case(kind="complaint", unit=unit, description="窗口让我跑了三趟。",
                                           name="赵六", phone="13700001111")
        db.session.flush()
        run = create_run(campaign.year, None, "default")
        db.session.commit()
        return {"unit": unit.code, "unit_id": unit.id, "window": window.code, "window_id": window.id,
                "case": case.number, "run": run.id, "campaign": campaign.id,
                "questionnaire": campaign.nonfixed_questionnaire_id}


class Browser:
    """The phone page, watched: every page visited must load clean."""

    def __init__(self, page, base, shots):
        self.page, self.base, self.problems, self.shots = page, base, [], shots
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("response", self._response)

    def _console(self, message):
        # A failed load is reported below with its address (the page itself is checked by visit()).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _response(self, response):
        if (response.status >= 400 and not response.request.is_navigation_request()
                and not response.url.endswith("/favicon.ico")):
            self.problems.append(f"{response.status} {response.url}")

    def visit(self, path, status=200):
        response = self.page.goto(self.base + path)
        assert response.status == status, path
        self.check(path)

    def check(self, what):
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__csp")
        assert violations == [], f"{what}: {violations}"
        assert self.problems == [], f"{what}: {self.problems}"
        # The site's sheet was applied (a refused stylesheet would leave the header white).
        colour = self.page.evaluate("getComputedStyle(document.querySelector('header.site')).backgroundColor")
        assert colour == "rgb(183, 28, 28)", what
        name = "".join(c if c.isalnum() else "_" for c in what.strip("/"))[:60] or "home"
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def test_citizen_pages_load_clean_and_the_intake_script_works(isolated_app, live_server, phone_page, tmp_path):
    ids = _seed(isolated_app)
    browser, page = Browser(phone_page, live_server, tmp_path), phone_page
    for path in ("/", "/cases/lookup", f"/s/{ids['window']}", f"/thanks?unit={ids['unit']}"):
        browser.visit(path)
    browser.visit("/no-such-page", status=404)

    browser.visit(f"/cases/new?unit={ids['unit']}")
    assert page.locator("#unit-filter").is_visible(), "the script shows the unit filter"
    page.locator("#unit-filter").fill("安全浏览")
    assert page.locator("#unit_code").input_value() == ids["unit"]
    assert page.evaluate("document.querySelector(\"#window_code option[value='C101-W1']\").hidden") is False
    assert page.locator("#identity").is_visible()
    page.locator("label.check", has=page.locator("#anonymous")).click()
    assert page.locator("#identity").is_hidden(), "an anonymous report hides the name and phone"
    page.get_by_text("投诉", exact=True).click()
    page.get_by_label("情况描述").fill("窗口工作人员推诿，材料齐全却让我下周再来。")
    page.get_by_text("我已阅读并同意上述个人信息处理说明").click()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/cases/done/**")
    browser.check("done page")
    number = page.locator("#case-number").inner_text()
    browser.visit(f"/cases/{number}")


def test_staff_pages_load_clean_and_their_scripts_work(isolated_app, live_server, phone_page, tmp_path):
    ids = _seed(isolated_app)
    browser, page = Browser(phone_page, live_server, tmp_path), phone_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser.visit("/auth/login")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/staff")
    browser.check("sign-in")
    for path in ("/staff", "/staff/cases/", f"/staff/cases/{ids['case']}", "/staff/cases/record",
                 "/admin/units", f"/admin/units/{ids['unit_id']}", f"/admin/windows/{ids['window_id']}",
                 "/admin/users", "/admin/users/new", "/auth/password",
                 "/admin/surveys/campaigns", f"/admin/surveys/campaigns/{ids['campaign']}",
                 "/admin/surveys/questionnaires", f"/admin/surveys/questionnaires/{ids['questionnaire']}",
                 "/admin/surveys/units", f"/admin/surveys/windows/{ids['window']}/poster", "/admin/surveys/pads",
                 "/admin/cases/calendar", "/admin/cases/deductions", "/admin/cases/extensions",
                 "/admin/cases/outbox", "/admin/documents/", "/stats/", "/stats/adjustments",
                 "/stats/screening", "/stats/parts", "/stats/admonitions/",
                 f"/stats/runs/{ids['run']}/units/{ids['unit']}"):
        browser.visit(path)

    browser.visit("/admin/surveys/counts")
    assert page.locator("meta[http-equiv=refresh]").get_attribute("content") == "60"

    browser.visit(f"/admin/surveys/paper?unit={ids['unit']}&group=nonfixed")
    page.locator("input.digit").first.fill("4")
    assert page.evaluate("document.activeElement.id") == page.locator("input.digit").nth(1).get_attribute("id")

    browser.visit(f"/admin/surveys/units/{ids['unit']}/respondents")
    page.get_by_role("button", name="生成邀请").click()
    page.wait_for_load_state()
    browser.check("invitations issued")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.get_by_role("button", name="打印二维码").click()
    assert page.evaluate("window.__printed") is True

    browser.visit(f"/stats/runs/{ids['run']}")
    publish = page.get_by_role("button", name="发布本次计分结果")
    if page.locator("p.confirm input[type=checkbox]").count():
        page.locator("p.confirm input[type=checkbox]").check()
    page.once("dialog", lambda dialog: dialog.dismiss())
    publish.click()
    assert page.locator("h1 .status-draft").count() == 1, "a dismissed confirmation sends nothing"
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    publish.click()
    page.wait_for_selector("h1 .status-published")
    assert dialogs == ["发布后结果不能更改，确定发布？"]
    browser.check("published run")
