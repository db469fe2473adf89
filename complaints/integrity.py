"""Does every case's status follow from its timeline? Case events cannot be changed (triggers), so a case
whose status its events do not reach was changed behind the application's back (direct SQL)."""
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import workflow
from complaints.models import Case, CaseEvent


def cases_off_their_timeline():
    """Problems in Chinese, one per case whose stored status is not where its events lead."""
    cases = db.session.execute(sa.select(Case.id, Case.number, Case.status).order_by(Case.id)).all()
    timelines = {}
    for case_id, action, from_status, to_status in db.session.execute(
            sa.select(CaseEvent.case_id, CaseEvent.action, CaseEvent.from_status, CaseEvent.to_status)
            .order_by(CaseEvent.case_id, CaseEvent.id)):
        timelines.setdefault(case_id, []).append((action, from_status, to_status))
    return [problem for case in cases if (problem := _problem(case, timelines.get(case.id, [])))]


def _problem(case, events):
    try:
        reached = workflow.replay(events)
    except ValueError:
        return f"投诉件{case.number}的办理记录不连贯，无法推出其当前状态。"
    if reached != case.status:
        return (f"投诉件{case.number}的状态为“{_label(case.status)}”，"
                f"但办理记录只到“{_label(reached)}”：状态被绕过系统改动。")
    return None


def _label(status):
    return workflow.STATUS_LABELS.get(status, status or "无")
