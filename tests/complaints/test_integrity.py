"""`audit verify` also finds a case whose status was changed behind the application's back (issue 8, failure 8:
a case closed by direct SQL left no trace)."""
import sqlalchemy as sa

from app.kernel.extensions import db
from complaints import operations as ops
from complaints.integrity import cases_off_their_timeline


def test_cases_moved_by_the_application_agree_with_their_timeline(new_case, make, runner):
    case = new_case()
    ops.accept(case, make.user("handler"))
    db.session.flush()
    assert cases_off_their_timeline() == []
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_case_closed_by_direct_sql_is_named(new_case, make, runner):
    case, untouched = new_case(), new_case()
    ops.accept(case, make.user("handler"))
    db.session.flush()
    db.session.execute(sa.text("UPDATE cases SET status = 'closed' WHERE id = :id"), {"id": case.id})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"投诉件{case.number}的状态为“已办结”，但办理记录只到“已受理”" in result.output
    assert untouched.number not in result.output
