"""Fixed respondents: a single-use invitation token, refused the second time."""
import re
import threading

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from surveys import operations as ops
from app.kernel.clock import local_today
from surveys import fixed_intake
from surveys.models import Invitation, PendingResponse, Response
from tests.conftest import csrf_from
from tests.factories import Factory


@pytest.fixture
def invited(make):
    campaign = make.campaign()
    respondent = make.fixed_respondent()
    (_, token), = ops.issue_invitations(campaign, respondent.unit)
    return respondent, token


def _fill(html, level="4"):
    data = {name: level for name in set(re.findall(r'name="(item_\d+)"', html))}
    data["csrf_token"] = csrf_from(html)
    data["ticket"] = re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1)
    return data


def test_token_is_unguessable_and_only_its_hash_is_stored(invited):
    respondent, token = invited
    assert len(token) >= 32  # 24 random bytes, URL-safe base64
    stored = db.session.scalars(sa.select(Invitation)).one()
    assert stored.token_hash == ops.token_hash(token) and token not in stored.token_hash


def test_issuing_again_skips_invited_respondents(make, invited):
    respondent, _ = invited
    campaign = db.session.scalars(sa.select(Invitation)).one().campaign
    assert ops.issue_invitations(campaign, respondent.unit) == []


def test_link_moves_token_to_session_and_hides_it(client, invited):
    _, token = invited
    response = client.get(f"/i/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/invite") and token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/invite")
    assert page.status_code == 200 and "固定服务对象" in page.data.decode()
    assert token not in page.data.decode()


def test_answer_once_then_refused(client, invited):
    respondent, token = invited
    client.get(f"/i/{token}")
    html = client.get("/invite").data.decode()
    assert client.post("/invite", data=_fill(html)).status_code == 302
    assert _waiting() == 1 and db.session.scalar(sa.select(sa.func.count(Response.id))) == 0
    assert ops.store_pending_responses() == 1 and _waiting() == 0
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.group, stored.channel, stored.unit_id) == ("fixed", "link", respondent.unit_id)
    assert stored.client_hash is None and stored.duration_s >= 0
    assert stored.submitted_at == fixed_intake.day_start(local_today())
    client.get(f"/i/{token}")
    again = client.get("/invite")
    assert again.status_code == 409 and "已使用" in again.data.decode()
    assert client.post("/invite", data=_fill(html)).status_code == 302  # the same page: thanked again
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


# A token with a control character matches no route (404), so it never reaches the session.
@pytest.mark.parametrize("token, opened_status, message", [
    ("not-a-token", 302, "邀请码无效"), ("x" * 500, 302, "邀请码无效"), ("%00%ff", 404, "请通过邀请链接"),
])
def test_malformed_or_unknown_token_is_404(client, invited, token, opened_status, message):
    assert client.get(f"/i/{token}").status_code == opened_status
    response = client.get("/invite")
    assert response.status_code == 404 and message in response.data.decode()


def test_invite_without_token_is_404(client):
    assert client.get("/invite").status_code == 404


def _invited_campaign(app):
    """Commit a campaign with one invited respondent; returns (token, levels)."""
    with app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        respondent = make.fixed_respondent()
        (_, token), = ops.issue_invitations(campaign, respondent.unit)
        levels = {item.id: 5 for item in campaign.fixed_questionnaire.items}
        db.session.commit()
    return token, levels


def _race(count, attempt):
    barrier, outcomes = threading.Barrier(count), []

    def run():
        barrier.wait()
        outcomes.append(attempt())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _waiting():
    return db.session.scalar(sa.select(sa.func.count(PendingResponse.id)))


def _stored(app):
    """Responses stored or waiting for their batch."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Response.id))) + _waiting()


@pytest.mark.isolated
def test_racing_submissions_store_exactly_one(isolated_app):
    """Eight threads submit on one token at once: one response, seven clear refusals."""
    token, levels = _invited_campaign(isolated_app)

    def attempt():
        with isolated_app.app_context():
            try:
                invitation = ops.find_invitation(token)
                ops.submit_invited_response(invitation, levels, "", None)
                db.session.commit()
                return "stored"
            except ops.SurveyError as error:
                db.session.rollback()
                return error.status

    outcomes = _race(8, attempt)
    assert sorted(outcomes, key=str) == [409] * 7 + ["stored"]
    assert _stored(isolated_app) == 1


@pytest.mark.isolated
def test_racing_browsers_get_one_thanks_and_seven_409s(isolated_app):
    """The same race through the HTTP views, each browser with its own session."""
    token, _ = _invited_campaign(isolated_app)
    clients = []
    for _ in range(8):
        client = isolated_app.test_client()
        client.get(f"/i/{token}")
        clients.append((client, _fill(client.get("/invite").data.decode())))
    pending = iter(clients)

    def attempt():
        client, form = next(pending)
        return client.post("/invite", data=form).status_code

    outcomes = _race(8, attempt)
    assert sorted(outcomes) == [302] + [409] * 7
    assert _stored(isolated_app) == 1


def test_answers_wait_until_a_batch_is_full_then_are_stored_together(make):
    campaign = make.campaign()
    unit = make.unit()
    for _ in range(10):
        make.fixed_respondent(unit)
    levels = {item.id: 5 for item in campaign.fixed_questionnaire.items}
    for n, (_, token) in enumerate(ops.issue_invitations(campaign, unit), start=1):
        ops.submit_invited_response(ops.find_invitation(token), levels, f"第{n}份", 60.0 + n)
        stored = db.session.scalar(sa.select(sa.func.count(Response.id)))
        assert (stored, _waiting()) == ((0, n) if n < 10 else (10, 0))  # [survey] fixed_batch = 10
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id)).where(Invitation.used)) == 10


def test_waiting_answers_keep_their_questionnaire_version_and_count_live(make):
    campaign = make.campaign()
    respondent = make.fixed_respondent()
    (_, token), = ops.issue_invitations(campaign, respondent.unit)
    questionnaire = campaign.fixed_questionnaire
    ops.submit_invited_response(ops.find_invitation(token), {item.id: 4 for item in questionnaire.items}, "", 30.0)
    assert ops.response_counts(campaign)[respondent.unit_id]["fixed"] == 1
    assert ops.has_responses(questionnaire)
    specs = [{"code": "new", "text": "新题目", "dimension": "服务", "weight": 1.0, "allow_unknown": False}]
    revised = ops.revise_questionnaire(questionnaire, specs)
    assert revised.id != questionnaire.id
    ops.store_pending_responses()
    stored = db.session.scalars(sa.select(Response)).one()
    assert stored.questionnaire_id == questionnaire.id and {a.level for a in stored.answers} == {4}


def test_fixed_form_says_how_the_answer_is_kept(client, invited):
    _, token = invited
    client.get(f"/i/{token}")
    html = client.get("/invite").data.decode()
    # The optional phone for a callback (issue 12) is explained as kept apart from the answers too.
    assert "与邀请码分开保存" in html and "手机号仅在您给出" in html and "与答卷分开保存" in html
