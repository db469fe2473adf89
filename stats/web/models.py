"""Statisticians' records: imported parts, the adjustment ledger, reinstated responses and score runs.

A published score run is frozen: operations refuse to touch it, the ORM hooks at the bottom refuse any
flush that would update or delete one (with a readable message), and database triggers refuse what
bypasses the ORM's unit of work: bulk `update()`/`delete()` statements, `Query.update()`, raw SQL.
"""
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import DDL, event

from app.kernel.extensions import db
from app.kernel.clock import utcnow
from app.documents.models import IssuedDocument
from app.kernel.refusals import Refusal
from app.registry.models import Unit, User
from surveys.models import Response


class FrozenRunError(Refusal):
    """Something tried to change or delete a published score run."""

    status = 409


class PartScore(db.Model):
    """An imported part's points (e.g. 履行核心职能) for one unit and year, with where it came from."""

    __tablename__ = "stats_part_scores"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "year", "part"),
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit the points are for
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the assessment year
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: the scheme's part code (core_duties, power_regulation …); one row per unit, year and part
    part: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: the part's points, 0 up to the part's maximum for the unit's category in the scheme
    points: so.Mapped[float]
    #: where the points came from, as given in the import file; the file's name if not given
    source: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: the import row's remark; empty if none
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: the statistician who last imported the row
    imported_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when the row was last imported (naive UTC); a re-import replaces points and stamp
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    unit: so.Mapped[Unit] = so.relationship()
    imported_by: so.Mapped[User] = so.relationship()


class Origin:
    manual = "manual"
    overdue_case = "overdue_case"
    admonition = "admonition"


ORIGIN_LABELS = {Origin.manual: "人工录入", Origin.overdue_case: "投诉件超期扣分", Origin.admonition: "效能告诫等问责"}


