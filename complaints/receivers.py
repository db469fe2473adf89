"""首问负责 carried through: the first receiver of a case (handler or liaison) is told of each step and
keeps read-only sight of it; the office sees, per unit, what its officers received first and how it
ended. Notices say only the case number, kind, step and status: never who complained.
"""
from datetime import date

import sqlalchemy as sa

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry.models import Unit, User
from complaints import workflow
from complaints.models import Case, KIND_LABELS, ReceiverNotice

# Events that are no step of the receiver's interest: their own record, and deadlines recounted.
QUIET = ("create", "recompute")
NOTICES_SHOWN = 30
OFFICE = "效能办"


def tell(case, action, to_status, actor, now=None):
    """Queue a notice of `action` for the case's first receiver, unless they took the step themselves."""
    receiver = case.first_receiver_id
    if receiver is None or action in QUIET or (actor is not None and actor.id == receiver):
        return None
    body = (f"您首问登记的{KIND_LABELS.get(case.kind, case.kind)}件{case.number}有新进展："
            f"{workflow.ACTION_LABELS.get(action, action)}，当前状态为“{workflow.STATUS_LABELS[to_status]}”。")
    notice = ReceiverNotice(case_id=case.id, user_id=receiver, action=action, body=body, created_at=now or utcnow())
    db.session.add(notice)
    return notice


def notices_for(user):
    """The receiver's latest notices, newest first, and how many of them were unread."""
    stmt = (sa.select(ReceiverNotice).where(ReceiverNotice.user_id == user.id)
            .order_by(ReceiverNotice.id.desc()).limit(NOTICES_SHOWN))
    notices = db.session.scalars(stmt).all()
    return notices, sum(notice.read_at is None for notice in notices)


def mark_read(user, now=None):
    """The receiver has seen their notices (their 我首问的 page was shown)."""
    db.session.execute(sa.update(ReceiverNotice).where(ReceiverNotice.user_id == user.id,
                                                       ReceiverNotice.read_at.is_(None))
                       .values(read_at=now or utcnow()).execution_options(synchronize_session=False))


def unread_count(user):
    return db.session.scalar(sa.select(sa.func.count(ReceiverNotice.id)).where(
        ReceiverNotice.user_id == user.id, ReceiverNotice.read_at.is_(None)))


def by_unit(year):
    """Per unit of the first receivers (the office apart), for cases received in `year`: how many its
    officers received first, how many went on to another unit, and how many were closed (办结).

    Rows: {"unit": name, "received", "handed_over", "closed"}, most received first.
    """
    receiver_unit = User.unit_id
    passed_on = sa.and_(Case.assigned_unit_id.is_not(None),
                        sa.or_(receiver_unit.is_(None), Case.assigned_unit_id != receiver_unit))
    stmt = (sa.select(Unit.id, Unit.name, sa.func.count(Case.id), sa.func.count(sa.case((passed_on, 1))),
                      sa.func.count(sa.case((Case.status == workflow.CaseStatus.closed, 1))))
            .select_from(Case).join(User, User.id == Case.first_receiver_id)
            .outerjoin(Unit, Unit.id == receiver_unit)
            .where(Case.received_on.between(date(year, 1, 1), date(year, 12, 31)))
            .group_by(Unit.id, Unit.name).order_by(sa.func.count(Case.id).desc(), Unit.name))
    return [{"unit": name or OFFICE, "received": received, "handed_over": passed, "closed": closed}
            for _id, name, received, passed, closed in db.session.execute(stmt)]
