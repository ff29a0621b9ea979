"""The Word report is a document to sign and issue: its tables sized by their content (a name column wide,
number columns narrow), its last page the recipients and the signature; printed with LibreOffice it says so."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pandas as pd
import pytest
from docx import Document
from docx.shared import Cm

from isoaudit.outputs.review_docx import _table, write_review_docx
from isoaudit.review.pack import ReviewTable

NAMES = ["Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam cấp "
         "hoặc chứng nhận", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, "
         "nuôi dưỡng hằng tháng", "Đăng ký khai sinh"]


def test_a_name_column_is_wide_and_number_and_date_columns_narrow():
    frame = pd.DataFrame({"dossier": ["TN-2025-00342", "TN-2025-00382", "TN-2025-00251"], "name": NAMES,
                          **{f"d{k}": ["06/10/2025", "02/12/2025", "31/07/2025"] for k in range(3)},
                          "software": ["Trả đúng hạn", "Trả trước hạn", "Trả quá hạn"],
                          "rule": ["Trả quá hạn", "Trả đúng hạn", "Trả trước hạn"]})
    headers = {"dossier": "Mã hồ sơ", "name": "Tên TTHC", "d0": "Ngày hẹn trả", "d1": "Hạn theo quy định",
               "d2": "Ngày trả kết quả", "software": "Phần mềm tính", "rule": "Theo quy định"}
    document = Document()
    _table(document, ReviewTable("t", "Hồ sơ", frame, headers))
    table = document.tables[0]
    assert table._tbl.tblPr.xpath("./w:tblLayout[@w:type='fixed']")  # Word keeps the widths (autofit off)
    widths = {cell.text: column.width for column, cell in zip(table.columns, table.rows[0].cells)}
    assert widths["Tên TTHC"] >= Cm(4)  # four lines or so, not eight
    assert all(widths[h] < Cm(2.6) for h in ("Ngày hẹn trả", "Hạn theo quy định", "Ngày trả kết quả"))
    assert widths["Tên TTHC"] == max(widths.values())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) with Writer, or pdftotext, is not installed")
def test_printed_the_report_ends_with_recipients_and_signature(review_pack, tmp_path):
    path = write_review_docx(review_pack, tmp_path / "bao_cao.docx", date(2026, 11, 23))
    result = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, timeout=120, text=True)
    pdf = tmp_path / "bao_cao.pdf"
    if not pdf.exists():
        pytest.skip(f"LibreOffice could not print Word files here (Writer missing?): {result.stderr[-200:]}")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    last_page = text.rstrip("\f").split("\f")[-1]
    assert "Nơi nhận" in last_page and "CHỦ TỊCH" in last_page
    assert "SHA-256" not in text and str(tmp_path) not in text