class Adjustment(db.Model):
    """加减分: one signed ledger line. Lines are never deleted; a withdrawn line is revoked with a reason.

    Lines fed from overdue-case deductions carry the case as origin_ref, unique per origin, so feeding
    them again adds nothing.
    """

    __tablename__ = "stats_adjustments"
    __table_args__ = (
        sa.UniqueConstraint("origin", "origin_ref"),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.CheckConstraint("origin IN ('manual', 'overdue_case', 'admonition')", name="origin_known"),
        sa.CheckConstraint("origin = 'manual' OR origin_ref IS NOT NULL", name="fed_line_has_ref"),
        sa.CheckConstraint("origin <> 'manual' OR created_by_id IS NOT NULL", name="manual_line_has_author"),
        sa.CheckConstraint("revoked_at IS NULL OR revoke_reason <> ''", name="revoke_has_reason"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit whose score the line changes
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the assessment year whose total it changes
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: signed points, never 0: positive a bonus, negative a deduction (the year's sums are capped
    #: by the scheme's [adjustments])
    amount: so.Mapped[float]
    #: why the points are added or deducted, as printed in the ledger
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the basis: document title or number, or "投诉件 <case number>" for an overdue-case line
    evidence: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: manual, overdue_case or admonition (Origin): where the line came from
    origin: so.Mapped[str] = so.mapped_column(sa.String(20), default=Origin.manual)
    #: for a fed line, what fed it: "<case number>/<stage>/<unit code>" or "admonition:<id>"; unique per
    #: origin, so feeding again adds nothing; NULL for manual lines
    origin_ref: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    #: the staff member who entered it; required for manual lines, NULL for lines fed from overdue cases
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when the line was entered (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when the line was revoked (naive UTC); NULL while it counts
    revoked_at: so.Mapped[datetime | None]
    #: who revoked it; NULL while it counts or when revoked by the overdue-case feed
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: why it was revoked; required once revoked_at is set, empty before
    revoke_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    unit: so.Mapped[Unit] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    revoked_by: so.Mapped[User | None] = so.relationship(foreign_keys=[revoked_by_id])


class Reinstatement(db.Model):
    """A response that screening excluded, counted again by a statistician's decision, with a note."""

    __tablename__ = "stats_reinstatements"
    __table_args__ = (sa.CheckConstraint("note <> ''", name="note_given"),)

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the excluded response counted again (one reinstatement per response)
    response_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("responses.id"), unique=True)
    #: the assessment year of the response's campaign
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: the screening reason code it overrides (speeder, repeat_client, burst …)
    reason: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the statistician's justification, required
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the statistician who reinstated it
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was reinstated (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    response: so.Mapped[Response] = so.relationship()
    created_by: so.Mapped[User] = so.relationship()


class Admonition(db.Model):
    """效能告诫 (or 通报批评, 行政过错责任追究) issued by the office to a unit or one of its officials: the
    facts, the cases behind it, the level that sets the deduction, the numbered 效能告诫书 and the ledger
    line it created. Revoking it needs a reason and revokes that line."""

    __tablename__ = "stats_admonitions"
    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("revoked_at IS NULL OR revoke_reason <> ''", name="revoke_has_reason"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the unit admonished, or whose official is
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the assessment year whose score loses the points
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: the official's name and post when an individual is admonished; empty for the unit itself
    official: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    #: the scheme's level code (county_admonition …), which set the points
    level: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: the level's label as issued (县级效能告诫 …), kept should the scheme change later
    level_label: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: the points deducted
    points: so.Mapped[float]
    #: the facts found (查明的事实), printed in the 效能告诫书
    facts: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the numbers of the cases behind it, comma-separated (may be empty)
    case_numbers: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    #: the numbered 效能告诫书 in the register
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("issued_documents.id"))
    #: the deduction it put in the ledger
    adjustment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("stats_adjustments.id"))
    #: who issued it
    issued_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was issued (UTC)
    issued_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: when it was revoked (UTC), if it was
    revoked_at: so.Mapped[datetime | None]
    #: who revoked it
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: why it was revoked
    revoke_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    unit: so.Mapped[Unit] = so.relationship()
    document: so.Mapped[IssuedDocument] = so.relationship()
    adjustment: so.Mapped[Adjustment | None] = so.relationship()
    issued_by: so.Mapped[User] = so.relationship(foreign_keys=[issued_by_id])
    revoked_by: so.Mapped[User | None] = so.relationship(foreign_keys=[revoked_by_id])


class AppealStatus:
    pending = "pending"
    upheld = "upheld"
    rejected = "rejected"


APPEAL_STATUS_LABELS = {AppealStatus.pending: "待复核", AppealStatus.upheld: "申诉成立", AppealStatus.rejected: "申诉不成立"}


class Appeal(db.Model):
    """申诉复核: a unit's appeal against a 差评 it holds mistaken or malicious, lodged by its liaison
    within the scheme's working days, decided once by the office. An upheld appeal leaves the rating
    out of every later score run (screening reason appeal_upheld); a rejected one is final."""

    __tablename__ = "stats_appeals"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'upheld', 'rejected')", name="status_known"),
        sa.CheckConstraint("reason <> ''", name="reason_given"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_when_not_pending"),
        sa.CheckConstraint("status = 'pending' OR (decision_note <> '' AND decided_by_id IS NOT NULL)",
                           name="decision_has_note_and_author"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the rating appealed (one appeal per rating)
    response_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("responses.id"), unique=True)
    #: the unit appealing, whose rating it is
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the assessment year of the rating's campaign
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: why the unit holds the rating mistaken or malicious
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    #: pending, upheld or rejected (AppealStatus)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=AppealStatus.pending)
    #: the liaison who lodged it
    lodged_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was lodged (naive UTC)
    lodged_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: the last day it could be lodged (the rating's day plus the scheme's working days), as checked
    due_on: so.Mapped[date]
    #: the office member who decided it
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was decided (naive UTC); NULL while pending
    decided_at: so.Mapped[datetime | None]
    #: the office's reasons for the decision
    decision_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    response: so.Mapped[Response] = so.relationship()
    unit: so.Mapped[Unit] = so.relationship()
    lodged_by: so.Mapped[User] = so.relationship(foreign_keys=[lodged_by_id])
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])
    attachments: so.Mapped[list["AppealAttachment"]] = so.relationship(order_by="AppealAttachment.id",
                                                                       back_populates="appeal")

    @property
    def status_label(self):
        return APPEAL_STATUS_LABELS[self.status]


class AppealAttachment(db.Model):
    """Evidence for an appeal (a PDF, JPEG or PNG), kept in the database with its hash."""

    __tablename__ = "stats_appeal_attachments"

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the appeal it supports
    appeal_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("stats_appeals.id"), index=True)
    #: the file's name as uploaded (cleaned)
    filename: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: its type as recognised from its first bytes: application/pdf, image/jpeg or image/png
    mimetype: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: SHA-256 of the bytes
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: the file itself
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)

    appeal: so.Mapped[Appeal] = so.relationship(back_populates="attachments")


class RunStatus:
    draft = "draft"
    published = "published"


