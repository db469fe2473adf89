"""Survey models: questionnaires (versioned), campaigns, fixed respondents, invitations, responses."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.registry.models import Unit, Window


class Group(enum.StrEnum):
    fixed = "fixed"
    nonfixed = "nonfixed"


GROUP_LABELS = {Group.fixed: "固定服务对象", Group.nonfixed: "非固定服务对象"}


class ResponseChannel(enum.StrEnum):
    qr = "qr"
    link = "link"
    paper = "paper"
    platform = "platform"  # a rating given on the provincial platform, imported (surveys/exchange_import.py)
    pad = "pad"  # a rating given on a hall pad at the window (surveys/kiosk/)
    service = "service"  # the one rating of a registered service (办件评价, surveys/services/)


RESPONSE_CHANNEL_LABELS = {ResponseChannel.qr: "扫码", ResponseChannel.link: "邀请链接", ResponseChannel.paper: "纸质问卷",
                           ResponseChannel.platform: "省级平台", ResponseChannel.pad: "评价平板",
                           ResponseChannel.service: "办件评价"}

# Stored levels follow the glossary: 5 = 非常满意 … 1 = 非常不满意; NULL = 不了解.
UNKNOWN_LABEL = "不了解"


class Questionnaire(db.Model):
    """问卷: one version of a list of items. A version with answers is never edited."""

    __tablename__ = "questionnaires"
    __table_args__ = (
        sa.UniqueConstraint("code", "version"),
        sa.CheckConstraint("\"group\" IN ('fixed', 'nonfixed')", name="group_known"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the questionnaire's code, shared by all its versions
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: version number within the code, from 1; a new version is made instead of editing one with answers
    version: so.Mapped[int] = so.mapped_column(default=1)
    #: who answers it: fixed or nonfixed (Group)
    group: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the title shown above the questions
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: the introduction shown under the title; empty if none
    intro: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: when this version was created (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    items: so.Mapped[list["Item"]] = so.relationship(
        back_populates="questionnaire", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(db.Model):
    """题目: one question, with its dimension, weight and whether 不了解 is offered."""

    __tablename__ = "items"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "code"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the questionnaire version the item belongs to
    questionnaire_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("questionnaires.id"), index=True)
    #: the item's code, unique within its questionnaire version; names the item's column in CSV exports
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: order on the page, from 0
    position: so.Mapped[int] = so.mapped_column(default=0)
    #: the question as shown to the respondent
    text: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: 测评维度 it measures, e.g. 服务态度, 办事效率, 总体评价
    dimension: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: the item's weight (> 0) in a response's weighted mean over the items answered
    weight: so.Mapped[float] = so.mapped_column(default=1.0)
    #: True if 不了解 is offered (stored as a NULL level, left out of scoring)
    allow_unknown: so.Mapped[bool] = so.mapped_column(default=False)
    #: True if the respondent must answer it (a level, or 不了解 where offered)
    required: so.Mapped[bool] = so.mapped_column(default=True)

    questionnaire: so.Mapped[Questionnaire] = so.relationship(back_populates="items")


class Campaign(db.Model):
    """测评活动: one assessment year's survey round."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.CheckConstraint("closes_on >= opens_on", name="dates_ordered"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the assessment year the campaign's responses count for
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: the campaign's name as shown to staff
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: first Beijing date on which responses are accepted
    opens_on: so.Mapped[date]
    #: last Beijing date on which responses are accepted (inclusive, not before opens_on)
    closes_on: so.Mapped[date]
    #: the questionnaire version fixed respondents answer
    fixed_questionnaire_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("questionnaires.id"))
    #: the questionnaire version walk-in (non-fixed) respondents answer
    nonfixed_questionnaire_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("questionnaires.id"))
    #: when the campaign was created (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    fixed_questionnaire: so.Mapped[Questionnaire] = so.relationship(foreign_keys=[fixed_questionnaire_id])
    nonfixed_questionnaire: so.Mapped[Questionnaire] = so.relationship(foreign_keys=[nonfixed_questionnaire_id])

    def questionnaire_for(self, group):
        return self.fixed_questionnaire if group == Group.fixed else self.nonfixed_questionnaire

    def is_open_on(self, day):
        return self.opens_on <= day <= self.closes_on


