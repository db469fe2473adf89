"""Case models: cases (件) and their append-only event log, one-time notices, attachments,
identity views, extensions, the notification outbox, overdue deductions, loaded holiday notices and
pending callback requests."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.audit.models import make_append_only
from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.registry.models import Unit, User, Window
from complaints import workflow


class CaseKind(enum.StrEnum):
    complaint = "complaint"
    inquiry = "inquiry"
    suggestion = "suggestion"
    report = "report"
    callback = "callback"  # 回访: opened from a bad survey rating, not lodged by the citizen


KIND_LABELS = {
    CaseKind.complaint: "投诉", CaseKind.inquiry: "咨询", CaseKind.suggestion: "建议",
    CaseKind.report: "举报", CaseKind.callback: "差评回访",
}
CITIZEN_KINDS = (CaseKind.complaint, CaseKind.inquiry, CaseKind.suggestion, CaseKind.report)


class CaseChannel(enum.StrEnum):
    web = "web"
    phone = "phone"
    walk_in = "walk_in"
    api = "api"
    survey = "survey"


CASE_CHANNEL_LABELS = {CaseChannel.web: "网上", CaseChannel.phone: "电话", CaseChannel.walk_in: "来访",
                  CaseChannel.api: "接口", CaseChannel.survey: "测评差评"}


class Rating(enum.StrEnum):
    satisfied = "satisfied"
    basic = "basic"
    dissatisfied = "dissatisfied"


RATING_LABELS = {Rating.satisfied: "满意", Rating.basic: "基本满意", Rating.dissatisfied: "不满意"}


# The deadline column of each stage; the review after reopening runs on the (recounted) reply deadline.
DUE_COLUMNS = {"accept": "accept_due_on", "reply": "reply_due_on", "review": "reply_due_on",
               "rating": "rating_due_on"}


def _in(column, values):
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Case(db.Model):
    """件: one lodged matter. `version` guards against two handlers acting at once."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(_in("status", workflow.STATUSES), name="status_known"),
        sa.CheckConstraint(_in("kind", list(CaseKind)), name="kind_known"),
        sa.CheckConstraint(_in("channel", list(CaseChannel)), name="channel_known"),
        sa.CheckConstraint("rating IS NULL OR " + _in("rating", list(Rating)), name="rating_known"),
        sa.CheckConstraint("anonymous OR citizen_phone IS NOT NULL", name="named_has_phone"),
        sa.CheckConstraint("NOT anonymous OR (citizen_phone IS NULL AND citizen_name IS NULL)",
                           name="anonymous_has_no_identity"),
        sa.CheckConstraint("reopen_count BETWEEN 0 AND 1", name="reopen_once"),
        sa.CheckConstraint("status <> 'declined' OR decline_reason <> ''", name="declined_has_reason"),
        sa.Index("ix_cases_status_unit", "status", "assigned_unit_id"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case number given to the citizen: Beijing date of receipt YYYYMMDD + 6 random digits, unique
    number: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    #: SHA-256 (hex) of the 8-character private query code, upper-cased; the code itself is never stored
    query_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: complaint, inquiry, suggestion, report, or callback (opened from a bad survey rating) (CaseKind)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    #: how it came in: web, phone, walk_in, api, or survey for callbacks (CaseChannel)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the workflow status (workflow.CaseStatus): received → accepted → assigned → replied → closed;
    #: declined ends it at once, reopened is the review after a 不满意 rating
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="received")
    #: counter raised by every workflow action; an action posted with an older version is refused (two handlers at once)
    version: so.Mapped[int] = so.mapped_column(default=1)

    #: the unit the citizen complains about or asks (被反映单位)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the service window concerned, if the citizen named one; NULL otherwise
    window_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("windows.id"))
    #: the unit now handling it (承办单位), set on assignment and changed by transfer; NULL before
    assigned_unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: what the citizen lodged, as written or as recorded by staff; for a callback, the bad rating's summary
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    #: what the first receiver already told a caller or visitor at intake; empty if nothing
    answer_given: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    # Personal data: masked in lists, each full view logged, never shown to the unit unless released.
    #: True if lodged without name and phone (then both are NULL and no citizen notice is sent)
    anonymous: so.Mapped[bool] = so.mapped_column(default=False)
    #: the citizen's name, optional; NULL when anonymous or not given; shown masked, full views logged
    citizen_name: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    #: the citizen's 11-digit mobile number; required unless anonymous, NULL when anonymous
    citizen_phone: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    #: True once the office released name and phone to the handling unit, with a reason; reset on transfer
    identity_released: so.Mapped[bool] = so.mapped_column(default=False)

    #: 首问责任人: the staff member who first received the case (registered, accepted or declined it);
    #: kept after transfer; NULL while a case lodged online waits for acceptance
    first_receiver_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    #: the office staff member who accepted or declined it; NULL before
    handler_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    #: why it was declined, shown to the citizen; required when declined, empty otherwise
    decline_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: the handling unit's answer written by its liaison, for the office's reply; cleared on transfer
    unit_reply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: when the unit's answer was given (naive UTC); NULL before, cleared on transfer and reopening
    unit_replied_at: so.Mapped[datetime | None]
    #: the official reply (答复) to the citizen; empty before the first reply, replaced by the review's
    reply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: when the latest reply was sent (naive UTC); NULL before
    replied_at: so.Mapped[datetime | None]
    #: the rating the case closed with: satisfied, basic or dissatisfied (Rating); basic when the rating
    #: time ran out; NULL until closed (and for declined cases)
    rating: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    #: when the closing rating was given or the rating time ran out (naive UTC); NULL before
    rated_at: so.Mapped[datetime | None]
    #: times reopened after a 不满意 rating: 0 or 1 (a case is reviewed once at most)
    reopen_count: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    #: when it was closed or declined (naive UTC); NULL while open
    closed_at: so.Mapped[datetime | None]

    # Time limits: the working days in force when filed, the base dates, and the computed due days.
    #: working days allowed for acceptance, from the scheme's rule for the kind when it was filed
    accept_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    #: working days allowed for the reply (and for the review), from the scheme when filed
    reply_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    #: when the case was received (naive UTC)
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: the Beijing date of receipt, from which the acceptance deadline counts
    received_on: so.Mapped[date]
    #: the Beijing date the reply stage last (re)started: acceptance, transfer or reopening; NULL before acceptance
    reply_started_on: so.Mapped[date | None]
    #: working days of the approved extension, added after the reply deadline; 0 if none (reset on
    #: transfer and reopening)
    extension_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    #: the Beijing date by which the case must be accepted or declined
    accept_due_on: so.Mapped[date]
    #: the Beijing date by which the reply (or review) is due; before acceptance, the latest it can be
    reply_due_on: so.Mapped[date]
    #: the Beijing date the rating time ends (reply date + the scheme's rating_timeout_days); NULL until replied
    rating_due_on: so.Mapped[date | None]
    #: True while a deadline falls in a year whose holiday notice is not known; recounted once it is loaded
    deadlines_provisional: so.Mapped[bool] = so.mapped_column(default=False)

    unit: so.Mapped[Unit] = so.relationship(foreign_keys=[unit_id])
    assigned_unit: so.Mapped[Unit | None] = so.relationship(foreign_keys=[assigned_unit_id])
    window: so.Mapped[Window | None] = so.relationship()
    first_receiver: so.Mapped[User | None] = so.relationship(foreign_keys=[first_receiver_id])
    handler: so.Mapped[User | None] = so.relationship(foreign_keys=[handler_id])
    events: so.Mapped[list["CaseEvent"]] = so.relationship(order_by="CaseEvent.id", back_populates="case")
    notice_items: so.Mapped[list["NoticeItem"]] = so.relationship(order_by="NoticeItem.position")
    attachments: so.Mapped[list["Attachment"]] = so.relationship(order_by="Attachment.id")
    extension: so.Mapped["Extension | None"] = so.relationship(back_populates="case")

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return workflow.STATUS_LABELS[self.status]

    @property
    def citizen_status_label(self):
        return workflow.CITIZEN_STATUS_LABELS[self.status]

    @property
    def is_open(self):
        return self.status in workflow.OPEN_STATUSES

    @property
    def stage(self):
        return workflow.stage(self.status)

    @property
    def stage_label(self):
        labels = workflow.CALLBACK_STAGE_LABELS if self.kind == CaseKind.callback else workflow.STAGE_LABELS
        return labels.get(self.stage, "")

    @property
    def current_due_on(self):
        """The deadline of the step now running; None once the case is finished."""
        column = DUE_COLUMNS.get(self.stage)
        return getattr(self, column) if column else None

    @property
    def responsible_unit_id(self):
        return self.assigned_unit_id or self.unit_id