class ScoreRun(db.Model):
    """计分: one frozen computation of a year's points and ranks, its inputs' hashes and its scheme."""

    __tablename__ = "stats_score_runs"
    __table_args__ = (
        sa.UniqueConstraint("year", "sequence"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
        sa.CheckConstraint("status = 'draft' OR (published_at IS NOT NULL AND published_by_id IS NOT NULL)",
                           name="published_has_stamp"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the assessment year computed
    year: so.Mapped[int] = so.mapped_column(index=True)
    #: the run's number within its year, from 1 (第N次计分)
    sequence: so.Mapped[int]
    #: the statistician's remark on the run; empty if none
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: the name of the scheme the run used
    scheme_name: so.Mapped[str] = so.mapped_column(sa.String(80))
    #: that scheme's version, as text; empty if the scheme has none
    scheme_version: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    #: SHA-256 of the scheme file's bytes the run used, hex (the text itself is in results)
    scheme_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: {"units"|"responses"|"parts"|"adjustments"|"reinstatements": digest} of the frozen inputs
    input_hashes: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: the whole computation as JSON: totals and ranks, indices, exclusions, inputs, the scheme's text and layout
    results: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: draft or published (RunStatus); a published run is frozen (ORM hooks and DB triggers)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=RunStatus.draft)
    #: the statistician who ran it; NULL when run from the command line
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was computed (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: who published it; NULL while a draft
    published_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was published (naive UTC); NULL while a draft
    published_at: so.Mapped[datetime | None]
    #: the year's run before this one, which the comparison page diffs against; NULL for the first
    previous_run_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("stats_score_runs.id"))
    #: who confirmed, when publishing, that the units listed as without a rank (too few valid responses,
    #: no data) are published so; NULL when the run ranked every unit
    unranked_confirmed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    published_by: so.Mapped[User | None] = so.relationship(foreign_keys=[published_by_id])
    unranked_confirmed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[unranked_confirmed_by_id])
    previous_run: so.Mapped["ScoreRun | None"] = so.relationship(remote_side=[id])

    @property
    def is_published(self):
        return self.status == RunStatus.published

    @property
    def label(self):
        return f"{self.year}年度第{self.sequence}次计分"


def _status_when_loaded(run):
    """The status the row had in the database before this flush's changes."""
    history = sa.inspect(run).attrs.status.history
    return history.deleted[0] if history.deleted else run.status


@event.listens_for(ScoreRun, "before_update")
def _refuse_update_of_published(_mapper, _connection, run):
    # before_update also fires for rows merely marked dirty: only real column changes count.
    changed = so.object_session(run).is_modified(run, include_collections=False)
    if changed and _status_when_loaded(run) == RunStatus.published:
        raise FrozenRunError(f"{run.label}已发布，不能修改")


@event.listens_for(ScoreRun, "before_delete")
def _refuse_delete_of_published(_mapper, _connection, run):
    if _status_when_loaded(run) == RunStatus.published:
        raise FrozenRunError(f"{run.label}已发布，不能删除")


# The triggers, per dialect. The initial migration imports these two constants, so create_all (tests)
# and migrated databases get the same SQL. No "%" or ":" in them: DDL() and text() would read those.
FROZEN_RUN_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER stats_score_runs_frozen_update BEFORE UPDATE ON stats_score_runs "
        "WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '已发布的计分结果不能修改'); END",
        "CREATE TRIGGER stats_score_runs_frozen_delete BEFORE DELETE ON stats_score_runs "
        "WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '已发布的计分结果不能删除'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION stats_score_runs_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '已发布的计分结果不能修改或删除' USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$",
        "CREATE TRIGGER stats_score_runs_frozen BEFORE UPDATE OR DELETE ON stats_score_runs "
        "FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION stats_score_runs_frozen()",
    ),
}
FROZEN_RUN_TRIGGERS_DROP = {
    "sqlite": ("DROP TRIGGER IF EXISTS stats_score_runs_frozen_update",
               "DROP TRIGGER IF EXISTS stats_score_runs_frozen_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS stats_score_runs_frozen ON stats_score_runs",
                   "DROP FUNCTION IF EXISTS stats_score_runs_frozen()"),
}


def _create_triggers_with_the_table():
    for dialect, statements in FROZEN_RUN_TRIGGERS.items():
        for statement in statements:
            event.listen(ScoreRun.__table__, "after_create", DDL(statement).execute_if(dialect=dialect))


_create_triggers_with_the_table()
