"""The insider: with the database and the instance folder after a campaign of invited respondents, try
to say which response came from which invitation, by time, by id order, by transaction (xmin on
PostgreSQL) and by any stored or recomputable key. Every attempt must fail."""
import hashlib
import hmac
import re

import pytest
import sqlalchemy as sa

from app.kernel.clock import local_today
from app.kernel.extensions import db
from surveys import fixed_intake, operations as ops
from surveys.models import FixedRespondent, Invitation, Response
from tests.conftest import csrf_from
from tests.factories import Factory

UNITS, PER_UNIT = 3, 8  # 24 answers: batches of 10, 10, then the last 4 by `surveys flush`


def _campaign(app):
    """Commit a campaign with UNITS × PER_UNIT invited respondents; returns [(respondent name, token)]."""
    with app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        invited = []
        for _ in range(UNITS):
            unit = make.unit()
            for _ in range(PER_UNIT):
                make.fixed_respondent(unit)
            invited += [(respondent.name, token) for respondent, token in ops.issue_invitations(campaign, unit)]
        db.session.commit()
        return invited


def _answer(app, token, signature):
    client = app.test_client()
    client.get(f"/i/{token}")
    html = client.get("/invite").data.decode()
    data = {name: "4" for name in set(re.findall(r'name="(item_\d+)"', html))}
    data.update(csrf_token=csrf_from(html), comment=signature,
                ticket=re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1))
    assert client.post("/invite", data=data).status_code == 302


def _rows(table):
    return [dict(row._mapping) for row in db.session.execute(sa.select(table))]


@pytest.mark.isolated
def test_insider_cannot_link_fixed_responses_to_invitations(isolated_app):
    invited = _campaign(isolated_app)
    # The worst case for id order: respondents answer in the order their invitations were issued.
    for name, token in invited:
        _answer(isolated_app, token, f"签名：{name}")
    assert isolated_app.test_cli_runner().invoke(args=["surveys", "flush"]).exit_code == 0

    with isolated_app.app_context():
        truth = {f"签名：{name}": name for name, _ in invited}  # the answer's signature names its giver
        invitations = _rows(Invitation.__table__)
        responses = _rows(Response.__table__)
        respondent_name = dict(db.session.execute(sa.select(FixedRespondent.id, FixedRespondent.name)).all())
        assert len(responses) == len(invitations) == UNITS * PER_UNIT and all(i["used"] for i in invitations)

        # By time: the invitation keeps no time but its issue; a response keeps its day only.
        assert set(invitations[0]) == {"id", "campaign_id", "fixed_respondent_id", "token_hash", "created_at", "used"}
        assert {r["submitted_at"] for r in responses} == {fixed_intake.day_start(local_today())}
        assert "started_at" not in responses[0] and "invitation_receipt" not in responses[0]

        # By id order: pair each unit's invitations and responses in id order.
        guessed = 0
        for unit_id in {r["unit_id"] for r in responses}:
            mine = sorted(r["id"] for r in responses if r["unit_id"] == unit_id)
            names = [respondent_name[i["fixed_respondent_id"]] for i in sorted(invitations, key=lambda i: i["id"])
                     if respondent_name[i["fixed_respondent_id"]] in {truth[r["comment"]] for r in responses
                                                                      if r["unit_id"] == unit_id}]
            by_id = {r["id"]: truth[r["comment"]] for r in responses}
            guessed += sum(by_id[rid] == name for rid, name in zip(mine, names))
        assert guessed < len(responses), "response ids follow the order of the claims"

        # By a stored or recomputable key: nothing of an invitation, hashed with the instance secret or
        # not, appears among a response's values.
        secret = isolated_app.secret_key
        derived = set()
        for invitation in invitations:
            for value in (str(invitation["id"]), invitation["token_hash"]):
                derived |= {value, hashlib.sha256(value.encode()).hexdigest()}
                derived |= {hmac.new(f"{domain}:{secret}".encode(), value.encode(), hashlib.sha256).hexdigest()
                            for domain in ("invitation-receipt", "client-hash", "intake-counter")}
        values = {str(value) for row in responses for value in row.values() if value is not None}
        assert not any(value[:32] in {d[:32] for d in derived} for value in values if len(value) >= 32)

        # By transaction: on PostgreSQL every used invitation was last written by one transaction.
        if db.engine.dialect.name == "postgresql":
            xmins = db.session.execute(sa.text("SELECT DISTINCT xmin::text FROM invitations WHERE used")).all()
            assert len(xmins) == 1
