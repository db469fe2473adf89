"""The insider, for walk-ins (issue 9, failure 2): with the database, the instance folder and the access log
after a day of walk-in responses, try to turn each logged address (and browser) into a stored hash — the
responses' client and address hashes and the intake counters' keys — with every key the instance folder or
the database holds, once the day's salt is past salt_keep_days. Every attempt must fail; with the salt still
there, the same attempt links every response, so the test can fail."""
import hashlib
import hmac
import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.kernel.clock import local_today, local_text, utcnow
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from surveys.models import ClientSalt, IntakeCounter, Response
from tests.conftest import csrf_from
from tests.factories import Factory

WALK_INS = 12
LOG_LINE = re.compile(r'^(?P<ip>\S+) - - \[(?P<time>[^\]]+)\] "POST (?P<path>\S+) HTTP/1.1" 302 0 "-" "(?P<agent>[^"]*)"$')


def _walk_in(app, code, address, agent, signature):
    client = app.test_client()
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    html = client.get(f"/s/{code}", environ_base=environ).data.decode()
    data = {name: "4" for name in set(re.findall(r'name="(item_\d+)"', html))}
    data.update(csrf_token=csrf_from(html), comment=signature,
                ticket=re.search(r'name="ticket" type="hidden" value="([^"]*)"', html).group(1))
    assert client.post(f"/s/{code}", data=data, environ_base=environ).status_code == 302
    # what gunicorn's access log keeps of the post (the combined format)
    return f'{address} - - [{local_text(utcnow(), "%d/%b/%Y:%H:%M:%S +0800")}] "POST /s/{code} HTTP/1.1" 302 0 "-" "{agent}"'


def _campaign(app):
    with app.app_context():
        make = Factory(db.session)
        campaign = make.campaign()
        windows = [make.window() for _ in range(2)]
        db.session.commit()
        return campaign.id, [w.code for w in windows]


def _stored_values():
    """Every value a hash of an address could hide in: the responses' hashes and the counters' keys."""
    values = set(db.session.scalars(sa.select(Response.client_hash)))
    values |= set(db.session.scalars(sa.select(Response.address_hash)))
    values |= set(db.session.scalars(sa.select(IntakeCounter.key)))
    return values - {None}


def _guesses(keys, campaign_id, address, agent):
    """Every hash the code could make of this address and browser, under each of `keys`."""
    messages = [f"{campaign_id}|{address}|{agent}", f"{campaign_id}|{address}", f"address|{address}",
                f"device|no-cookie|{address}", address, f"{address}|{agent}"]
    found = {hashlib.sha256(m.encode()).hexdigest()[:32] for m in messages}
    for key in keys:
        for domain in ("client-hash", "address-hash", "intake-counter"):
            found |= {hmac.new(f"{domain}:{key}".encode(), m.encode(), hashlib.sha256).hexdigest()[:32]
                      for m in messages}
    return found


def _linked(log, keys, campaign_id):
    """How many logged posts the insider can tie to a stored value."""
    stored = _stored_values()
    return sum(bool(_guesses(keys, campaign_id, m["ip"], m["agent"]) & stored)
               for m in map(LOG_LINE.match, log.splitlines()))


def _database_files(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    path = url.removeprefix("sqlite:///")
    return [p for p in (path, path + "-wal") if os.path.exists(p)]


@pytest.mark.isolated
def test_insider_cannot_turn_an_address_into_a_walk_ins_hash_once_the_salt_is_gone(isolated_app):
    campaign_id, codes = _campaign(isolated_app)
    log = "\n".join(_walk_in(isolated_app, codes[i % 2], f"10.0.{i}.{7 + i}", f"Phone/{i} (Android 14)", f"签名{i}")
                    for i in range(WALK_INS))
    assert all(LOG_LINE.match(line) for line in log.splitlines())

    with isolated_app.app_context():
        salt = db.session.scalar(sa.select(ClientSalt.salt).where(ClientSalt.day == local_today()))
        assert salt and len(_stored_values()) >= 2 * WALK_INS
        instance_keys = [isolated_app.secret_key, str(isolated_app.config["SECRET_KEY"])]
        # with today's salt, every post is linked: the attack is real
        assert _linked(log, [salt], campaign_id) == WALK_INS
        assert _linked(log, instance_keys, campaign_id) == 0, "the instance secret keys no walk-in hash"
        keep = current_scheme()["screening"]["salt_keep_days"]
        later = local_today() + timedelta(days=keep + 1)
        db.session.remove()

    result = isolated_app.test_cli_runner().invoke(args=["surveys", "forget-salts", "--today", later.isoformat()])
    assert result.exit_code == 0, result.output

    with isolated_app.app_context():
        # what the insider holds: every salt left in the database, the instance folder's secret
        left = list(db.session.scalars(sa.select(ClientSalt.salt)))
        assert salt not in left
        assert _linked(log, left + instance_keys, campaign_id) == 0
        # and the salt is not lying in the database's files either (SQLite: the file and its log)
        if db.engine.dialect.name == "sqlite":
            for path in _database_files(isolated_app):
                with open(path, "rb") as fh:
                    assert salt.encode() not in fh.read(), f"the salt survives in {os.path.basename(path)}"


@pytest.mark.isolated
def test_hashes_compare_within_a_day_and_not_across_days(isolated_app, monkeypatch):
    campaign_id, codes = _campaign(isolated_app)
    for day in range(2):
        monkeypatch.setattr("surveys.operations.local_today", lambda day=day: local_today() + timedelta(days=day))
        for code in codes:
            _walk_in(isolated_app, code, "10.9.9.9", "Same/1.0", f"第{day}天")
    with isolated_app.app_context():
        rows = db.session.execute(sa.select(Response.comment, Response.client_hash, Response.address_hash)).all()
        by_day = {}
        for comment, client, address in rows:
            by_day.setdefault(comment, set()).add((client, address))
        assert len(by_day["第0天"]) == 1 and len(by_day["第1天"]) == 1, "one day: one client, one address hash"
        assert by_day["第0天"] != by_day["第1天"], "a new day, a new salt"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ClientSalt)) == 2
