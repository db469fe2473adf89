"""Survey rules and writes. Operations flush; the request boundary commits."""
import hashlib
import secrets
import uuid

import sqlalchemy as sa

from app.kernel.clock import local_today
from app.kernel.privacy import normalise_phone
from app.kernel.refusals import Refusal
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.registry.models import Unit, Window
from app.kernel.scheme import current_scheme, level_labels
from surveys import fixed_intake, intake, salts
from surveys.signals import callback_requested
from surveys.models import (
    Answer, Campaign, FixedRespondent, Group, Invitation, Item, PendingResponse, Questionnaire, Response,
)


class SurveyError(Refusal):
    """A refused survey action; `status` is the HTTP status a view should answer with."""


class AlreadyAnswered(Refusal):
    """The form's one-time ticket was already used: storing it again is refused, and the view shows the
    thank-you page of the earlier submission instead."""

    status = 409

    def __init__(self, response):
        super().__init__("该问卷已经提交过，请勿重复提交。")
        self.response = response




def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def answered(ticket_hash):
    """The response stored or waiting with this form ticket (it has .unit and .window), or None."""
    if ticket_hash is None:
        return None
    return (db.session.scalar(sa.select(Response).where(Response.ticket_hash == ticket_hash))
            or db.session.scalar(sa.select(PendingResponse).where(PendingResponse.ticket_hash == ticket_hash)))


def current_campaign(today):
    """The campaign open today, else the most recent one (to say it is closed)."""
    stmt = sa.select(Campaign).order_by(Campaign.opens_on.desc())
    campaigns = db.session.scalars(stmt).all()
    for campaign in campaigns:
        if campaign.is_open_on(today):
            return campaign
    return campaigns[0] if campaigns else None


def active_window(code):
    window = db.session.scalar(sa.select(Window).where(Window.code == code))
    if window is None or not window.active or not window.unit.active:
        raise SurveyError("未找到该服务窗口，请核对二维码。", 404)
    return window


def check_open(campaign, today):
    if campaign is None or not campaign.is_open_on(today):
        raise SurveyError("本年度服务对象测评当前未开放，感谢您的关注。", 403)


def validate_levels(questionnaire, levels):
    """Check a mapping item_id -> level of the scheme's scale or None (不了解); returns a clean dict."""
    clean, scale = {}, level_labels()
    for item in questionnaire.items:
        level = levels.get(item.id)
        if level is None:
            if item.required and not item.allow_unknown:
                raise SurveyError(f"请回答：{item.text}")
            clean[item.id] = None
        elif level not in scale:
            raise SurveyError(f"“{item.text}”的答案无效。")
        else:
            clean[item.id] = level
    return clean


def submit_response(*, campaign, unit, group, channel, levels, comment="", window=None, duration_s=None,
                    submitted_at=None, digest=None, address_digest=None, entered_by=None, ticket_hash=None,
                    questionnaire=None):
    """Store one response with its answers. Flushes only.

    A ticket already used raises AlreadyAnswered (checked first, and again by the unique key when two
    posts of one page race), storing nothing.
    """
    if group == Group.fixed and submitted_at is None:  # a fixed response keeps its day only (paper too)
        submitted_at = fixed_intake.day_start(local_today())
    questionnaire = questionnaire or campaign.questionnaire_for(group)
    clean = validate_levels(questionnaire, levels)
    _refuse_answered(ticket_hash)
    response = Response(
        public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id,
        window_id=window.id if window else None, group=str(group), questionnaire_id=questionnaire.id,
        channel=str(channel), comment=comment.strip(), duration_s=duration_s,
        submitted_at=submitted_at or utcnow(), client_hash=digest, address_hash=address_digest,
        ticket_hash=ticket_hash,
        entered_by_id=entered_by.id if entered_by else None,
    )
    response.answers = [Answer(item_id=item_id, level=level) for item_id, level in clean.items()]
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except sa.exc.IntegrityError:
        _refuse_answered(ticket_hash)
        raise
    return response


def _refuse_answered(ticket_hash):
    earlier = answered(ticket_hash)
    if earlier is not None:
        raise AlreadyAnswered(earlier)


def submit_walk_in(window, campaign, *, device, address, user_agent, limits, **answers):
    """Store a walk-in response within the intake limits (device, address), or refuse with 429 and
    store nothing: the counters and the response share one savepoint. Its client and address hashes and
    the counter keys are keyed with the day's salt (surveys/salts.py), never with anything that lasts."""
    salt = salts.salt_for(local_today(), current_scheme()["screening"])
    with db.session.begin_nested():
        refused = intake.count_walk_in(window, salt, device=device, address=address,
                                       device_limit=limits[0], address_limit=limits[1])
        if refused:
            raise SurveyError(refused, 429)
        return submit_response(campaign=campaign, unit=window.unit, window=window, group=Group.nonfixed,
                               channel="qr", digest=salts.client_hash(salt, campaign.id, address, user_agent),
                               address_digest=salts.address_hash(salt, campaign.id, address), **answers)


def find_invitation(raw_token):
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash(raw_token)))
    if invitation is None:
        raise SurveyError("邀请码无效，请核对邀请链接。", 404)
    if invitation.used:
        raise SurveyError(fixed_intake.USED_INVITATION, 409)
    return invitation


