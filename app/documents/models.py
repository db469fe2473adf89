"""The 发文登记: one counter per series and year, and one row per issued document."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.registry.models import User


class DocumentSeries(db.Model):
    """The last number taken in one series (发文字号 prefix) and year; incremented in the issuing
    transaction, so two documents can never get the same number."""

    __tablename__ = "document_series"

    #: 发文字号的机关代字, e.g. 皖效办
    prefix: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    #: the year the numbers run in (年份)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: the highest number issued so far in this series and year
    last_number: so.Mapped[int] = so.mapped_column(default=0)


class IssuedDocument(db.Model):
    """A numbered document as issued: its number, title, who issued it, and the exact PDF."""

    __tablename__ = "issued_documents"
    __table_args__ = (sa.UniqueConstraint("prefix", "year", "number"),
                      sa.CheckConstraint("number > 0", name="number_positive"))

    #: row id
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: 机关代字 of the 发文字号
    prefix: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: the year in the 发文字号's 六角括号
    year: so.Mapped[int]
    #: the serial number within prefix and year (no leading zeros when printed)
    number: so.Mapped[int]
    #: what kind of document: ranking_notice, admonition …
    kind: so.Mapped[str] = so.mapped_column(sa.String(30), index=True)
    #: the document's title (标题) as printed
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: what it was issued from, e.g. "score_run:12" (for finding a run's notice again)
    subject: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    #: the staff member who issued it
    issued_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    #: when it was issued (UTC)
    issued_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: 成文日期 printed on the document
    dated: so.Mapped[datetime] = so.mapped_column(sa.Date)
    #: SHA-256 of the issued PDF, hex
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: the issued PDF itself, so the register hands out exactly what was issued
    pdf: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)

    issued_by: so.Mapped[User] = so.relationship()

    @property
    def code(self):
        return document_number(self.prefix, self.year, self.number)


def document_number(prefix, year, number):
    """发文字号 per GB/T 9704: 机关代字, year in 六角括号, serial number without leading zeros or 第."""
    return f"{prefix}〔{year}〕{int(number)}号"
