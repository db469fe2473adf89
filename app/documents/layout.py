"""The parts of a 公文 every document shares, filled from the scheme's [documents] settings."""


def official(documents, *, title, dated, number=None, attachments=(), draft_mark=None, recipients=None):
    """The `doc` context of templates/pdf/gongwen.html. A draft has no number and carries a mark."""
    return {
        "issuer_mark": documents["issuer_mark"], "number": number,
        "draft_mark": None if number else (draft_mark or "草稿"), "title": title,
        "recipients": documents["main_recipients"] if recipients is None else recipients,
        "attachments_note": list(attachments), "issuer": documents["issuer"], "dated": dated,
        "copy_to": documents.get("copy_to"), "printer": documents["printer"], "printed": dated,
    }
