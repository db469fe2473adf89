"""Site pages: home, staff dashboard, error pages, and the one answer to a refusal."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from app.registry.models import ROLE_LABELS


bp = Blueprint("core", __name__)

ERROR_MESSAGES = {
    400: "请求有误，请检查后重试。",
    403: "您没有权限访问该页面。",
    404: "页面不存在或已被移除。",
    405: "不支持该操作。",
    409: "操作冲突，请刷新页面后重试。",
    413: "提交的内容过大。",
    429: "操作太频繁，请稍后再试。",
    500: "服务器出现错误，已记录，请稍后再试。",
}


@bp.route("/healthz")
def healthz():
    """Liveness probe; touches no database (also the benchmark's ceiling)."""
    return {"status": "ok"}


@bp.route("/")
def index():
    return render_template("index.html")


# The staff dashboard's menu: (section, [(endpoint, label, roles allowed)]).
DASHBOARD = [
    ("服务对象测评", [
        ("survey_progress.counts", "测评进度（各单位答卷数）", ("admin", "statistician")),
        ("survey_admin.campaigns", "测评活动与问卷", ("admin",)),
        ("survey_admin.paper_entry", "录入纸质问卷", ("admin", "statistician")),
        ("pad_admin.index", "窗口评价平板（启用码、停用）", ("admin",)),
        ("services_staff.new", "登记办结事项（生成办件评价二维码）", ("admin", "liaison")),
        ("services_staff.index", "已登记的办件", ("admin", "liaison")),
    ]),
    ("效能投诉", [
        ("case_staff.queue", "投诉咨询件（查询、筛选，按期限排序）", ("admin", "handler", "liaison")),
        ("case_staff.trend", "办理情况月度趋势", ("admin", "handler", "liaison")),
        ("case_staff.first_receivers", "首问负责情况（各单位首问、转办、办结）", ("admin", "handler")),
        ("case_staff.record", "首问登记（电话、来访）", ("admin", "handler", "liaison")),
        ("case_admin.extensions", "延期审批", ("admin",)),
        ("case_admin.deduction_list", "超期扣分记录", ("admin", "statistician")),
        ("stats_admonitions.index", "效能告诫与问责（印发告诫书、扣分）", ("admin",)),
        ("case_admin.calendar", "节假日安排（工作日计算）", ("admin",)),
        ("case_admin.outbox", "通知发件箱", ("admin",)),
    ]),
    ("统计与考核结果", [
        ("stats.runs", "计分与考核结果（通报、导出）", ("admin", "statistician")),
        ("stats_inputs.parts", "导入考核项目分值", ("admin", "statistician")),
        ("stats_inputs.adjustments", "加减分台账", ("admin", "statistician")),
        ("stats_inputs.screening", "无效问卷复核", ("admin", "statistician")),
        ("stats_appeals.index", "差评申诉（本单位差评，申请复核）", ("liaison",)),
        ("stats_appeals.review", "差评申诉复核", ("admin",)),
        ("documents.register", "发文登记（已印发公文）", ("admin", "statistician")),
        ("exchange.index", "与省级平台交换评价数据（导出、导入）", ("admin", "statistician")),
    ]),
    ("系统管理", [
        ("admin.units", "被考核单位与服务窗口", ("admin",)),
        ("admin.users", "工作人员账号", ("admin",)),
        ("admin.api_keys", "接口密钥（单位业务系统调用数据接口）", ("admin",)),
        ("audit.log", "审计日志（登录、账号、数据变更）", ("admin",)),
    ]),
]


@bp.route("/staff")
@login_required
def dashboard():
    sections = []
    for title, links in DASHBOARD:
        mine = [(endpoint, label) for endpoint, label, roles in links
                if current_user.role in roles and endpoint in current_app.view_functions]
        if mine:
            sections.append((title, mine))
    return render_template("dashboard.html", user=current_user, sections=sections,
                           role_label=ROLE_LABELS.get(current_user.role, current_user.role))


@bp.app_errorhandler(CSRFError)
def _csrf_error(error):
    return render_template("error.html", code=400, message="页面已过期或来源不明，请刷新页面后重新提交。"), 400


@bp.app_errorhandler(HTTPException)
def _http_error(error):
    if request.path.startswith("/api/"):
        return {"error": ERROR_MESSAGES.get(error.code, error.name)}, error.code
    message = ERROR_MESSAGES.get(error.code, error.description)
    return render_template("error.html", code=error.code, message=message), error.code


@bp.app_errorhandler(Refusal)
def _refused(refusal):
    """Any refusal a view lets through: 303 back to the form's page with a flash, else the message
    on a page (JSON under /api/). Nothing the refused request wrote is kept, whatever the status."""
    db.session.rollback()
    message = refusal.message
    if refusal.status >= 500:  # the server's configuration, not the request: say so without details
        current_app.logger.error("refusal with status %s: %s", refusal.status, message)
        message = ERROR_MESSAGES[500]
    if request.path.startswith("/api/"):
        return {"error": message}, refusal.status
    back = _page_of_the_form()
    if back and refusal.status < 500:
        flash(message, "error")
        return redirect(back, 303)
    return render_template("error.html", code=refusal.status, message=message, details=refusal.errors), refusal.status


def _page_of_the_form():
    """The same-site page a refused POST came from (its Referer), as a local URL; else None."""
    if request.method != "POST" or not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
