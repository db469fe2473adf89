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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    query_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="received")
    version: so.Mapped[int] = so.mapped_column(default=1)

    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    window_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("windows.id"))
    assigned_unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    answer_given: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    # Personal data: masked in lists, each full view logged, never shown to the unit unless released.
    anonymous: so.Mapped[bool] = so.mapped_column(default=False)
    citizen_name: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    citizen_phone: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    identity_released: so.Mapped[bool] = so.mapped_column(default=False)

    first_receiver_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    handler_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    decline_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    unit_reply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    unit_replied_at: so.Mapped[datetime | None]
    reply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    replied_at: so.Mapped[datetime | None]
    rating: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    rated_at: so.Mapped[datetime | None]
    reopen_count: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    closed_at: so.Mapped[datetime | None]

    # Time limits: the working days in force when filed, the base dates, and the computed due days.
    accept_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    reply_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    received_on: so.Mapped[date]
    reply_started_on: so.Mapped[date | None]
    extension_days: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    accept_due_on: so.Mapped[date]
    reply_due_on: so.Mapped[date]
    rating_due_on: so.Mapped[date | None]
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(24))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(12))
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    actor_label: so.Mapped[str] = so.mapped_column(sa.String(64))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"))
    position: so.Mapped[int]
    material: so.Mapped[str] = so.mapped_column(sa.String(200))
    basis: so.Mapped[str] = so.mapped_column(sa.String(300))


class Attachment(db.Model):
    """A checked image or PDF, stored outside any served folder under a random name."""

    __tablename__ = "case_attachments"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    original_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    content_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    size: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class IdentityView(db.Model):
    """A staff member saw a complainant's full name and phone number."""

    __tablename__ = "case_identity_views"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    viewed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship()


class Extension(db.Model):
    """延期: at most one per case (unique), asked before the deadline, decided by an admin."""

    __tablename__ = "case_extensions"
    __table_args__ = (
        sa.CheckConstraint("days > 0", name="days_positive"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approved', 'refused')", name="decision_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"), unique=True)
    days: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    requested_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    decided_at: so.Mapped[datetime | None]
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"))
    phone: so.Mapped[str] = so.mapped_column(sa.String(11))
    items: so.Mapped[str] = so.mapped_column(sa.Text)  # "dimension:item" lines of the low-rated items
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id"), index=True)
    audience: so.Mapped[str] = so.mapped_column(sa.String(10))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("units.id"))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    topic: so.Mapped[str] = so.mapped_column(sa.String(20))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Makes a repeated sweep write a reminder once: e.g. "reminder:12:reply:2026-03-02:unit".
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[datetime | None]
    attempts: so.Mapped[int] = so.mapped_column(default=0)
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

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    year: so.Mapped[int] = so.mapped_column(index=True)
    points: so.Mapped[float]
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id"))
    stage: so.Mapped[str] = so.mapped_column(sa.String(10))
    due_on: so.Mapped[date]
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    revoked_at: so.Mapped[datetime | None]
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    unit: so.Mapped[Unit] = so.relationship()
    case: so.Mapped[Case] = so.relationship()
    revoked_by: so.Mapped[User | None] = so.relationship()


class CalendarYear(db.Model):
    """A year whose official holiday notice an admin loaded (overrides the package)."""

    __tablename__ = "calendar_years"

    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    loaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    loaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CalendarDay(db.Model):
    """One day of a loaded notice: a holiday on a weekday, or a make-up workday (调休) on a weekend."""

    __tablename__ = "calendar_days"

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(sa.ForeignKey("calendar_years.year"), index=True)
    workday: so.Mapped[bool]
    name: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
