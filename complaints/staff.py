"""Staff case pages: the queue, a case with its actions, first-receiver records, attachments, export.

Handlers and admins (the efficiency office) see every case; a unit liaison sees
only cases assigned to their unit, without the complainant's identity unless a
handler released it for that case. Another unit's case answers 404.
"""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.registry.forms import unit_choices
from app.registry.auth import role_required
from app.kernel.clock import local_today
from app.kernel.extensions import db
from app.kernel.scheme import current_scheme
from app.registry import operations as registry
from app.registry.models import Role
from complaints import (attachments, letters, one_time_notice, operations as ops, queue as cases_queue, receivers,
                        workflow)
from app.kernel.clock import local_text
from complaints.deductions import unit_is_late
from complaints.forms import (AcceptForm, AssignForm, CloseForm, DeclineForm, ExtensionDecisionForm, ExtensionForm,
                              NoticeForm, QueueForm, RecordForm, ReleaseForm, ReplyForm, TransferForm, UnitReplyForm,
                              active_unit)
from complaints.holidays import unknown_years, work_calendar
from complaints.models import CaseKind, CASE_CHANNEL_LABELS, RATING_LABELS
from app.kernel.privacy import mask_name, mask_phone

bp = Blueprint("case_staff", __name__, url_prefix="/staff/cases")

CASE_ROLES = ("admin", "handler", "liaison")  # the roles that see case pages
OFFICE = ("admin", "handler")
PER_PAGE = 50
MAX_PAGE = 10_000  # a larger ?page= would overflow the database's OFFSET


def _unit_for(form):
    unit = active_unit(form.unit_code.data)
    if unit is None:
        raise ops.CaseError("请选择有效的单位。")
    return unit


# action name -> (form class, roles allowed, what it does)
ACTIONS = {
    "accept": (AcceptForm, OFFICE, lambda c, f, u, v: ops.accept(c, u, f.note.data, v)),
    "decline": (DeclineForm, OFFICE, lambda c, f, u, v: ops.decline(c, u, f.reason.data, v)),
    "assign": (AssignForm, OFFICE, lambda c, f, u, v: ops.assign(c, u, _unit_for(f), f.note.data or "", v)),
    "transfer": (TransferForm, OFFICE, lambda c, f, u, v: ops.transfer(c, u, _unit_for(f), f.note.data, v)),
    "extension": (ExtensionForm, OFFICE,
                  lambda c, f, u, v: ops.request_extension(c, u, f.days.data, f.reason.data, v)),
    "decide_extension": (ExtensionDecisionForm, ("admin",),
                         lambda c, f, u, v: ops.decide_extension(c, u, f.decision.data == "approve", f.note.data, v)),
    "unit_reply": (UnitReplyForm, ("liaison",), lambda c, f, u, v: ops.unit_reply(c, u, f.text.data, v)),
    "notice": (NoticeForm, CASE_ROLES, lambda c, f, u, v: one_time_notice.issue(c, u, f.notice_pairs(), v)),
    "reply": (ReplyForm, OFFICE, lambda c, f, u, v: ops.reply(c, u, f.text.data, v)),
    "close": (CloseForm, OFFICE, lambda c, f, u, v: ops.rate(c, f.rating.data, u, f.note.data, v)),
    "release": (ReleaseForm, OFFICE, lambda c, f, u, v: ops.release_identity(c, u, f.reason.data, v)),
}

# Which workflow action each page action performs (for the transition-table check).
_WORKFLOW_ACTION = {"extension": "request_extension", "decide_extension": "approve_extension",
                    "release": "release_identity", "close": "close", "notice": "one_time_notice"}


def available_actions(case, user):
    """The actions this user may try on this case now (the operations check again on submit)."""
    names = []
    for name, (_form, roles, _do) in ACTIONS.items():
        if user.role not in roles:
            continue
        try:
            workflow.next_status(_WORKFLOW_ACTION.get(name, name), case.status)
        except workflow.TransitionRefused:
            continue
        names.append(name)
    extension = case.extension
    skip = {"extension"} if extension is not None else set()
    if extension is None or extension.decision is not None:
        skip.add("decide_extension")
    if case.anonymous or case.identity_released:
        skip.add("release")
    if user.role == Role.liaison and case.assigned_unit_id != user.unit_id:
        skip.add("unit_reply")
    if one_time_notice.refusal(case, user):
        skip.add("notice")
    return [name for name in names if name not in skip]


