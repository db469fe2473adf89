"""Taking numbers and registering issued documents. Operations flush; the request commits."""
import hashlib

import sqlalchemy as sa

from app.documents.models import DocumentSeries, IssuedDocument, document_number
from app.kernel.extensions import db


def take_number(prefix, year):
    """The next number of the series for the year. The counter row is created if missing, then
    incremented by one UPDATE … RETURNING, which locks the row until the transaction ends: concurrent
    issuers queue, and a rolled-back issue gives its number back."""
    if db.session.get(DocumentSeries, (prefix, year)) is None:
        db.session.add(DocumentSeries(prefix=prefix, year=year, last_number=0))
        db.session.flush()
    return db.session.execute(
        sa.update(DocumentSeries)
        .where(DocumentSeries.prefix == prefix, DocumentSeries.year == year)
        .values(last_number=DocumentSeries.last_number + 1)
        .returning(DocumentSeries.last_number)
    ).scalar_one()


def issue(*, kind, title, subject, prefix, year, dated, actor, render):
    """Take the next number, render the PDF with it (`render(code) -> bytes`) and register it."""
    number = take_number(prefix, year)
    pdf = render(document_number(prefix, year, number))
    document = IssuedDocument(prefix=prefix, year=year, number=number, kind=kind, title=title, subject=subject,
                              issued_by_id=actor.id, dated=dated, sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf)
    db.session.add(document)
    db.session.flush()
    return document


def issued_for(subject):
    """Documents issued from one subject (e.g. a score run), newest first."""
    return db.session.scalars(sa.select(IssuedDocument).where(IssuedDocument.subject == subject)
                              .order_by(IssuedDocument.issued_at.desc())).all()


def register_rows(year=None):
    query = sa.select(IssuedDocument).order_by(IssuedDocument.year.desc(), IssuedDocument.prefix,
                                               IssuedDocument.number.desc())
    if year:
        query = query.where(IssuedDocument.year == year)
    return db.session.scalars(query).all()