class CaseEvent(db.Model):
    """One step in a case's life: who, when, from, to, note. Rows are never changed or deleted."""

    __tablename__ = "case_events"
    __table_args__ = (
        sa.CheckConstraint("from_status IS NULL OR " + _in("from_status", workflow.STATUSES), name="from_known"),
        sa.CheckConstraint(_in("to_status", workflow.STATUSES), name="to_known"),
    )

    #: row id; orders the case's events
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    #: the workflow action or recorded fact: create, accept, transfer, overdue … (workflow.ACTION_LABELS)
    action: so.Mapped[str] = so.mapped_column(sa.String(24))
    #: the status before; NULL for create
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    #: the status after; the same as from_status for a fact that moves nothing
    to_status: so.Mapped[str] = so.mapped_column(sa.String(12))
    #: the staff member who acted; NULL for the citizen or the system
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: who acted as the log shows it: staff name (or username), 市民 or 系统
    actor_label: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: the step's text: reason, reply, rating, transfer note …; empty if none
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: when it happened (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    case: so.Mapped[Case] = so.relationship(back_populates="events")

    @property
    def action_label(self):
        return workflow.ACTION_LABELS.get(self.action, self.action)


make_append_only(CaseEvent.__table__)  # the database refuses UPDATE and DELETE too, whatever the SQL


@sa.event.listens_for(CaseEvent, "before_update")
@sa.event.listens_for(CaseEvent, "before_delete")
def _events_are_append_only(_mapper, _connection, target):
    raise RuntimeError(f"case event {target.id} is append-only")


class NoticeItem(db.Model):
    """一次性告知: one missing material and the rule that requires it."""

    __tablename__ = "case_notice_items"
    __table_args__ = (sa.UniqueConstraint("case_id", "position"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case the one-time notice belongs to
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"))
    #: order in the notice, from 0
    position: so.Mapped[int]
    #: the missing material, as told to the citizen
    material: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: the rule or document that requires it (依据)
    basis: so.Mapped[str] = so.mapped_column(sa.String(300))


class Attachment(db.Model):
    """A checked image or PDF, stored outside any served folder under a random name."""

    __tablename__ = "case_attachments"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case it was lodged with
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    #: random 32-hex file name in the upload folder's cases/ directory, never served directly
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: the citizen's file name, with the extension corrected to the content
    original_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: image/jpeg, image/png or application/pdf, as sniffed from the content (not the upload's claim)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: bytes stored, after re-encoding (> 0)
    size: so.Mapped[int]
    #: SHA-256 of the stored bytes, hex
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: when it was stored (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class IdentityView(db.Model):
    """A staff member saw a complainant's full name and phone number."""

    __tablename__ = "case_identity_views"

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case whose complainant was seen
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    #: the staff member who saw the full name and phone
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when (naive UTC)
    viewed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship()


class Extension(db.Model):
    """延期: at most one per case (unique), asked before the deadline, decided by an admin."""

    __tablename__ = "case_extensions"
    __table_args__ = (
        sa.CheckConstraint("days > 0", name="days_positive"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approved', 'refused')", name="decision_known"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case (one extension per case)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), unique=True)
    #: working days asked, 1 up to the scheme's extension_max_days
    days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    #: why more time is needed
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the staff member who asked
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was asked (naive UTC), before the reply deadline
    requested_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: approved or refused; NULL while waiting for an admin
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    #: the admin who decided; NULL while waiting
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was decided (naive UTC); NULL while waiting
    decided_at: so.Mapped[datetime | None]
    #: the admin's note on the decision; empty if none
    decision_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    case: so.Mapped[Case] = so.relationship(back_populates="extension")
    requested_by: so.Mapped[User] = so.relationship(foreign_keys=[requested_by_id])


class CallbackRequest(db.Model):
    """A bad survey rating's request for a callback, waiting for the next sweep to open its case.

    Kept apart from the anonymous response and stamped with the day only: no
    time, no response, no window, no comment, so that neither this row nor the
    case the sweep opens later (in random order) can be matched to the response.
    """

    __tablename__ = "case_callback_requests"
    __table_args__ = (
        sa.CheckConstraint("length(phone) = 11", name="phone_is_mobile"),
        sa.CheckConstraint("items <> ''", name="items_given"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit rated badly
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    #: the 11-digit mobile number the respondent left for the callback
    phone: so.Mapped[str] = so.mapped_column(sa.String(11))
    #: the badly rated items, one "dimension：item text" line each (never empty)
    items: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the Beijing date of the rating; no time, so that it cannot be matched to the response
    requested_on: so.Mapped[date]

    unit: so.Mapped[Unit] = so.relationship()


class DeliveryStatus(enum.StrEnum):
    """What became of a notice: only a gateway's acceptance counts as sent; the log back end only records."""

    pending = "pending"  # waiting for the sweep (again, after a failure that may pass)
    logged = "logged"  # written to the application log: nobody received it
    sent = "sent"  # accepted by the SMS gateway, which gave its reference
    delivered = "delivered"  # the gateway reported the handset received it
    undelivered = "undelivered"  # the gateway reported it could not reach the handset
    failed = "failed"  # refused by the gateway, or still failing after the last attempt


DELIVERY_LABELS = {DeliveryStatus.pending: "待发送", DeliveryStatus.logged: "已记录（未外发）",
                   DeliveryStatus.sent: "已发送", DeliveryStatus.delivered: "已送达",
                   DeliveryStatus.undelivered: "未送达", DeliveryStatus.failed: "发送失败"}
# A notice that left through a back end (and has a time it did so).
DONE_STATUSES = (DeliveryStatus.logged, DeliveryStatus.sent, DeliveryStatus.delivered, DeliveryStatus.undelivered)


class OutboxMessage(db.Model):
    """A notice to a citizen, a unit or the office, kept with its text; a back end sends it later."""

    __tablename__ = "case_outbox"
    __table_args__ = (
        sa.CheckConstraint("audience IN ('citizen', 'unit', 'office')", name="audience_known"),
        sa.CheckConstraint("audience <> 'citizen' OR phone IS NOT NULL", name="citizen_has_phone"),
        sa.CheckConstraint("audience <> 'unit' OR unit_id IS NOT NULL", name="unit_has_unit"),
        sa.CheckConstraint(_in("status", list(DeliveryStatus)), name="status_known"),
        sa.CheckConstraint(f"({_in('status', DONE_STATUSES)}) = (sent_at IS NOT NULL)", name="sent_when_done"),
        sa.CheckConstraint("status NOT IN ('sent', 'delivered', 'undelivered') OR reference <> ''",
                           name="sent_has_reference"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case the notice is about; NULL for a notice about no case
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    #: who it is for: citizen, unit or office
    audience: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the unit addressed; required when the audience is unit, NULL otherwise
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    #: the citizen's mobile number; required when the audience is citizen, NULL otherwise
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    #: which notice it is: a key of notify.TEMPLATES (received, accepted, reminder …)
    topic: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the full text, as sent
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    #: makes a repeated sweep write a reminder once: e.g. "reminder:12:reply:2026-03-02:unit"; NULL for
    #: notices that may repeat
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)
    #: when it was queued (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when a back end took it (logged or accepted by the gateway) (naive UTC); NULL while pending or failed
    sent_at: so.Mapped[datetime | None]
    #: sending attempts so far; back to 0 when the office requeues it
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    #: the last failed attempt's error (up to 300 characters); empty if none
    last_error: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    #: a DeliveryStatus: pending until a back end took the notice; logged is not sent
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=DeliveryStatus.pending, index=True)
    #: the SMS gateway's id for the message, to match its delivery report ('' until a gateway accepted it)
    reference: so.Mapped[str] = so.mapped_column(sa.String(64), default="", index=True)
    #: when the gateway reported delivery or non-delivery (naive UTC); None before a report
    reported_at: so.Mapped[datetime | None]

    unit: so.Mapped[Unit | None] = so.relationship()
    case: so.Mapped[Case | None] = so.relationship()


class Deduction(db.Model):
    """超期扣分: points against the responsible unit for one missed deadline, the case as evidence.

    At most one per case, step and unit: a unit transferred a case after another
    unit missed the deadline answers only for its own, fresh deadline.
    Revoking keeps the row: both the deduction and the written reason stay on record.
    """

    __tablename__ = "case_deductions"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "stage", "unit_id"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("revoked_at IS NULL OR (revoked_by_id IS NOT NULL AND revoke_reason <> '')",
                           name="revoke_has_reason"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit charged: the one handling the case when its deadline passed
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the assessment year charged: the year of the missed deadline
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: points deducted (> 0), the scheme's adjustments.overdue_case_deduction at the time
    points: so.Mapped[float]
    #: the case, as evidence
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"))
    #: the step whose deadline was missed: reply or review
    stage: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: the missed deadline (Beijing date)
    due_on: so.Mapped[date]
    #: the reason as it goes to the ledger, naming the case and the deadline
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    #: when the deadline was found missed (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when it was revoked (naive UTC); NULL while it counts
    revoked_at: so.Mapped[datetime | None]
    #: the admin who revoked it; required once revoked, NULL before
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: why it was revoked; required once revoked, empty before
    revoke_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    unit: so.Mapped[Unit] = so.relationship()
    case: so.Mapped[Case] = so.relationship()
    revoked_by: so.Mapped[User | None] = so.relationship()


class CalendarYear(db.Model):
    """A year whose official holiday notice an admin loaded (overrides the package)."""

    __tablename__ = "calendar_years"

    #: the year the notice covers
    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    #: the admin's note on the notice (its title or number, say); empty if none
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: the admin who loaded it; NULL when loaded from the command line
    loaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was (last) loaded (naive UTC)
    loaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CalendarDay(db.Model):
    """One day of a loaded notice: a holiday on a weekday, or a make-up workday (调休) on a weekend."""

    __tablename__ = "calendar_days"

    #: the date
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    #: the loaded notice (year) it comes from
    year: so.Mapped[int] = so.mapped_column(sa.ForeignKey("calendar_years.year"), index=True)
    #: True for a make-up workday (调休) on a weekend, False for a holiday on a weekday
    workday: so.Mapped[bool]
    #: the holiday's name (春节 …); empty if not given
    name: so.Mapped[str] = so.mapped_column(sa.String(40), default="")


class ReceiverNotice(db.Model):
    """首问跟踪: one step of a case told to the officer who first received it (handler or liaison), who
    keeps sight of the case after it moves on. Only the step and the status, never the complainant."""

    __tablename__ = "case_receiver_notices"

    #: the notice's number
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the case the step happened to
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    #: the first receiver the notice is for
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    #: the workflow action of the step (accept, transfer, reply, close …)
    action: so.Mapped[str] = so.mapped_column(sa.String(24))
    #: the notice's text, built from the case number, kind, step, unit and status only
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    #: when the step happened (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when the receiver opened their 我首问的 page after it (naive UTC); None while unread
    read_at: so.Mapped[datetime | None]

    case: so.Mapped[Case] = so.relationship()
