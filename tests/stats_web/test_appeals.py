"""申诉复核: a liaison appeals the unit's 差评 within the scheme's working days with a reason and evidence;
the office decides once; an upheld appeal leaves the rating out of the next run (the unit's points change)
and shows in the screening review with who decided; both steps are audited and the unit is told."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.kernel.clock import local_today, utcnow
from app.kernel.extensions import db
from complaints.models import OutboxMessage
from stats.web import appeals
from stats.web.models import Appeal
from stats.web.runs import compute_results
from app.kernel.scheme import current_scheme
from tests.conftest import csrf_from
from tests.stats_web.conftest import YEAR

PDF = b"%PDF-1.4\n% evidence\n"
COMMENT = "那个胖胖的窗口小伙子"


@pytest.fixture
def rated(make, respond):
    """甲厅 (A01): a fixed 非常满意, a walk-in 非常满意 and, today, a walk-in 差评 (everything 1) with a
    comment, plus an old walk-in 差评 and a fixed 差评; 乙厅 (A02) a 差评 of its own."""
    first, second = make.unit(name="甲厅", code="A01"), make.unit(name="乙厅", code="A02")
    window = make.window(first, name="不动产登记窗口")
    now = utcnow()
    respond(first, "fixed", level=5, at=now)
    respond(first, "nonfixed", level=5, at=now)
    bad = respond(first, "nonfixed", level=1, at=now, window=window)
    bad.comment = COMMENT
    old = respond(first, "nonfixed", level=1, at=now - timedelta(days=30))
    fixed_bad = respond(first, "fixed", level=1, at=now)
    other = respond(second, "nonfixed", level=1, at=now)
    db.session.commit()
    return {"unit": first, "bad": bad, "old": old, "fixed_bad": fixed_bad, "other": other}


@pytest.fixture
def liaison(login, rated):
    return login("liaison", unit=rated["unit"])


def _lodge(client, response, reason="该时段窗口暂停服务，评价与事实不符", files=()):
    page = client.get(f"/stats/appeals/new?response={response.public_id}")
    data = {"csrf_token": csrf_from(page.text), "response": response.public_id, "reason": reason,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/stats/appeals/new", data=data, content_type="multipart/form-data")


def test_the_liaison_sees_only_the_units_open_walk_in_bad_ratings(client, liaison, rated):
    page = client.get("/stats/appeals/").text
    assert page.count("/stats/appeals/new?response=") == 1 and rated["bad"].public_id in page
    for hidden in (rated["old"], rated["fixed_bad"], rated["other"]):
        assert hidden.public_id not in page
    assert COMMENT not in page and "不动产登记窗口" in page and "服务态度" in page
    assert 'href="/stats/appeals/"' in client.get("/staff").text


def test_an_appeal_with_reason_and_evidence_is_kept_and_audited(client, liaison, rated):
    response = _lodge(client, rated["bad"], files=[("监控截图说明.pdf", PDF)])
    assert response.status_code == 302
    appeal = db.session.scalars(sa.select(Appeal)).one()
    assert (appeal.status, appeal.unit_id, appeal.year, appeal.lodged_by_id) == ("pending", rated["unit"].id, YEAR,
                                                                                liaison.id)
    [evidence] = appeal.attachments
    assert (evidence.filename, evidence.mimetype, evidence.data) == ("监控截图说明.pdf", "application/pdf", PDF)
    assert appeal.due_on >= local_today()
    page = client.get(response.headers["Location"]).text
    assert "待复核" in page and "监控截图说明.pdf" in page
    download = client.get(f"/stats/appeals/{appeal.id}/files/{evidence.id}")
    assert download.data == PDF and "sandbox" in download.headers["Content-Security-Policy"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "appeal.lodge")).one()
    assert entry.user_id == liaison.id and entry.object_id == str(appeal.id)
    assert rated["bad"].public_id not in client.get("/stats/appeals/").text.split("本单位的申诉")[0]


@pytest.mark.parametrize("reason, files, message", [
    ("", (), "请写明申诉理由"),
    ("理由", [("x.exe", b"MZ\x90\x00")], "不是 PDF、JPG 或 PNG 文件"),
    ("理由", [(f"{n}.pdf", PDF) for n in range(6)], "证明材料最多5个文件"),
])
def test_an_incomplete_appeal_is_refused_and_nothing_kept(client, liaison, rated, reason, files, message):
    response = _lodge(client, rated["bad"], reason=reason, files=files)
    assert response.status_code == 400 and message in response.text
    assert db.session.scalars(sa.select(Appeal)).all() == []


def test_late_foreign_fixed_and_repeated_appeals_are_refused(client, liaison, rated):
    today = local_today()
    with pytest.raises(appeals.AppealError, match="已超过申诉期限"):
        appeals.lodge(rated["unit"], rated["old"].public_id, liaison, "理由", [], today)
    for response in (rated["other"], rated["fixed_bad"]):
        with pytest.raises(appeals.AppealError, match="未找到本单位可申诉"):
            appeals.lodge(rated["unit"], response.public_id, liaison, "理由", [], today)
    assert client.get(f"/stats/appeals/new?response={rated['other'].public_id}").status_code == 404
    token = csrf_from(client.get(f"/stats/appeals/new?response={rated['bad'].public_id}").text)
    foreign = client.post("/stats/appeals/new", data={"csrf_token": token, "response": rated["other"].public_id,
                                                      "reason": "理由"})
    assert foreign.status_code == 404 and db.session.scalars(sa.select(Appeal)).all() == []
    appeals.lodge(rated["unit"], rated["bad"].public_id, liaison, "理由", [], today)
    with pytest.raises(appeals.AppealError, match="不能重复申诉"):
        appeals.lodge(rated["unit"], rated["bad"].public_id, liaison, "理由", [], today)


def _decide(client, appeal, upheld, note="经调取监控，该时段窗口暂停服务，评价与事实不符"):
    page = client.get(f"/stats/appeals/{appeal.id}").text
    return client.post(f"/stats/appeals/{appeal.id}/decide", data={
        "csrf_token": csrf_from(page), "upheld": "yes" if upheld else "no", "note": note})


def _index(unit_code):
    results, _hashes = compute_results(YEAR, current_scheme())
    row = next(row for row in results["units"] if row["unit_code"] == unit_code)
    return row["index"], results


def test_an_upheld_appeal_leaves_the_rating_out_of_the_next_run(client, login, rated, make):
    appeal = appeals.lodge(rated["unit"], rated["bad"].public_id, make.user("liaison", unit=rated["unit"]),
                           "理由", [], local_today())
    db.session.commit()
    before, _results = _index("A01")
    admin = login("admin")
    assert "甲厅" in client.get("/stats/appeals/review").text
    assert _decide(client, appeal, True).status_code == 303
    assert (appeal.status, appeal.decided_by_id) == ("upheld", admin.id)
    after, results = _index("A01")
    assert after > before
    assert {"response_id": rated["bad"].public_id, "reason": "appeal_upheld"}.items() <= next(
        e for e in results["excluded"] if e["response_id"] == rated["bad"].public_id).items()
    notice = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.unit_id == rated["unit"].id)).one()
    assert "经复核成立" in notice.body and "不再计入测评得分" in notice.body
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "appeal.uphold" in actions
    page = client.get(f"/stats/appeals/{appeal.id}").text
    assert "/decide" not in page and "经调取监控" in page  # decided: no form any more
    token = csrf_from(client.get("/stats/").text)
    again = client.post(f"/stats/appeals/{appeal.id}/decide", data={"csrf_token": token, "upheld": "no",
                                                                   "note": "改判"})
    assert again.status_code in (303, 409) and appeal.status == "upheld" and appeal.decision_note != "改判"


def test_the_screening_review_shows_the_decision_and_who_made_it(client, login, rated, make, staff):
    from stats.web.runs import create_run

    appeal = appeals.lodge(rated["unit"], rated["bad"].public_id, make.user("liaison", unit=rated["unit"]),
                           "理由", [], local_today())
    appeals.decide(appeal, make.user("admin", username="zhang_office"), True, "评价与事实不符")
    create_run(YEAR, staff)
    db.session.commit()
    page = client.get(f"/stats/screening?year={YEAR}&reason=appeal_upheld").text
    assert "申诉复核成立" in page and "评价与事实不符" in page and "zhang_office" in page
    assert rated["bad"].public_id[:10] in page


def test_a_rejected_appeal_is_final_and_changes_nothing(client, login, rated, make):
    appeal = appeals.lodge(rated["unit"], rated["bad"].public_id, make.user("liaison", unit=rated["unit"]),
                           "理由", [], local_today())
    db.session.commit()
    before, _results = _index("A01")
    login("admin")
    _decide(client, appeal, False, "理由不充分")
    assert appeal.status == "rejected" and _index("A01")[0] == before
    with pytest.raises(appeals.AppealError, match="最终结论"):
        appeals.decide(appeal, make.user("admin"), True, "改判")


def test_who_may_see_and_decide(client, login, rated, make):
    appeal = appeals.lodge(rated["unit"], rated["bad"].public_id, make.user("liaison", unit=rated["unit"]),
                           "理由", [], local_today())
    db.session.commit()
    login("liaison", unit=make.unit(code="C01"))
    assert client.get(f"/stats/appeals/{appeal.id}").status_code == 404
    login("statistician")
    assert client.get("/stats/appeals/review").status_code == 403
    assert client.post(f"/stats/appeals/{appeal.id}/decide", data={}).status_code in (400, 403)
    assert appeal.status == "pending"
