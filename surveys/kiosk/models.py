"""The hall pads: one row per enrolment code issued, which becomes the pad once the code is typed on it."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry.models import User, Window


class Pad(db.Model):
    """评价平板: a tablet enrolled for one window. Only hashes of its enrolment code and of its credential
    are kept; the code is shown once to the admin, the credential lives in the pad's cookie only."""

    __tablename__ = "pads"
    __table_args__ = (
        sa.CheckConstraint("(credential_hash IS NULL) = (enrolled_at IS NULL)", name="enrolled_with_credential"),
        sa.CheckConstraint("code_expires_at > created_at", name="code_expires_after_issue"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the service window whose questionnaire the pad shows
    window_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("windows.id"), index=True)
    #: the admin's name for the pad, to tell several pads of one window apart
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    #: SHA-256 of the one-time enrolment code, hex; kept after use so that a second use is recognised
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: when the enrolment code stops working if not used (naive UTC)
    code_expires_at: so.Mapped[datetime]
    #: SHA-256 of the pad's credential (its cookie), hex; NULL until the code is typed on the pad
    credential_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    #: when the code was typed on the pad and the credential given (naive UTC); NULL before
    enrolled_at: so.Mapped[datetime | None]
    #: when the pad last opened its questionnaire (naive UTC); NULL if it never did
    last_seen_at: so.Mapped[datetime | None]
    #: when an admin revoked the pad or its unused code (naive UTC); a revoked pad is refused
    revoked_at: so.Mapped[datetime | None]
    #: the admin who issued the enrolment code
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: the admin who revoked it; NULL while it is not revoked
    revoked_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when the enrolment code was issued (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    window: so.Mapped[Window] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    revoked_by: so.Mapped[User | None] = so.relationship(foreign_keys=[revoked_by_id])

    def status(self, now):
        """waiting (code not yet typed), expired (code unused and expired), active or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.enrolled_at is not None:
            return "active"
        return "waiting" if self.code_expires_at > now else "expired"


PAD_STATUS_LABELS = {"waiting": "待启用", "expired": "启用码已过期", "active": "使用中", "revoked": "已停用"}