class FixedRespondent(db.Model):
    """固定服务对象: an enterprise, body or person on a unit's registered list."""

    __tablename__ = "fixed_respondents"
    __table_args__ = (sa.UniqueConstraint("unit_id", "name"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit whose registered list the respondent is on
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the enterprise's, body's or person's name, unique within the unit
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: enterprise, body or person (RESPONDENT_KINDS: 企业, 机关团体, 个人)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="enterprise")
    #: phone or e-mail for the invitation, shown masked to staff; empty if not given
    contact: so.Mapped[str] = so.mapped_column(sa.String(100), default="")

    unit: so.Mapped[Unit] = so.relationship()


class Invitation(db.Model):
    """邀请码: a single-use token; only its SHA-256 is stored, and only *that* it was used, never when."""

    __tablename__ = "invitations"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "fixed_respondent_id"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the campaign the invitation is for
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: the fixed respondent invited (one invitation per respondent and campaign)
    fixed_respondent_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("fixed_respondents.id"))
    #: SHA-256 of the invitation token, hex; the token itself is never stored
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: when the invitation was issued (naive UTC); says nothing about when it was used
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: answered; no time, so that no response can be matched to it by when either was written
    used: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    campaign: so.Mapped[Campaign] = so.relationship()
    fixed_respondent: so.Mapped[FixedRespondent] = so.relationship()


class Response(db.Model):
    """答卷: one submitted questionnaire.

    A non-fixed response carries no token, account or address: only keyed
    hashes of client address and browser, and of the address alone, for
    screening of stuffing. A fixed
    response carries nothing of its invitation: it is queued apart and stored
    in shuffled batches (surveys/fixed_intake.py), with its day only.
    """

    __tablename__ = "responses"
    __table_args__ = (
        sa.CheckConstraint("\"group\" IN ('fixed', 'nonfixed')", name="group_known"),
        sa.CheckConstraint("channel IN ('qr', 'link', 'paper', 'platform', 'pad', 'service')", name="channel_known"),
        sa.CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration_not_negative"),
        sa.CheckConstraint("address_hash IS NULL OR client_hash IS NOT NULL", name="address_hash_with_client"),
        # the live screening on the counts page reads the last days' responses
        sa.Index("ix_responses_submitted_at", "submitted_at"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: random 32-hex id shown to staff and in exports (screening, reinstatements) instead of the row id
    public_id: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    #: the campaign the response was given in
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: the unit assessed
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the service window it was given at; NULL for fixed responses and paper sheets without a window
    window_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("windows.id"))
    #: fixed or nonfixed (Group): which respondent group's index it counts in
    group: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the questionnaire version answered
    questionnaire_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("questionnaires.id"))
    #: how it came in: qr, link, paper, platform, pad or service (ResponseChannel)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the respondent's 意见和建议, free text; empty if none
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: seconds from the page being shown to its submission (speeder screening); a number, not a start time
    duration_s: so.Mapped[float | None]
    #: naive UTC; a fixed response keeps only its day (the start of that Beijing day)
    submitted_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: keyed hash of client address and browser (32 hex) for stuffing screening; NULL for fixed, paper and
    #: pad responses (a hall pad is one browser for every citizen: its own hourly limit bounds it instead)
    client_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: keyed hash of the network address alone (32 hex), for screening many responses from one address;
    #: NULL where client_hash is
    address_hash: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    #: SHA-256 of the random one-time ticket the questionnaire page was rendered with: unique, so a
    #: resubmitted page (back button, double tap, replay) is stored once. It names nothing else.
    ticket_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    #: the staff member who keyed in a paper sheet; NULL for responses given online
    entered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    unit: so.Mapped[Unit] = so.relationship()
    window: so.Mapped[Window | None] = so.relationship()
    questionnaire: so.Mapped[Questionnaire] = so.relationship()
    answers: so.Mapped[list["Answer"]] = so.relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    """One item's answer; level NULL means 不了解 (left out of scoring)."""

    __tablename__ = "answers"
    __table_args__ = (sa.CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level_range"),)

    #: the response this answer is part of
    response_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("responses.id"), primary_key=True)
    #: the item answered
    item_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    #: 满意度等级 5 (非常满意) … 1 (非常不满意); NULL = 不了解, left out of scoring
    level: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)

    response: so.Mapped[Response] = so.relationship(back_populates="answers")
    item: so.Mapped[Item] = so.relationship()


