"""Who did what is recorded: accounts, units and windows, campaigns, questionnaires, respondents and
invitations, identity views, the ledger, reinstatements, parts imports and score runs."""
import io

import sqlalchemy as sa

from app.audit import operations as audit
from app.audit.models import AuditEntry
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from app.registry.models import User
from complaints import operations as case_ops
from stats.web import operations as stats_ops, runs
from surveys import admin_operations as survey_ops, printing
from tests.conftest import csrf_from


def _post(client, url, data, form_url=None, **kwargs):
    token = csrf_from(client.get(form_url or url).data)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def _entries(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _one(action):
    entries = _entries(action)
    assert len(entries) == 1, [(e.action, e.details) for e in entries]
    return entries[0], audit.details_of(entries[0])


def test_account_changes_name_the_admin_and_the_account(client, login, make):
    admin = login("admin")
    unit = make.unit()
    assert _post(client, "/admin/users/new", {"username": "li.ming", "display_name": "李明", "role": "liaison",
                                              "unit": unit.code}).status_code == 200
    user = db.session.scalar(sa.select(User).where(User.username == "li.ming"))
    entry, details = _one("user.create")
    assert (entry.user_id, entry.username, entry.object_type, entry.object_id) == \
        (admin.id, admin.username, "users", str(user.id))
    assert details == {"username": "li.ming", "name": "李明", "role": "单位联络员", "unit": unit.code}
    _post(client, f"/admin/users/{user.id}/password", {}, form_url="/admin/users")
    _post(client, f"/admin/users/{user.id}/active", {"active": "0"}, form_url="/admin/users")
    _post(client, f"/admin/users/{user.id}/active", {"active": "1"}, form_url="/admin/users")
    assert [len(_entries(a)) for a in ("user.reset_password", "user.disable", "user.enable")] == [1, 1, 1]
    assert "one-time" not in " ".join(e.details for e in db.session.scalars(sa.select(AuditEntry)))


def test_a_refused_change_records_nothing(client, login):
    admin = login("admin")
    response = _post(client, f"/admin/users/{admin.id}/active", {"active": "0"}, form_url="/admin/users")
    assert response.status_code == 409 and _entries("user.disable") == []


def test_unit_window_and_import_changes_are_recorded(client, login, make):
    login("admin")
    assert _post(client, "/admin/units/new", {"code": "Z101", "name": "省新设厅", "category": "2", "active": "y"}
                 ).status_code == 302
    entry, details = _one("unit.create")
    unit_id = int(entry.object_id)
    _post(client, f"/admin/units/{unit_id}", {"code": "Z101", "name": "省新设厅（合并）", "category": "2", "active": "y"})
    _, details = _one("unit.edit")
    assert details["changes"] == {"name": ["省新设厅", "省新设厅（合并）"]}
    _post(client, f"/admin/units/{unit_id}/windows/new", {"code": "Z101-W1", "name": "综合窗口", "active": "y"})
    assert _one("window.create")[1]["code"] == "Z101-W1"
    csv_file = (io.BytesIO("code,name,category\nZ102,省另一厅,1\n".encode()), "units.csv")
    _post(client, "/admin/units/import", {"file": csv_file}, form_url="/admin/units", content_type="multipart/form-data")
    assert _one("unit.import")[1] == {"created": 1, "updated": 0, "file": "units.csv"}


def test_campaigns_questionnaires_respondents_and_invitations_are_recorded(make):
    actor = make.user(role="admin")
    campaign = make.campaign(year=2031)
    unit = make.unit()
    survey_ops.save_campaign(campaign, year=2031, name="改名后的测评", opens_on=campaign.opens_on,
                             closes_on=campaign.closes_on, fixed_questionnaire=campaign.fixed_questionnaire,
                             nonfixed_questionnaire=campaign.nonfixed_questionnaire, actor=actor)
    entry, details = _one("campaign.edit")
    assert entry.username == actor.username and details["changes"] == {"name": ["2031年度测评", "改名后的测评"]}
    questionnaire = survey_ops.create_questionnaire(code="qa", group="nonfixed", title="问卷", actor=actor, items=[
        {"code": "q1", "text": "满意吗", "dimension": "总体评价", "weight": 1.0, "allow_unknown": False}])
    assert _one("questionnaire.create")[1] == {"code": "qa", "version": 1, "title": "问卷", "items": 1}
    survey_ops.edit_questionnaire(questionnaire, title="问卷二", actor=actor, items=[
        {"code": "q1", "text": "满意吗", "dimension": "总体评价", "weight": 1.0, "allow_unknown": False}])
    assert _one("questionnaire.edit")[0].object_id == str(questionnaire.id)
    survey_ops.import_fixed_respondents(unit, [{"name": "某企业", "kind": "enterprise", "contact": ""}], actor=actor)
    assert _one("respondents.import")[1] == {"unit": unit.code, "created": 1, "updated": 0}
    survey_ops.issue_invitations(campaign, unit, actor=actor)
    survey_ops.issue_invitations(campaign, unit, reissue=True, actor=actor)
    assert _one("invitation.issue")[1] == {"unit": unit.code, "count": 1, "reissued": 0}
    assert _one("invitation.reissue")[1] == {"unit": unit.code, "count": 1, "reissued": 1}


def test_printing_letters_records_the_fresh_tokens(app, make, monkeypatch):
    monkeypatch.setattr(printing, "render_pdf", lambda *_args, **_kw: b"%PDF")
    campaign, respondent = make.campaign(), make.fixed_respondent()
    with app.test_request_context("/"):
        assert printing.invitation_letters(campaign, respondent.unit) == (b"%PDF", 1)
    entry, details = _one("invitation.letters")
    assert entry.username == "" and details == {"unit": respondent.unit.code, "count": 1}


def test_identity_views_and_releases_are_recorded(make):
    handler = make.user(role="handler")
    case, _code = case_ops.create_case(kind="complaint", unit=make.unit(), description="测试事项", name="李四",
                                       phone="13912345678")
    db.session.flush()
    case_ops.view_identity(case, handler)
    entry, details = _one("case.identity_view")
    assert (entry.username, entry.object_type, details) == (handler.username, "cases", {"number": case.number})
    assert "李四" not in entry.details and "13912345678" not in entry.details
    case_ops.accept(case, handler)
    case_ops.release_identity(case, handler, "承办单位需要联系投诉人")
    assert _one("case.identity_release")[1] == {"number": case.number, "reason": "承办单位需要联系投诉人"}


def test_ledger_parts_and_runs_are_recorded(make):
    statistician = make.user(role="statistician")
    unit = make.unit()
    make.campaign(year=2031)
    line = stats_ops.add_adjustment(unit, 2031, -2, "迟报材料", "通报第1号", statistician)
    stats_ops.revoke_adjustment(line, statistician, "误录")
    assert _one("adjustment.add")[1] == {"unit": unit.code, "year": 2031, "amount": -2.0, "reason": "迟报材料"}
    assert _one("adjustment.revoke")[0].object_id == str(line.id)
    stats_ops.import_parts(f"unit_code,part,points\n{unit.code},core_duties,280\n", "核心职能.csv", 2031,
                           statistician, current_scheme())
    assert _one("parts.import")[1] == {"year": 2031, "file": "核心职能.csv", "created": 1, "updated": 0}
    run = runs.create_run(2031, statistician)
    assert _one("run.create")[1] == {"year": 2031, "sequence": 1}
    runs.publish_run(run, statistician, confirm_missing_parts=True, confirm_unranked=True)
    entry, details = _one("run.publish")
    assert entry.username == statistician.username and details["sequence"] == 1
    assert details["unranked"] == 1 and run.unranked_confirmed_by_id == statistician.id
    assert audit.verify().intact


def test_a_revoked_deduction_is_recorded_and_its_reason_shown_escaped(client, login, make):
    from complaints import deductions
    from complaints.models import Deduction

    script = '<script>alert("x")</script>'
    unit = make.unit()
    case, _code = case_ops.create_case(kind="complaint", unit=unit, description="测试事项", anonymous=True)
    deduction = Deduction(unit_id=unit.id, year=2025, points=2, case_id=case.id, stage="reply",
                          due_on=case.reply_due_on, reason="超期")
    db.session.add(deduction)
    db.session.flush()
    admin = login("admin")
    deductions.revoke(deduction, admin, script)
    assert _one("deduction.revoke")[1] == {"year": 2025, "reason": script, "amount": 2.0}
    page = client.get("/admin/audit/?action=deduction.revoke").data.decode()
    assert "撤销超期扣分" in page and "&lt;script&gt;" in page and "<script>alert" not in page


def test_a_password_change_is_recorded_and_a_wrong_current_password_changes_nothing(client, login):
    user = login("handler")
    page = client.get("/auth/password").data.decode()
    form = {"current": "wrong-password", "new": "a-new-long-password", "confirm": "a-new-long-password",
            "csrf_token": csrf_from(page)}
    wrong = client.post("/auth/password", data=form)
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.data.decode()
    assert _entries("auth.password_change") == []
    assert client.post("/auth/password", data={**form, "current": "a-long-test-password"}).status_code == 302
    entry, _details = _one("auth.password_change")
    assert (entry.username, entry.object_id) == (user.username, str(user.id))
    db.session.refresh(user)
    assert user.check_password("a-new-long-password")
