"""Only statisticians and admins see the statistics pages; liaisons and handlers get 403."""
import pytest

from app.kernel.extensions import db
from stats.web.models import ScoreRun
from stats.web.runs import create_run
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR

PAGES = ["/stats/", "/stats/parts", "/stats/adjustments", "/stats/screening", "/stats/runs/{run}",
         "/stats/runs/{run}/units/A01", "/stats/runs/{run}/export.json", "/stats/runs/{run}/notice.pdf"]


@pytest.fixture
def run_id(scored_units, make):
    return create_run(YEAR, make.user("statistician"), "default").id


POSTS = ["/stats/runs", "/stats/runs/{run}/publish", "/stats/parts", "/stats/adjustments", "/stats/adjustments/sync",
         "/stats/adjustments/1/revoke", "/stats/screening/x/reinstate"]


@pytest.mark.parametrize("role", ["liaison", "handler"])
def test_other_staff_are_refused(client, login, run_id, role):
    login(role)
    for page in PAGES:
        assert client.get(page.format(run=run_id)).status_code == 403, page
    token = csrf_from(client.get("/auth/password").data)  # a valid token: only the role can refuse
    for url in POSTS:
        assert client.post(url.format(run=run_id), data={"csrf_token": token, "year": YEAR}).status_code == 403, url
    assert db.session.get(ScoreRun, run_id).status == "draft"


def test_signed_out_visitors_are_sent_to_sign_in(client, run_id):
    response = client.get(f"/stats/runs/{run_id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["statistician", "admin"])
def test_statisticians_and_admins_see_every_page(client, login, run_id, role):
    login(role)
    for page in PAGES[:-1]:  # the PDF is tested on its own (slow)
        assert client.get(page.format(run=run_id)).status_code == 200, page
    dashboard = client.get("/staff").data.decode()
    assert "加减分台账" in dashboard and "无效问卷复核" in dashboard and "计分与考核结果" in dashboard


def test_liaison_dashboard_has_no_statistics_links(client, login):
    login("liaison")
    assert "加减分台账" not in client.get("/staff").data.decode()