class ClientSalt(db.Model):
    """The random salt of one Beijing day that keys walk-ins' hashes (client, address, intake counters).

    Hashes made with one salt compare with each other, which is all screening needs; once the salt is
    deleted ([screening] salt_keep_days after its day, surveys/salts.py), nobody — whatever they hold of
    the database, the instance folder and the access logs — can turn an address into one of that day's
    hashes again.
    """

    __tablename__ = "client_salts"
    __table_args__ = (sa.CheckConstraint("length(salt) = 64", name="salt_length"),)

    #: the Beijing day whose walk-ins it keys
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    #: 32 random bytes as hex
    salt: so.Mapped[str] = so.mapped_column(sa.String(64))


class IntakeCounter(db.Model):
    """How many walk-in responses one device or one address stored at one window in one clock hour.

    Incremented in the response's own transaction by a conditional upsert, so the intake limits hold
    under several workers and nodes; the key is a keyed hash, never the address or the cookie.
    Rows of past hours are deleted as the window takes new responses.
    """

    __tablename__ = "intake_counters"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('device', 'address')", name="kind_known"),
        sa.CheckConstraint("stored > 0", name="stored_positive"),
    )

    #: the service window the responses were given at
    window_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("windows.id"), primary_key=True)
    #: the start of the clock hour (UTC) counted
    hour: so.Mapped[datetime] = so.mapped_column(primary_key=True)
    #: what is counted: a device (its first-party cookie) or a network address
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    #: keyed hash of the device cookie or the address, in a domain of its own
    key: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    #: responses stored in that hour
    stored: so.Mapped[int]


class PendingResponse(db.Model):
    """A fixed response waiting to be stored with others in a shuffled batch.

    Written in the transaction that claims the invitation, deleted when its batch is stored: while it
    waits, it is the one thing close to an invitation, so it waits as briefly as the batch size allows.
    """

    __tablename__ = "pending_responses"

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the campaign answered in
    campaign_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("campaigns.id"))
    #: the unit assessed
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    #: the questionnaire version answered
    questionnaire_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("questionnaires.id"))
    #: the Beijing day it was submitted
    submitted_on: so.Mapped[date]
    #: seconds the page was open, as on the response
    duration_s: so.Mapped[float | None]
    #: the comment, as given
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: the answers as JSON, {item id: level or null}
    levels: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the form ticket's hash, so that a resubmitted page is thanked while its answers wait
    ticket_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)

    unit: so.Mapped[Unit] = so.relationship()
    window = None  # answered by invitation, at no window


class PlatformRating(db.Model):
    """A rating imported from the provincial platform: its id there, so that importing the same file again
    adds nothing, and who imported it when. The response it became has channel 'platform'."""

    __tablename__ = "platform_ratings"

    #: the response the rating became
    response_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("responses.id"), primary_key=True)
    #: the platform's rating id, as given (unique: the same rating is imported once)
    rating_id: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: when it was imported (naive UTC)
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: the staff member who imported it; NULL from the command line
    imported_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: the platform's 差评 handling status, as given (its own code; empty for a rating that is not a 差评)
    handling_status: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    #: the day the platform's callback (回访) took place, as given
    called_back_on: so.Mapped[date | None]
    #: the day the platform's rectification (整改) was completed, as given
    rectified_on: so.Mapped[date | None]

    response: so.Mapped[Response] = so.relationship()
