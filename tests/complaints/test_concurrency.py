"""Two handlers acting on one case at the same moment: one succeeds, the other is told so."""
import re
import threading

import pytest
import sqlalchemy as sa

from app.kernel.extensions import db
from app.registry.models import Unit, User
from complaints import operations as ops
from complaints.models import Case, CaseEvent

PASSWORD = "a-long-test-password"


def _setup(app):
    with app.app_context():
        unit = Unit(code="C001", name="并发测试单位", category=1)
        db.session.add(unit)
        for name in ("h1", "h2"):
            user = User(username=name, role="handler")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.flush()
        case, _code = ops.create_case(kind="complaint", unit=unit, description="并发", anonymous=True)
        db.session.commit()
        return case.number


def _signed_in(app, username):
    client = app.test_client()
    html = client.get("/auth/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    return client


def _form(client, number, action, **fields):
    html = client.get(f"/staff/cases/{number}").data.decode()
    token = re.search(rf'name="{action}-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    version = re.search(rf'name="{action}-version" type="hidden" value="(\d+)"', html).group(1)
    return {f"{action}-csrf_token": token, f"{action}-version": version,
            **{f"{action}-{key}": value for key, value in fields.items()}}


@pytest.mark.isolated
@pytest.mark.parametrize("second", ["accept", "decline"])
def test_one_of_two_simultaneous_actions_wins(isolated_app, second):
    number = _setup(isolated_app)
    clients = [_signed_in(isolated_app, "h1"), _signed_in(isolated_app, "h2")]
    posts = [("accept", _form(clients[0], number, "accept")),
             (second, _form(clients[1], number, second, reason="重复件"))]
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i):
        action, data = posts[i]
        barrier.wait()
        response = clients[i].post(f"/staff/cases/{number}/act/{action}", data=data)
        results[i] = (response.status_code, response.data.decode())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(code for code, _ in results)
    assert codes == [302, 409], results
    loser = next(body for code, body in results if code == 409)
    assert "已由其他工作人员处理" in loser and "您的操作未执行" in loser

    with isolated_app.app_context():
        case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
        events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)
                                    .order_by(CaseEvent.id)).all()
        assert len(events) == 2 and case.version == 2
        assert case.status == events[1].to_status and case.status in ("accepted", "declined")


@pytest.mark.isolated
def test_conditional_update_refuses_a_handler_who_read_before_the_other_committed(isolated_app):
    """B reads the case while A's accept is still uncommitted; B's claim must fail, not overwrite."""
    number = _setup(isolated_app)
    a_moved, b_read = threading.Event(), threading.Event()
    outcome = {}

    def handler_a():
        with isolated_app.app_context():
            case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
            ops.accept(case, db.session.scalars(sa.select(User).where(User.username == "h1")).one())
            db.session.flush()
            a_moved.set()
            b_read.wait(timeout=1)  # PostgreSQL lets B read meanwhile; SQLite makes B wait for this commit
            db.session.commit()

    def handler_b():
        a_moved.wait(timeout=10)
        with isolated_app.app_context():
            user = db.session.scalars(sa.select(User).where(User.username == "h2")).one()
            case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
            b_read.set()
            try:
                ops.decline(case, user, "重复件", version=1)
            except ops.CaseConflict as error:
                outcome["conflict"] = error.message
                db.session.rollback()
            else:
                db.session.commit()

    threads = [threading.Thread(target=handler_a), threading.Thread(target=handler_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert "您的操作未执行" in outcome.get("conflict", "")
    with isolated_app.app_context():
        case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
        assert (case.status, case.version, case.decline_reason) == ("accepted", 2, "")
