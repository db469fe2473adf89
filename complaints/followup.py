"""Follow-up of bad ratings per unit, for the statistics layer: how many callback cases (差评回访) a year
opened for each rated unit, how many were called back, confirmed for rectification and rectified.

A callback case is called back once it left 'received' (the callback decided: accepted, or declined when
the callback found nothing to put right); it needs rectification once accepted, and counts as rectified
once the rectification was reported (replied) or the case closed after it. A reopened case is not.
"""
from datetime import date

import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import Unit
from complaints.models import Case, CaseKind
from complaints.workflow import CaseStatus as S

CALLED_BACK = tuple(status for status in S if status != S.received)
TO_RECTIFY = (S.accepted, S.assigned, S.replied, S.reopened, S.closed)
RECTIFIED = (S.replied, S.closed)


def callback_counts(year):
    """{unit code: {"callbacks", "called_back", "to_rectify", "rectified"}} for callback cases received in
    `year`, by the unit that was rated; units without any are absent."""
    def count(statuses):
        return sa.func.count(Case.id).filter(Case.status.in_(statuses))

    stmt = (sa.select(Unit.code, sa.func.count(Case.id), count(CALLED_BACK), count(TO_RECTIFY), count(RECTIFIED))
            .join(Unit, Unit.id == Case.unit_id)
            .where(Case.kind == CaseKind.callback, Case.received_on.between(date(year, 1, 1), date(year, 12, 31)))
            .group_by(Unit.code))
    return {code: {"callbacks": n, "called_back": called, "to_rectify": confirmed, "rectified": done}
            for code, n, called, confirmed, done in db.session.execute(stmt)}
