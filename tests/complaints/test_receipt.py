"""The citizen's receipt (回执) PDF: number, code, kind, unit, deadlines, how to check; no phone."""
import shutil
import subprocess

import pytest

from tests.complaints.conftest import file_case


def test_receipt_needs_the_code_in_this_browser(app, client, unit):
    number, _code = file_case(client, unit)
    response = app.test_client().get(f"/cases/{number}/receipt.pdf")
    assert response.status_code == 302 and "/cases/lookup" in response.headers["Location"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_receipt_pdf_has_the_facts_and_no_personal_data(client, unit, tmp_path):
    number, code = file_case(client, unit, name="冯十二", phone="13822223333")
    response = client.get(f"/cases/{number}/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    flat = "".join(text.split())  # the code is letter-spaced: pdftotext may split it into letters
    for fact in (number, code, "投诉", unit.name, "受理期限", "答复期限", "/cases/lookup"):
        assert fact in flat
    for personal in ("冯十二", "13822223333", "3333"):
        assert personal not in text
