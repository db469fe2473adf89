"""Letters to the citizen (受理告知书, 一次性告知书, 不予受理告知书, 答复意见书): content, links, access."""
import io
import re

import pytest

from complaints import operations as ops
from tests.complaints.conftest import file_case

pdfplumber = pytest.importorskip("pdfplumber")
BASE = "https://xn.example.gov.cn"


@pytest.fixture(autouse=True)
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)


def _text(data):
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def _qr(data, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        image = pdf.pages[0].to_image(resolution=150).original
    return [result.text for result in zxingcpp.read_barcodes(image)]


def _case(new_case, **fields):
    return new_case(name="冯十二", phone="13822223333", **fields)


def test_letters_follow_the_case(client, login, new_case, make, unit):
    case = _case(new_case)
    login("handler")
    assert client.get(f"/staff/cases/{case.number}/letters/acceptance.pdf").status_code == 404
    ops.accept(case, make.user("handler"))
    page = client.get(f"/staff/cases/{case.number}").get_data(as_text=True)
    assert "受理告知书" in page and "答复意见书" not in page
    text = _text(client.get(f"/staff/cases/{case.number}/letters/acceptance.pdf").data)
    assert f"编号：{case.number}" in text and "本机关已于" in text and "个工作日内办结并答复" in text
    assert "安徽省机关效能建设领导小组办公室" in text and re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    assert "冯十二" not in text and "13822223333" not in text
    assert client.get(f"/staff/cases/{case.number}/letters/nonsense.pdf").status_code == 404


def test_reply_letter_carries_the_reply_and_a_qr_to_the_public_status_page(client, login, new_case, make, unit,
                                                                           tmp_path):
    case = _case(new_case)
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    ops.reply(case, handler, "经核实，已对窗口工作人员进行批评教育。")
    login("handler")
    data = client.get(f"/staff/cases/{case.number}/letters/reply.pdf").data
    text = _text(data)
    assert "现答复如下" in text and "已对窗口工作人员进行批评教育" in text
    assert _qr(data, tmp_path) == [f"{BASE}/cases/lookup?number={case.number}"]


def test_decline_letter_gives_the_reason_and_where_to_turn(client, login, new_case, make):
    case = _case(new_case)
    ops.decline(case, make.user("handler"), "所反映事项属于司法程序，不属于效能投诉受理范围。")
    login("admin")
    text = _text(client.get(f"/staff/cases/{case.number}/letters/decline.pdf").data)
    assert "决定不予受理" in text and "属于司法程序" in text and "12345" in text


def test_notice_letter_lists_every_missing_material_with_its_basis(client, login, new_case):
    case = _case(new_case, notice_items=[("营业执照副本", "《行政许可法》第三十二条"), ("法定代表人身份证明", "办事指南")])
    login("handler")
    text = _text(client.get(f"/staff/cases/{case.number}/letters/notice.pdf").data)
    assert "一次性告知如下" in text and "营业执照副本" in text and "《行政许可法》第三十二条" in text
    assert "法定代表人身份证明" in text and "15个工作日内" in text


def test_the_liaison_of_the_unit_gets_no_identity(client, login, new_case, make, unit):
    case = _case(new_case)
    handler = make.user("handler")
    ops.accept(case, handler)
    ops.assign(case, handler, unit)
    login("liaison", unit=unit)
    text = _text(client.get(f"/staff/cases/{case.number}/letters/acceptance.pdf").data)
    assert case.number in text and "冯" not in text and "3333" not in text


def test_the_citizen_fetches_letters_with_the_query_code_only(app, client, unit, make):
    number, _code = file_case(client, unit)
    case = ops.case_for_staff(number, make.user("admin"))
    ops.accept(case, make.user("handler"))
    status = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "受理告知书" in status
    assert client.get(f"/cases/{number}/letters/acceptance.pdf").status_code == 200
    assert client.get(f"/cases/{number}/letters/reply.pdf").status_code == 404
    stranger = app.test_client().get(f"/cases/{number}/letters/acceptance.pdf")
    assert stranger.status_code == 302 and "/cases/lookup" in stranger.headers["Location"]
