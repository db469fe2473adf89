"""Letters to the citizen about a case (告知书, 答复意见书), as PDF from the status page and the case page.

They name the case by number only and address the citizen by role (投诉人), never by name: the same
letter may be downloaded by the liaison of the unit complained about.
"""
from urllib.parse import quote

from flask import Response, abort

from app.kernel.clock import chinese_date
from app.kernel.links import public_url
from app.kernel.pdf import render_pdf
from app.kernel.qr import data_uri, qr_png
from app.kernel.scheme import current_scheme
from app.kernel.clock import local_date
from complaints.workflow import CaseStatus

LETTERS = {
    "acceptance": "受理告知书",
    "notice": "一次性告知书",
    "decline": "不予受理告知书",
    "reply": "答复意见书",
}


def _event_day(case, action):
    event = next((e for e in reversed(case.events) if e.action == action), None)
    return local_date(event.created_at) if event else None


def available(case):
    """[(kind, title)] of the letters this case has reached, in the order they are issued."""
    ready = {
        "acceptance": _event_day(case, "accept") is not None,
        "notice": bool(case.notice_items),
        "decline": case.status == CaseStatus.declined,
        "reply": bool(case.reply),
    }
    return [(kind, title) for kind, title in LETTERS.items() if ready[kind]]


def _paragraphs(case, kind, cases_rules):
    received, unit = chinese_date(case.received_on), case.unit.name
    about = f"你（单位）于{received}反映的有关{unit}的{case.kind_label}事项（编号{case.number}）"
    if kind == "acceptance":
        return [f"{about}，本机关已于{chinese_date(_event_day(case, 'accept'))}受理。",
                f"本机关将在受理之日起{case.reply_days}个工作日内办结并答复（最迟于{chinese_date(case.reply_due_on)}前），"
                "因情况复杂需要延期的，将另行告知。办理期间，可凭编号和查询码查询办理进度。"]
    if kind == "notice":
        place = f"{unit}{case.window.name}" if case.window else unit
        return [f"{about}，经审查，尚需补充下列材料。现一次性告知如下：",
                f"请自收到本告知书之日起{cases_rules['supplement_days']}个工作日内，凭编号和查询码在查询页面补充上传，"
                f"或将材料送至{place}。逾期未补充的，将根据现有材料办理。"]
    if kind == "decline":
        return [f"{about}，经审查，本机关决定不予受理。", f"理由及依据：{case.decline_reason}",
                "如所反映事项属于其他机关职责范围，请向有关机关反映；也可拨打12345政务服务便民热线咨询。"]
    return [f"{about}，经调查核实，现答复如下：", *case.reply.splitlines(),
            "如对本答复不满意，可凭编号和查询码在查询页面评价，初次答复评价为“不满意”的，将重新办理一次。"]


def _dated(case, kind):
    days = {"acceptance": _event_day(case, "accept"), "decline": _event_day(case, "decline"),
            "notice": _event_day(case, "one_time_notice"),  # told later; at intake: the day received
            "reply": local_date(case.replied_at) if case.replied_at else None}
    return days.get(kind) or case.received_on


def render_letter(case, kind):
    """The letter as PDF bytes; `kind` must be one the case has reached (see available())."""
    scheme = current_scheme()
    documents = scheme["documents"]
    doc = {"issuer_mark": documents["issuer_mark"], "number": None, "draft_mark": None,
           "title": f"效能{case.kind_label}{LETTERS[kind]}", "recipients": f"{case.kind_label}人",
           "attachments_note": [], "issuer": documents["issuer"], "dated": _dated(case, kind)}
    link = public_url("cases.lookup", number=case.number)
    return render_pdf("pdf/case_letter.html", doc=doc, case=case, kind=kind,
                      paragraphs=_paragraphs(case, kind, scheme["cases"]), link=link, qr=data_uri("image/png", qr_png(link, box_size=6)))


def pdf_response(case, kind):
    """The letter as a PDF response, or 404 when the case has not reached it."""
    if kind not in dict(available(case)):
        abort(404)
    filename = f"{case.number}-{LETTERS[kind]}.pdf"
    return Response(render_letter(case, kind), mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"{case.number}-{kind}.pdf\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