def submit_invited_response(invitation, levels, comment, duration_s, ticket_hash=None):
    """Claim the invitation and queue its answers apart (see surveys/fixed_intake.py), or refuse with
    409 and keep neither; stores the waiting batch once it is big enough."""
    clean = validate_levels(invitation.campaign.questionnaire_for(Group.fixed), levels)
    _refuse_answered(ticket_hash)
    used = SurveyError(fixed_intake.USED_INVITATION, 409)
    try:
        with db.session.begin_nested():
            fixed_intake.queue_answers(invitation, clean, comment, duration_s, ticket_hash, used)
    except sa.exc.IntegrityError:
        _refuse_answered(ticket_hash)
        raise used from None
    if fixed_intake.waiting() >= current_scheme()["survey"]["fixed_batch"]:
        store_pending_responses()


def store_pending_responses():
    """Store the waiting fixed responses in one shuffled batch; returns how many."""
    def store(*, campaign_id, unit_id, questionnaire_id, **fields):
        # Answers are stored against the version they were given on, even if it was revised since.
        submit_response(campaign=db.session.get(Campaign, campaign_id), unit=db.session.get(Unit, unit_id),
                        questionnaire=db.session.get(Questionnaire, questionnaire_id), group=Group.fixed,
                        channel="link", **fields)

    return fixed_intake.store_pending(store)


def issue_invitations(campaign, unit):
    """Create a token for each listed respondent without one; returns [(respondent, token)].

    The raw token exists only in this return value: it is shown once to the admin.
    """
    invited = set(db.session.scalars(
        sa.select(Invitation.fixed_respondent_id).where(Invitation.campaign_id == campaign.id)
    ))
    issued = []
    for respondent in db.session.scalars(
        sa.select(FixedRespondent).where(FixedRespondent.unit_id == unit.id).order_by(FixedRespondent.id)
    ):
        if respondent.id in invited:
            continue
        token = secrets.token_urlsafe(24)  # 192 bits
        db.session.add(Invitation(campaign_id=campaign.id, fixed_respondent_id=respondent.id,
                                  token_hash=token_hash(token)))
        issued.append((respondent, token))
    db.session.flush()
    return issued


def response_counts(campaign):
    """{unit_id: {"fixed": n, "nonfixed": n}} for the live dashboard."""
    stmt = (
        sa.select(Response.unit_id, Response.group, sa.func.count(Response.id))
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.unit_id, Response.group)
    )
    counts = {}
    for unit_id, group, n in db.session.execute(stmt):
        counts.setdefault(unit_id, {"fixed": 0, "nonfixed": 0})[group] = n
    waiting = (sa.select(PendingResponse.unit_id, sa.func.count(PendingResponse.id))
               .where(PendingResponse.campaign_id == campaign.id).group_by(PendingResponse.unit_id))
    for unit_id, n in db.session.execute(waiting):  # fixed answers not yet stored in their batch
        counts.setdefault(unit_id, {"fixed": 0, "nonfixed": 0})["fixed"] += n
    return counts


def has_responses(questionnaire):
    """Whether any answers, stored or waiting for their batch, were given on this version."""
    for model in (Response, PendingResponse):
        stmt = sa.select(model.id).where(model.questionnaire_id == questionnaire.id).limit(1)
        if db.session.scalar(stmt) is not None:
            return True
    return False


def revise_questionnaire(questionnaire, items):
    """Apply new item definitions; a questionnaire with answers gets a new version instead.

    `items` is a list of dicts (code, text, dimension, weight, allow_unknown).
    Returns the questionnaire now in force; campaigns using the old one move to it.
    """
    if not has_responses(questionnaire):
        # The unit of work inserts before it deletes: drop the old items first, or a kept
        # item code would collide with itself on the (questionnaire, code) key.
        questionnaire.items.clear()
        db.session.flush()
        questionnaire.items = [Item(position=i, **spec) for i, spec in enumerate(items)]
        db.session.flush()
        return questionnaire
    latest = db.session.scalar(
        sa.select(sa.func.max(Questionnaire.version)).where(Questionnaire.code == questionnaire.code)
    )
    revised = Questionnaire(code=questionnaire.code, version=latest + 1, group=questionnaire.group,
                            title=questionnaire.title, intro=questionnaire.intro)
    revised.items = [Item(position=i, **spec) for i, spec in enumerate(items)]
    db.session.add(revised)
    db.session.flush()
    # Closed campaigns keep the version they ran with; open and future ones move to the new one.
    column = Campaign.fixed_questionnaire_id if questionnaire.group == Group.fixed else Campaign.nonfixed_questionnaire_id
    db.session.execute(sa.update(Campaign).where(column == questionnaire.id, Campaign.closes_on >= local_today())
                       .values({column: revised.id}))
    return revised


def units_by_code():
    return {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}


# --- Staff side: campaigns, questionnaire editing, fixed respondents, counts, paper entry ---


def request_callback(unit_id, questionnaire, levels, phone, bad_levels):
    """Announce a callback request when an answer ({item id: level}) rates something badly and the
    respondent — a walk-in or an invited one — left a valid phone and so agreed to be called.

    Only the unit, the phone, the badly rated items and the day travel with the signal: no comment,
    window, time, invitation or other answer, so the case it becomes cannot be tied back to the response,
    and the phone is never stored with the response. Returns whether a request was announced.
    """
    phone = normalise_phone(phone)
    items = [item for item in questionnaire.items if levels.get(item.id) in bad_levels]
    if not phone or not items:
        return False
    callback_requested.send(None, unit_id=unit_id, phone=phone, requested_on=local_today(),
                            items=[f"{item.dimension}：{item.text}" for item in items])
    return True
