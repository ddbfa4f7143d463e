"""Helpers shared by the contact-list tests (this module holds no tests): files shaped like real Japanese exports."""
from __future__ import annotations

import csv
import io
from pathlib import Path

# The columns of a business-card app's CSV export (Eight / Sansan style), as Excel users get them.
CARD_APP_HEADER = ["会社名", "部署名", "役職", "姓", "名", "e-mail", "郵便番号", "住所", "TEL会社", "携帯電話",
                   "名刺交換日"]
CARD_APP_ROWS = [
    ["株式会社ABC", "", "代表取締役社長", "山田", "太郎", "yamada@abc.example", "100-0001", "東京都千代田区1-1",
     "03-1234-5678", "090-1111-2222", "2024/04/01"],
    ["〇〇銀行", "法人営業部", "課長", "佐藤", "花子", "sato@bank.example", "530-0001", "大阪府大阪市北区1-2",
     "06-1234-5678", "", "2024/04/02"],
    ["日経系メディア", "編集局", "記者", "鈴木", "一郎", "suzuki@media.example", "", "", "", "", "2024/05/10"],
    ["フリーランス", "", "Webエンジニア", "高橋", "誠", "takahashi@example.com", "", "", "", "+81-90-0000-0000",
     "2024/06/01"],
    ["髙橋経営研究所", "", "経営コンサルタント・中小企業診断士", "髙橋", "咲", "=cmd|' /C calc'!A0", "", "", "",
     "", "2024/06/15"],
]
EXECUTIVE_LINE = 2  # the first data row: 株式会社ABC 代表取締役社長


def card_app_csv(encoding: str = "utf-8-sig", delimiter: str = ",", rows=None, header=None) -> bytes:
    """A card-app export as bytes, CRLF line ends as Excel writes them."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or CARD_APP_HEADER)
    writer.writerows(CARD_APP_ROWS if rows is None else rows)
    return buffer.getvalue().encode(encoding)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def card_app_xlsx(path: Path, header=None, rows=None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名刺一覧"
    sheet.append(header or CARD_APP_HEADER)
    for row in CARD_APP_ROWS if rows is None else rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"  # a cell typed as text that starts with "=", as Excel keeps it
    workbook.save(path)
    return path


def read_classified_csv(data: bytes, encoding: str = "utf-8-sig") -> tuple[list[str], list[list[str]]]:
    """Header and rows of a classified CSV, as Excel would read it."""
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    return rows[0], rows[1:]


def read_classified_xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = [[cell if cell is not None else "" for cell in row]
            for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    return rows[0], rows[1:]
