"""Long tables in headless Chromium: the header row sticks while the rows scroll, a heading sorts the
rows (twice: reversed), all from app/static/js/tables.js under the real Content-Security-Policy; the
paper-entry form shows only the chosen unit's windows."""
import pytest

from app.kernel.extensions import db
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]

NAMES = ["省乙厅", "省甲厅", "省丙厅", "省丁厅"]


def _seed(app):
    with app.app_context():
        make = Factory(db.session)
        make.campaign()
        units = [make.unit(name=name, code=f"S{20 - i:02d}") for i, name in enumerate(NAMES)]
        for unit in units:
            make.window(unit=unit, code=f"{unit.code}-W1")
        make.user("admin", username="boss")
        db.session.commit()
        return [u.code for u in units]


def _sign_in(page, base):
    page.goto(f"{base}/auth/login")
    page.fill("#username", "boss")
    page.fill("#password", "a-long-test-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def _column(page, index):
    return page.evaluate(f"Array.from(document.querySelectorAll('table.long tbody tr'))"
                         f".map(r => r.cells[{index}].textContent.trim())")


def test_a_heading_sorts_and_the_header_sticks(isolated_app, live_server, phone_page):
    _seed(isolated_app)
    page = phone_page
    page.set_viewport_size({"width": 1366, "height": 400})
    _sign_in(page, live_server)
    page.goto(f"{live_server}/admin/units")
    page.evaluate("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                  " e => window.__csp.push(e.violatedDirective))")
    codes = _column(page, 0)
    page.get_by_role("button", name="代码").click()
    assert _column(page, 0) == sorted(codes)
    page.get_by_role("button", name="代码").click()
    assert _column(page, 0) == sorted(codes, reverse=True)
    assert page.locator("th[aria-sort=descending]").inner_text().strip() == "代码"
    assert page.evaluate("getComputedStyle(document.querySelector('table.long thead th')).position") == "sticky"
    assert page.evaluate("window.__csp") == []


def test_paper_entry_lists_only_the_chosen_units_windows(isolated_app, live_server, phone_page):
    codes = _seed(isolated_app)
    page = phone_page
    page.set_viewport_size({"width": 360, "height": 800})
    _sign_in(page, live_server)
    page.goto(f"{live_server}/admin/surveys/paper")
    page.select_option("#unit", codes[2])
    shown = page.evaluate("Array.from(document.querySelectorAll('#window option'))"
                          ".filter(o => !o.hidden).map(o => o.value)")
    assert shown == ["", f"{codes[2]}-W1"]