def _forms(case, user, failed=None):
    forms = {}
    for name in available_actions(case, user):
        form = failed[1] if failed and failed[0] == name else ACTIONS[name][0](formdata=None, prefix=name)
        form.version.data = str(case.version)
        if hasattr(form, "unit_code"):
            form.unit_code.choices = unit_choices(blank="请选择")
            if name == "assign" and not form.unit_code.data:
                form.unit_code.data = case.unit.code
        if name == "reply" and not form.text.data:
            form.text.data = case.unit_reply
        forms[name] = form
    return forms


ACTION_TITLES = {
    "accept": "受理", "decline": "不予受理", "assign": "交办给承办单位", "transfer": "转办给其他单位",
    "extension": "申请延期（仅一次）", "decide_extension": "审批延期申请", "unit_reply": "填写单位答复意见",
    "reply": "答复市民", "close": "记录回访评价并办结", "release": "向承办单位提供投诉人身份",
    "notice": "一次性告知所缺材料",
}


def _render_case(case, failed=None, status=200, notice=None, revealed=None):
    user = current_user
    titles = dict(ACTION_TITLES, accept="回访核实完毕，受理") if case.kind == CaseKind.callback else ACTION_TITLES
    context = {
        "today": local_today(), "rating_labels": RATING_LABELS, "action_titles": titles, "local": local_text,
        "status_labels": workflow.STATUS_LABELS, "letters": letters.available(case),
        "case": case, "forms": _forms(case, user, failed), "notice": notice, "revealed": revealed,
        "can_see_identity": ops.can_see_identity(case, user), "is_office": user.role in OFFICE,
        "receiver_only": user.role == Role.liaison and case.assigned_unit_id != user.unit_id,
        "open_action": request.args.get("act", ""),
        "masked": (mask_name(case.citizen_name), mask_phone(case.citizen_phone)),
        "channel_label": CASE_CHANNEL_LABELS.get(case.channel, case.channel),
        "unknown_years": unknown_years(local_today()), "unit_late": unit_is_late(case, local_today()),
        **ops.case_records(case, user),
    }
    response = Response(render_template("complaints/case.html", **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _case_or_404(number):
    try:
        return ops.case_for_staff(number, current_user)
    except ops.CaseError:
        abort(404)


FILTER_FIELDS = {"status", "kind", "unit", "channel", "due", "received_from", "received_to"}


@bp.route("/")
@role_required(*CASE_ROLES)
def queue():
    """Search, filters and the figures; a filter that cannot be read answers 400 with the form."""
    form = QueueForm(request.args)
    calendar, today = work_calendar(), local_today()
    valid = form.validate()
    stmt = cases_queue.queue_statement(current_user, form.filters() if valid else cases_queue.Filters(),
                                       today, calendar)
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = db.paginate(stmt, page=number, per_page=PER_PAGE, error_out=False, count=True)
    left = {case.id: cases_queue.days_left(case, today, calendar) for case in page.items}
    notices, unread = receivers.notices_for(current_user) if valid and form.mine.data else ([], 0)
    if notices:
        receivers.mark_read(current_user)
    html = render_template("complaints/queue.html", page=page, form=form, args=form.args() if valid else {},
                           left=left, today=today, soon_days=current_scheme()["cases"]["due_soon_days"], show_identity=current_user.role in OFFICE,
                           figures=cases_queue.figures(current_user, today, calendar), notices=notices,
                           local=local_text, filtered=valid and bool(set(form.args()) & FILTER_FIELDS),
                           unread=unread if notices else receivers.unread_count(current_user),
                           mask_name=mask_name, mask_phone=mask_phone, unknown_years=unknown_years(today))
    return html, 200 if valid else 400


@bp.route("/trend")
@role_required(*CASE_ROLES)
def trend():
    """Cases received, closed and declined per month over a year, with the satisfaction rate."""
    today = local_today()
    return render_template("complaints/trend.html", rows=cases_queue.trend(current_user, today),
                           figures=cases_queue.figures(current_user, today, work_calendar()))


@bp.route("/first-receivers")
@role_required(*OFFICE)
def first_receivers():
    """首问负责 per unit: cases its officers received first, passed on to another unit, and closed."""
    today = local_today()
    year = request.args.get("year", type=int)
    year = year if year in range(2000, 2101) else today.year
    return render_template("complaints/first_receivers.html", year=year, rows=receivers.by_unit(year),
                           years=range(today.year - 4, today.year + 1))


@bp.route("/export.csv")
@role_required(*CASE_ROLES)
def export():
    """The visible cases as CSV; identity masked for the office and absent for a unit."""
    return Response(ops.export_csv(current_user), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=cases.csv", "Cache-Control": "no-store"})


@bp.route("/record", methods=["GET", "POST"])
@role_required(*CASE_ROLES)
def record():
    form = RecordForm()
    units = registry.all_units(active_only=True)
    if request.method == "GET" and current_user.unit_id:
        form.unit_code.data = current_user.unit.code
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("complaints/record.html", form=form, units=units), status
    case, code = ops.create_case(channel=form.channel.data, first_receiver=current_user,
                                 answer_given=form.answer_given.data, notice_items=form.notice_pairs(),
                                 **form.case_fields())
    flash(f"已登记，编号 {case.number}，查询码 {code}。请告知来电来访人凭编号和查询码查询进度。"
          "您是本件的首问责任人，可在“我首问的”中跟踪办理进度。", "success")
    return redirect(url_for("case_staff.detail", number=case.number))


@bp.route("/<number>")
@role_required(*CASE_ROLES)
def detail(number):
    return _render_case(_case_or_404(number))


@bp.route("/<number>/identity", methods=["POST"])
@role_required(*CASE_ROLES)
def identity(number):
    """Show the full name and phone once, and log that this user saw them."""
    case = _case_or_404(number)
    try:
        revealed = ops.view_identity(case, current_user)
    except ops.CaseError as error:
        return _render_case(case, status=error.status, notice=error.message)
    return _render_case(case, revealed=revealed)


@bp.route("/<number>/act/<action>", methods=["POST"])
@role_required(*CASE_ROLES)
def act(number, action):
    case = _case_or_404(number)
    if action not in ACTIONS:
        abort(404)
    form_class, roles, do = ACTIONS[action]
    if current_user.role not in roles:
        abort(403)
    form = form_class(prefix=action)  # prefixed: several action forms share the case page
    if hasattr(form, "unit_code"):
        form.unit_code.choices = unit_choices(blank="请选择")
    if not form.validate():
        notice = form.version.errors[0] if form.version.errors else "请检查填写的内容。"
        return _render_case(case, (action, form), 400, notice)
    try:
        outcome = do(case, form, current_user, form.shown_version())
    except ops.CaseError as error:
        db.session.rollback()  # show the case as it now is, without anything this attempt touched
        return _render_case(_case_or_404(number), (action, form), error.status, error.message)
    flash(_done_message(action, outcome), "success")
    return redirect(url_for("case_staff.detail", number=case.number))


# What a rating did (operations.rate returns it): 不满意 reopens the case instead of closing it.
OUTCOME_MESSAGES = {"reopened": "已记录“不满意”评价，该件重新办理（复查）。", "closed": "已记录回访评价，该件已办结。"}


# What each workflow action did, as a sentence (a label after 已 is not always one: 已单位答复意见).
DONE_MESSAGES = {
    "accept": "已受理该件。", "decline": "已决定不予受理，理由将告知市民。", "assign": "已交办承办单位。",
    "transfer": "已转至新的承办单位办理。", "request_extension": "已提交延期申请，请等待管理员审批。",
    "approve_extension": "已批准延期，答复期限相应顺延。", "refuse_extension": "已决定不批准延期。",
    "unit_reply": "已提交单位答复意见。", "reply": "已答复市民。",
    "release_identity": "已向承办单位提供投诉人身份信息。", "one_time_notice": "已向市民发出一次性告知。",
}


def _done_message(action, outcome):
    """Say what the operation did, which may differ from the form used (a refusal, a reopening)."""
    if outcome in OUTCOME_MESSAGES:
        return OUTCOME_MESSAGES[outcome]
    return DONE_MESSAGES[outcome if outcome in DONE_MESSAGES else _WORKFLOW_ACTION.get(action, action)]


@bp.route("/<number>/letters/<kind>.pdf")
@role_required(*CASE_ROLES)
def letter(number, kind):
    return letters.pdf_response(_case_or_404(number), kind)


@bp.route("/<number>/attachments/<int(max=2147483647):attachment_id>")
@role_required(*CASE_ROLES)
def attachment(number, attachment_id):
    case = _case_or_404(number)
    item = ops.attachment_of(case, attachment_id)
    if item is None:
        abort(404)
    return attachments.download(item)
