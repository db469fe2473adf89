"""The live counts page raises the alarm within the hour (issue 9, failure 3): a burst at a window without
history, measured against its unit's other windows, and many posts from one address hash."""
import uuid
from datetime import datetime, timedelta

import pytest

from app.kernel.extensions import db
from surveys.models import Answer, Response

NOW = datetime(2026, 3, 2, 6, 40)  # naive UTC: 14:40 in Beijing, so the current hour began at 06:00 UTC
HOUR = NOW.replace(minute=0)


@pytest.fixture
def walk_in(make):
    campaign = make.campaign()

    def post(unit, window, at, address, client=None):
        questionnaire = campaign.questionnaire_for("nonfixed")
        response = Response(public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id,
                            window_id=window.id, group="nonfixed", questionnaire_id=questionnaire.id, channel="qr",
                            duration_s=60, submitted_at=at, client_hash=client or uuid.uuid4().hex[:32],
                            address_hash=address)
        response.answers = [Answer(item_id=item.id, level=4) for item in questionnaire.items]
        db.session.add(response)
    return post


@pytest.fixture
def history(make, walk_in):
    """甲厅's old window: two walk-ins an hour for six hours yesterday, and a burst of 30 then (past, so
    no alarm today); its new window has no history at all."""
    unit = make.unit(name="甲厅", code="A01")
    old, new = make.window(unit, name="老窗口"), make.window(unit, name="新开窗口")
    for hour in range(6):
        for minute in (5, 35):
            walk_in(unit, old, NOW - timedelta(days=1, hours=hour, minutes=minute), f"a{hour}{minute}")
    for i in range(30):
        walk_in(unit, old, NOW - timedelta(days=1, hours=8, seconds=i), f"y{i}")
    db.session.flush()
    return unit, old, new


@pytest.fixture
def counts_page(client, login, monkeypatch):
    monkeypatch.setattr("surveys.progress_views.utcnow", lambda: NOW)
    login("statistician")
    return lambda: (client.get("/admin/surveys/counts").data.decode(), client.get("/admin/surveys/counts.json").get_json())


def test_a_burst_at_a_new_window_raises_the_alarm_the_same_hour(history, walk_in, counts_page):
    unit, _old, new = history
    for i in range(25):
        walk_in(unit, new, HOUR + timedelta(minutes=i), f"n{i}")
    db.session.flush()
    page, data = counts_page()
    assert [(a["kind"], a["window_name"], a["count"], a["baseline"]) for a in data["alarms"]] == [
        ("burst", "新开窗口", 25, "unit")]
    assert data["alarms"][0]["hour"] == "2026-03-02T14:00" and data["alarms"][0]["expected"] == 2
    assert "本小时异常提交提醒" in page
    assert "甲厅“新开窗口”：本小时已收到 25 份，预期约 2 份（依据本单位其他窗口各小时的中位数）" in page


def test_many_posts_from_one_address_raise_the_alarm(history, walk_in, counts_page):
    unit, old, new = history
    for i in range(16):
        walk_in(unit, (old, new)[i % 2], HOUR + timedelta(minutes=2 * i), "f00dfeed")
    db.session.flush()
    page, data = counts_page()
    address = [a for a in data["alarms"] if a["kind"] == "address_burst"]
    assert [(a["unit_code"], a["count"], a["limit"]) for a in address] == [("A01", 16, 15)]
    assert "甲厅：同一网络地址本小时已提交 16 份，超过上限 15 份" in page
    assert "f00dfeed" not in page and "f00dfeed" not in str(data), "the address hash is never shown"


def test_an_ordinary_hour_raises_no_alarm(history, walk_in, counts_page):
    unit, old, _new = history
    for i in range(3):
        walk_in(unit, old, HOUR + timedelta(minutes=10 * i), f"q{i}")
    db.session.flush()
    page, data = counts_page()
    assert data["alarms"] == [] and "本小时异常提交提醒" not in page
