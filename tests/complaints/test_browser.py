"""A citizen on a phone files a complaint with a photo, then reads its status back by number and code."""
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from app.kernel.extensions import db
from complaints.models import Attachment, Case
from tests.factories import Factory

pytestmark = [pytest.mark.browser, pytest.mark.isolated]


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(out, "JPEG")
    return out.getvalue()


def test_phone_files_a_complaint_and_reads_its_status(isolated_app, live_server, phone_page, tmp_path):
    isolated_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with isolated_app.app_context():
        make = Factory(db.session)
        window = make.window(name="不动产登记窗口")
        make.unit(name="市场监督管理局")
        unit_code, unit_name, window_code = window.unit.code, window.unit.name, window.code
        db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/cases/new?unit={unit_code}&window={window_code}")
    assert page.locator("#unit_code").input_value() == unit_code
    assert page.locator("#window_code").input_value() == window_code

    page.get_by_text("投诉", exact=True).click()
    page.locator("#unit-filter").fill("市场监督")
    assert page.locator("#unit_code option:checked").inner_text() == "市场监督管理局"
    page.locator("#unit-filter").fill(unit_name)
    page.locator("#unit_code").select_option(unit_code)
    page.locator("#window_code").select_option(window_code)
    page.get_by_label("情况描述").fill("材料齐全，窗口却要求我下周再来。<script>alert(1)</script>")
    page.get_by_label("姓名", exact=True).fill("陈十三")
    page.get_by_label("手机号", exact=True).fill("13912345678")
    page.locator("#attachments").set_input_files(
        [{"name": "窗口照片.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.get_by_text("我已阅读并同意上述个人信息处理说明").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    page.screenshot(path=str(tmp_path / "intake.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/cases/done/**")
    number = page.locator("#case-number").inner_text()
    code = page.locator("#query-code").inner_text()
    page.screenshot(path=str(tmp_path / "done.png"), full_page=True)

    page.context.clear_cookies()  # later, on another visit: only the number and code remain
    page.goto(f"{live_server}/cases/lookup")
    page.get_by_label("编号").fill(number)
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(f"**/cases/{number}")
    assert page.locator("#case-status").inner_text() == "已收到，等待受理"
    content = page.content()
    assert "答复期限" in content and "陈十三" not in content and "13912345678" not in content
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "status.png"), full_page=True)

    with isolated_app.app_context():
        case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
        assert (case.kind, case.window_id is not None, case.citizen_phone) == ("complaint", True, "13912345678")
        attachment = db.session.scalars(sa.select(Attachment)).one()
        assert attachment.original_name == "窗口照片.jpg" and attachment.content_type == "image/jpeg"
