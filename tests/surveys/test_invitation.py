"""Fixed respondents: a single-use invitation token, refused the second time."""
import re
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from surveys import operations as ops
from surveys.models import Invitation, Response
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
    stored = db.session.scalars(sa.select(Response)).one()
    assert (stored.group, stored.channel, stored.unit_id) == ("fixed", "link", respondent.unit_id)
    assert stored.client_hash is None
    client.get(f"/i/{token}")
    again = client.get("/invite")
    assert again.status_code == 409 and "已使用" in again.data.decode()
    assert client.post("/invite", data=_fill(html)).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


@pytest.mark.parametrize("token", ["not-a-token", "x" * 500, "%00%ff"])
def test_malformed_or_unknown_token_is_404(client, invited, token):
    client.get(f"/i/{token}")
    response = client.get("/invite")
    assert response.status_code == 404 and "邀请码无效" in response.data.decode()


def test_invite_without_token_is_404(client):
    assert client.get("/invite").status_code == 404


@pytest.mark.isolated
def test_racing_submissions_store_exactly_one(isolated_app):
    """Eight threads submit on one token at once: one response, seven refusals."""
    with isolated_app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        respondent = make.fixed_respondent()
        (_, token), = ops.issue_invitations(campaign, respondent.unit)
        db.session.commit()
        levels = {item.id: 5 for item in campaign.fixed_questionnaire.items}
    barrier, outcomes = threading.Barrier(8), []

    def attempt():
        with isolated_app.app_context():
            barrier.wait()
            try:
                invitation = ops.find_invitation(token)
                ops.submit_invited_response(invitation, levels, "", None)
                db.session.commit()
                outcomes.append("stored")
            except ops.SurveyError as error:
                db.session.rollback()
                outcomes.append(error.status)
            except sa.exc.IntegrityError:
                db.session.rollback()
                outcomes.append("constraint")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("stored") == 1
    assert len(outcomes) == 8 and set(outcomes) <= {"stored", 409, "constraint"}
    with isolated_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1
        assert db.session.scalars(sa.select(Invitation)).one().used_at is not None


@pytest.mark.isolated
def test_second_response_on_a_used_invitation_breaks_the_unique_constraint(isolated_app):
    """Even code that skipped the conditional update could not store two responses."""
    with isolated_app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        respondent = make.fixed_respondent()
        ops.issue_invitations(campaign, respondent.unit)
        invitation = db.session.scalars(sa.select(Invitation)).one()
        levels = {item.id: 5 for item in campaign.fixed_questionnaire.items}
        kwargs = dict(campaign=campaign, unit=respondent.unit, group="fixed", channel="link",
                      levels=levels, invitation=invitation)
        ops.submit_response(**kwargs)
        with pytest.raises(sa.exc.IntegrityError):
            ops.submit_response(**kwargs)
        db.session.rollback()
