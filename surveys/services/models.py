"""The service record (办件): what was done, by whom, and its one rating."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry.models import Unit, Window
from surveys.models import Response


class ServiceRecord(db.Model):
    """办件: a finished service and its one-time rating link.

    One rating per record: the rating claims response_id by a conditional UPDATE (… WHERE response_id IS
    NULL), and response_id is unique, so replays, double taps and concurrent posts store one response.
    The citizen's mobile number is kept only with their consent to a callback, and only until the service
    is rated or its link expires; it never travels with the answers.
    """

    __tablename__ = "service_records"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "case_number"),
        sa.CheckConstraint("callback_phone IS NULL OR length(callback_phone) = 11", name="phone_is_mobile"),
        sa.CheckConstraint("(api_key_id IS NULL) <> (registered_by_id IS NULL)", name="one_registrar"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: random 32-hex id given to the registering system (service_id) and used in staff URLs
    public_id: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    #: the unit that delivered the service
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the service window it was delivered at (one of the unit's)
    window_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("windows.id"))
    #: 事项编码: the service matter's code in the province's catalogue, as the system sent it
    matter_code: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: 事项名称: the service matter's name, shown to the citizen on the rating page
    matter_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: 办件编号: the case number in the unit's own system, unique within the unit
    case_number: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: the serving officer's staff number (工号), kept internally for the unit's per-officer figures
    officer_number: so.Mapped[str] = so.mapped_column(sa.String(32))
    #: when the service was finished (办结时间, naive UTC)
    finished_at: so.Mapped[datetime]
    #: when it was registered (naive UTC)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: the rating link is refused after this moment (naive UTC): registration + [services] rating_link_days
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)
    #: SHA-256 of the rating link's token, hex; the token is derived from public_id with the app's key
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: the rating (a non-fixed response of channel 'service'); NULL until rated, claimed once
    response_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("responses.id"), unique=True)
    #: the citizen's 11-digit mobile, only with their consent to a callback after a 差评; erased (NULL) once
    #: the service is rated or its link has expired
    callback_phone: so.Mapped[str | None] = so.mapped_column(sa.String(11))
    #: the API key of the business system that registered it; NULL when a staff member did
    api_key_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("api_keys.id"))
    #: the staff member who registered it on the page; NULL when a business system did
    registered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    unit: so.Mapped[Unit] = so.relationship()
    window: so.Mapped[Window] = so.relationship()
    response: so.Mapped[Response | None] = so.relationship()
