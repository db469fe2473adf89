"""Official documents (公文): the register of issued numbers (发文登记) and the stored issued copies.

Domains that issue a numbered document (the ranking notice of stats, the 效能告诫书 …) call
`operations.issue`; the register page lists what was issued, by whom and when, with the PDF's hash.
"""


def blueprints():
    from app.documents import views

    return (views.bp,)
