"""What the office prints for surveys: window posters (one or all, A4 or A5) and invitation letters (邀请函).

Invitation tokens are stored hashed, so a letter can only be printed with a fresh token: printing the
letters of a unit issues tokens to respondents without one and replaces those not yet used.
"""
from app.audit import operations as audit
from app.kernel.links import public_url
from app.kernel.pdf import render_pdf
from app.kernel.qr import data_uri, qr_png
from app.kernel.scheme import current_scheme, level_labels
from surveys import operations as ops
from surveys.admin_operations import reissue_unused_invitations
from surveys.models import UNKNOWN_LABEL

SIZES = ("A4", "A5")


def window_url(window):
    return public_url("surveys.window_survey", window_code=window.code)


def poster_context(window):
    url = window_url(window)
    return {"window": window, "unit": window.unit, "url": url, "levels": list(level_labels().items()),
            "unknown": UNKNOWN_LABEL, "qr": data_uri("image/png", qr_png(url, box_size=12))}


def posters_pdf(windows, size="A4"):
    """Every given window's poster, one page each, on A4 or A5."""
    return render_pdf("pdf/posters.html", posters=[poster_context(w) for w in windows], size=size)


def invitation_letters(campaign, unit, actor=None):
    """(PDF bytes, count): a letter for each respondent of `unit` who has not answered, with a fresh token;
    `actor` is recorded (None: a command)."""
    issued = reissue_unused_invitations(campaign, unit) + ops.issue_invitations(campaign, unit)
    if issued:
        audit.record("invitation.letters", campaign, actor=actor, details={"unit": unit.code, "count": len(issued)})
    issued.sort(key=lambda pair: pair[0].id)
    letters = []
    for respondent, token in issued:
        link = public_url("surveys.open_invitation", token=token)
        letters.append({"name": respondent.name, "link": link, "qr": data_uri("image/png", qr_png(link, box_size=6))})
    if not letters:
        return None, 0
    issuer = current_scheme()["documents"]["issuer"]
    return render_pdf("pdf/invitation_letters.html", letters=letters, unit=unit, campaign=campaign,
                      issuer=issuer), len(letters)
