"""一次性告知 after intake: on an online case, the handler (or the liaison of the unit handling it) tells the
citizen, once and completely, which materials are still missing and the rule behind each. It is recorded as
a case event, audited, sent to the citizen and printable as the 一次性告知书. Flushes only."""
from app.audit import operations as audit
from app.registry.models import Role
from complaints import notify
from complaints.models import CaseChannel, NoticeItem
from complaints.operations import CaseConflict, CaseError, act

ONLINE = (CaseChannel.web, CaseChannel.api)  # a phone or walk-in case is told at intake, by its first receiver


def refusal(case, actor):
    """Why `actor` may not issue a one-time notice on `case` now, or None."""
    if case.channel not in ONLINE:
        return "来电来访件的一次性告知由首问责任人在登记时告知。"
    if case.notice_items:
        return "该件已一次性告知，不能再次告知；如确有遗漏，请在答复中说明。"
    if actor.role == Role.liaison and case.assigned_unit_id != actor.unit_id:
        return "只有承办单位的联络员可以告知。"
    return None


def issue(case, actor, items, version=None, now=None):
    """Record the notice of `items` [(material, basis)] on `case` and send it to the citizen."""
    items = [((material or "").strip(), (basis or "").strip()) for material, basis in items]
    items = [(material, basis) for material, basis in items if material or basis]
    if not items:
        raise CaseError("请至少填写一项所缺材料及其依据。")
    if any(not material or not basis for material, basis in items):
        raise CaseError("一次性告知的每项材料都须写明依据。")
    problem = refusal(case, actor)
    if problem:
        raise CaseConflict(problem) if case.notice_items else CaseError(problem, 403)
    notices = [NoticeItem(position=i, material=material, basis=basis) for i, (material, basis) in enumerate(items)]
    text = notify.notice_items_text(notices)
    act(case, "one_time_notice", actor, text, version, now, changes={"notice_items": notices})
    notify.to_citizen(case, "one_time_notice", items=text, now=now)
    audit.record("case.one_time_notice", case, actor=actor, details={"number": case.number, "items": len(items)})
