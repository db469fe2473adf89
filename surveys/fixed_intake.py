"""Fixed respondents' answers, kept so that no one holding the database can say whose they are.

The invitation is claimed by a conditional UPDATE (used = true where not yet used): however many posts
race, the database lets one claim through. The answers do not go to `responses` then: they wait in
`pending_responses` (claim and queue in one transaction, so no invitation is spent without its answers)
and are stored with the others waiting, in shuffled order, once `[survey] fixed_batch` of them wait, or
when `flask --app wsgi surveys flush` runs (hourly from cron, with `cases sweep`). Storing a batch also
rewrites every used invitation of its campaigns, in id order, in the same transaction: on PostgreSQL they
then all carry that transaction's id (xmin), so the order in which they were claimed is lost. A response
keeps its day and its duration only; an invitation keeps only that it was used.
"""
import json
import secrets
from datetime import datetime, time, timezone

import sqlalchemy as sa

from app.kernel.clock import SHANGHAI, local_today
from app.kernel.extensions import db
from surveys.models import Group, Invitation, PendingResponse

USED_INVITATION = "该邀请码已使用，每位固定服务对象只能评价一次。感谢您的参与。"


def claim_invitation(invitation, refusal):
    """Mark the invitation used in one conditional update; a lost race raises `refusal`."""
    result = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise refusal


def queue_answers(invitation, clean_levels, comment, duration_s, ticket_hash, refusal):
    """Claim the invitation and queue its answers (flushes only); raises `refusal` if it was used."""
    campaign = invitation.campaign
    claim_invitation(invitation, refusal)
    db.session.add(PendingResponse(
        campaign_id=campaign.id, unit_id=invitation.fixed_respondent.unit_id,
        questionnaire_id=campaign.questionnaire_for(Group.fixed).id, submitted_on=local_today(),
        duration_s=duration_s, comment=comment.strip(), ticket_hash=ticket_hash,
        levels=json.dumps({str(item_id): level for item_id, level in clean_levels.items()}),
    ))
    db.session.flush()


def waiting():
    return db.session.scalar(sa.select(sa.func.count(PendingResponse.id)))


def store_pending(store):
    """Store every waiting response through `store(**fields)`, in random order; returns how many.

    The batch is taken by DELETE … RETURNING, so two runs at once never store one twice.
    """
    columns = [getattr(PendingResponse, name) for name in
               ("campaign_id", "unit_id", "questionnaire_id", "submitted_on", "duration_s", "comment", "levels",
                "ticket_hash")]
    batch = [row._asdict() for row in db.session.execute(sa.delete(PendingResponse).returning(*columns))]
    if not batch:
        return 0
    secrets.SystemRandom().shuffle(batch)  # ids must not follow the order of the claims
    for row in batch:
        store(campaign_id=row["campaign_id"], unit_id=row["unit_id"], questionnaire_id=row["questionnaire_id"],
              submitted_at=day_start(row["submitted_on"]), duration_s=row["duration_s"], comment=row["comment"],
              levels={int(item_id): level for item_id, level in json.loads(row["levels"]).items()},
              ticket_hash=row["ticket_hash"])
    _rewrite_used_invitations({row["campaign_id"] for row in batch})
    db.session.flush()
    return len(batch)


def _rewrite_used_invitations(campaign_ids):
    """Write every used invitation again, in id order (the same order in every run: no deadlock)."""
    ids = db.session.scalars(sa.select(Invitation.id).where(Invitation.campaign_id.in_(campaign_ids),
                                                            Invitation.used.is_(True)).order_by(Invitation.id)).all()
    if ids:
        db.session.execute(sa.update(Invitation), [{"id": invitation_id, "used": True} for invitation_id in ids])


def day_start(day):
    """The start of a Beijing day as naive UTC, the only time a fixed response keeps."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)
