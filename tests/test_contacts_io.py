"""Reading contact files in every encoding and format we promise, broken files, and writing them safely for Excel."""
from __future__ import annotations

import io
import zipfile

import pytest

from service.contacts_io import (NOT_CSV, OTHER_ENCODING, UNDECODABLE, ContactFileError, CsvTableWriter, XlsxTableWriter,
                                 neutralise_formula, open_table, sniff_delimiter, table_from_lines)
from test_contacts_support import (CARD_APP_HEADER, CARD_APP_ROWS, card_app_csv, card_app_xlsx,
                                   read_classified_csv, read_classified_xlsx)


def read_all(data: bytes):
    with open_table(io.BytesIO(data)) as table:
        return table, list(table.rows)


# --- Encodings and formats ------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"), ("shift_jis", "cp932")])
def test_each_text_encoding_is_detected_and_read_the_same(encoding, detected):
    plain_rows = CARD_APP_ROWS[:4]  # strict Shift_JIS lacks 髙 of the fifth
    table, rows = read_all(card_app_csv(encoding, rows=plain_rows))
    assert table.encoding == detected
    assert table.kind == "csv"
    assert table.header == CARD_APP_HEADER  # no BOM left on the first header
    assert [row.cells for row in rows] == plain_rows
    assert all(row.problem is None for row in rows)


def test_cp932_only_characters_are_read_from_an_excel_shift_jis_export():
    # 髙 and ① exist in CP932 (Windows' Shift_JIS) but not in strict Shift_JIS.
    rows = [["髙島屋①", "", "部長"] + [""] * 8]
    _, [row] = read_all(card_app_csv("cp932", rows=rows))
    assert row.cells[0] == "髙島屋①"


def test_tsv_is_recognised_from_its_header_line():
    table, rows = read_all(card_app_csv("utf-8", delimiter="\t"))
    assert table.kind == "tsv"
    assert [row.cells for row in rows] == CARD_APP_ROWS


def test_excel_unicode_text_export_utf16_tsv_is_read():
    table, rows = read_all(card_app_csv("utf-16", delimiter="\t"))
    assert (table.kind, table.encoding) == ("tsv", "utf-16")
    assert table.header == CARD_APP_HEADER
    assert [row.cells for row in rows] == CARD_APP_ROWS


def test_xlsx_rows_are_read_from_the_active_sheet_with_cell_values_as_text(tmp_path):
    from datetime import datetime

    rows = [["株式会社ABC", "", "代表取締役", "山田", "太郎", "", 1000001, "", 312345678.0, "", datetime(2024, 4, 1)]]
    path = card_app_xlsx(tmp_path / "cards.xlsx", rows=rows)
    with open_table(path) as table:
        assert (table.kind, table.sheet) == ("xlsx", "名刺一覧")
        assert table.header == CARD_APP_HEADER
        [row] = list(table.rows)
    assert row.line == 2
    assert row.cells[6] == "1000001" and row.cells[8] == "312345678" and row.cells[10] == "2024-04-01"


def test_xlsx_rows_are_as_wide_as_the_header_and_empty_rows_are_skipped(tmp_path):
    rows = [["株式会社ABC", "", "代表取締役"], [], ["〇〇銀行", "", "課長"]]
    path = card_app_xlsx(tmp_path / "cards.xlsx", rows=rows)
    with open_table(path) as table:
        read = list(table.rows)
    assert [row.line for row in read] == [2, 4]
    assert all(len(row.cells) == len(CARD_APP_HEADER) for row in read)


def test_quoted_cells_with_line_breaks_stay_one_row_numbered_by_their_first_line():
    data = ("プロフィール,氏名\r\n"
            "\"株式会社ABC 代表取締役。\r\n著書『小さな会社の採用術』\",山田\r\n"
            "Webエンジニア,鈴木\r\n").encode("utf-8")
    _, rows = read_all(data)
    assert [row.line for row in rows] == [2, 4]
    assert rows[0].cells[0] == "株式会社ABC 代表取締役。\r\n著書『小さな会社の採用術』"


def test_pasted_text_is_split_at_line_breaks_only():
    table = table_from_lines("記者\u2028二行目\r\n課長\x0c部\n\n社長", "プロフィール")
    assert [(row.line, row.cells) for row in table.rows] == [(1, ["記者\u2028二行目"]), (2, ["課長\x0c部"]), (4, ["社長"])]


def test_blank_lines_are_not_rows_but_line_numbers_count_them():
    _, rows = read_all("プロフィール\n\n記者\n\n\n課長\n".encode("utf-8"))
    assert [(row.line, row.cells) for row in rows] == [(3, ["記者"]), (6, ["課長"])]


def test_delimiter_sniffing_prefers_the_more_frequent_separator():
    assert sniff_delimiter("会社名\t役職\tメモ,備考") == "\t"
    assert sniff_delimiter("会社名,役職,メモ") == ","
    assert sniff_delimiter("プロフィール") == ","


def test_pasted_text_becomes_one_row_a_line():
    table = table_from_lines("株式会社ABC 代表取締役\n\n  記者  \n", "プロフィール")
    assert table.header == ["プロフィール"]
    assert [(row.line, row.cells) for row in table.rows] == [(1, ["株式会社ABC 代表取締役"]), (3, ["記者"])]


# --- Broken files: a clear error, or the row kept and marked ---------------------------------------

@pytest.mark.parametrize("data", [b"", b"\r\n\r\n  \r\n", b"\xef\xbb\xbf\r\n", "\r\n".encode("utf-16")])
def test_an_empty_file_is_refused_with_empty_file(data):
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO(data))
    assert raised.value.code == "empty_file"


def test_a_header_without_rows_is_refused_with_no_rows_and_names_the_headers():
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO("会社名,役職\r\n".encode("utf-8")))
    assert raised.value.code == "no_rows"
    assert raised.value.details["headers"] == ["会社名", "役職"]


def test_an_image_is_not_a_table():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO(png))
    assert raised.value.code == "not_a_table"
    assert "CSV UTF-8" in raised.value.message


def test_random_bytes_without_nul_are_not_a_table():
    noise = bytes((i * 97 + 13) % 256 for i in range(20_000)).replace(b"\x00", b"\x80")
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO(noise))
    assert raised.value.code == "not_a_table"


def test_an_old_xls_workbook_is_refused_with_the_fix():
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512))
    assert raised.value.code == "unsupported_format"
    assert ".xlsx" in raised.value.message


def test_a_zip_that_is_not_a_workbook_is_refused_with_unreadable_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ContactFileError) as raised:
        open_table(io.BytesIO(buffer.getvalue()))
    assert raised.value.code == "unreadable_xlsx"


def test_a_line_in_the_other_encoding_is_read_in_that_encoding_and_marked():
    # Two exports joined into one file: one UTF-8, one Shift_JIS.
    data = ("会社名,役職\r\n株式会社ABC,代表取締役\r\n".encode("utf-8")
            + "〇〇銀行,課長\r\n".encode("cp932")
            + "株式会社Z,記者\r\n".encode("utf-8"))
    table, rows = read_all(data)
    assert table.encoding == "utf-8"
    assert [(row.line, row.problem) for row in rows] == [(2, None), (3, OTHER_ENCODING), (4, None)]
    assert rows[1].cells == ["〇〇銀行", "課長"]


def test_a_line_in_no_known_encoding_is_kept_with_replacement_characters_and_marked():
    data = "会社名,役職\r\nA社,代表\r\n".encode("utf-8") + b"B\x81 ,x\r\n" + "C社,記者\r\n".encode("utf-8")
    _, rows = read_all(data)
    assert [(row.line, row.problem) for row in rows] == [(2, None), (3, UNDECODABLE), (4, None)]
    assert rows[1].cells == ["B\ufffd ", "x"]


def test_a_mostly_shift_jis_file_with_a_utf8_line_is_read_as_shift_jis():
    data = ("会社名,役職\r\n株式会社ABC,代表取締役\r\n〇〇銀行,課長\r\n".encode("cp932")
            + "株式会社Z,記者\r\n".encode("utf-8"))
    table, rows = read_all(data)
    assert table.encoding == "cp932"
    assert [row.cells[0] for row in rows] == ["株式会社ABC", "〇〇銀行", "株式会社Z"]
    assert [row.problem for row in rows] == [None, None, OTHER_ENCODING]


def test_a_stray_quote_never_loses_the_lines_it_swallows():
    # A quote opened and never closed swallows everything after it; a long swallow hits the csv
    # field limit, and then the swallowed lines come back as one marked row, not silently lost.
    swallowed = "".join(f"記者{i},x\r\n" for i in range(30_000))
    data = ("プロフィール,メモ\r\n課長,\"oops\r\n" + swallowed + "部長,y\r\n").encode("utf-8")
    _, rows = read_all(data)
    kept = "".join(cell for row in rows for cell in row.cells)
    assert any(row.problem == NOT_CSV for row in rows)
    for i in (0, 15_000, 29_999):
        assert f"記者{i}" in kept


def test_a_stray_quote_costs_only_its_own_line():
    # The open quote would swallow lines up to the next quote; every other line stays a row of its own.
    lines = ["名前,プロフィール", "A,記者", 'B,"株式会社 stray,課長', "C,部長", 'D,"代表, 著者"', "E,編集者"]
    _, rows = read_all(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    assert [(row.line, row.problem) for row in rows] == [(2, None), (3, NOT_CSV), (4, None), (5, None), (6, None)]
    assert rows[1].cells == ['B,"株式会社 stray,課長']
    assert [row.cells for row in rows[2:]] == [["C", "部長"], ["D", "代表, 著者"], ["E", "編集者"]]


def test_a_stray_quote_near_the_end_is_marked_and_loses_nothing():
    _, rows = read_all('名前,プロフィール\nA,記者\nB,"課長\nC,部長\nD,社長\n'.encode("utf-8"))
    assert [(row.line, row.problem) for row in rows] == [(2, None), (3, NOT_CSV), (4, None), (5, None)]
    assert [row.cells for row in rows[2:]] == [["C", "部長"], ["D", "社長"]]


def test_a_quote_inside_an_unquoted_cell_is_only_a_character():
    _, rows = read_all('名前,プロフィール\nA,身長5\'11"のエンジニア\nB,課長\n'.encode("utf-8"))
    assert [(row.problem, row.cells) for row in rows] == [(None, ["A", "身長5'11\"のエンジニア"]), (None, ["B", "課長"])]


def test_quoted_cells_with_line_breaks_stay_one_row():
    _, rows = read_all('名前,プロフィール,メモ\nA,"記者。\n著書に『海』",x\nB,課長,y\n'.encode("utf-8"))
    assert [(row.line, row.problem) for row in rows] == [(2, None), (4, None)]
    assert rows[0].cells == ["A", "記者。\n著書に『海』", "x"]


@pytest.mark.parametrize("data", [
    '名前,プロフィール,会社,メモ\n山田,"株式会社ABC\n代表取締役",ABC\n佐藤,課長,B社,x\n',  # ragged
    '名前,プロフィール\n山田,"記者。\n著書に『海』",追加\n佐藤,課長\n',  # a cell beyond the header
    '名前,プロフィール\n山田,"' + "\n".join(f"{i}行目" for i in range(120)) + '"\n佐藤,課長\n',  # 120 lines
    '名前,プロフィール\n山田,"' + "記" * 13_000 + "\n" + "者" * 13_000 + '"\n佐藤,課長\n',  # 26,000 characters
])
def test_real_cells_with_line_breaks_are_never_split(data):
    _, rows = read_all(data.encode("utf-8"))
    assert [row.problem for row in rows] == [None, None]
    assert rows[1].cells[:2] == ["佐藤", "課長"]
    assert "\n" in rows[0].cells[1]


def test_a_damaged_byte_beside_one_good_character_is_still_utf8():
    data = ("名前,役職\n株式会社A,課長\n".encode("utf-8") + b"2,Engineer at XYZ " + "部長".encode("utf-8")[1:]
            + "\n株式会社C,代表取締役\n".encode("utf-8"))
    table, rows = read_all(data)
    assert table.encoding == "utf-8"
    assert rows[1].problem == UNDECODABLE
    assert rows[1].cells[1].endswith("長")


def test_a_damaged_byte_in_a_utf8_line_is_marked_not_read_as_shift_jis():
    data = "会社名,役職\n株式会社A,課長\n".encode("utf-8") + "株式会社C,代表".encode("utf-8") + b"\xe5" \
        + "取締役\n".encode("utf-8")
    table, rows = read_all(data)
    assert table.encoding == "utf-8"
    assert rows[1].problem == UNDECODABLE
    assert rows[1].cells == ["株式会社C", "代表\ufffd取締役"]


def test_ragged_rows_are_read_as_they_are():
    _, rows = read_all("会社名,役職,メモ\r\nA社,部長\r\nB社,課長,x,y\r\n".encode("utf-8"))
    assert [row.cells for row in rows] == [["A社", "部長"], ["B社", "課長", "x", "y"]]


# --- Writing for Excel ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=1+1", "+81-3-1234", "-2+3", "@SUM(A1)", "\tx", "=HYPERLINK(\"http://x\")"])
def test_cells_excel_would_run_as_formulas_get_a_leading_apostrophe(cell):
    assert neutralise_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["株式会社ABC", "", "03-1234-5678", "a=b", "'quoted"])
def test_other_cells_are_written_as_they_are(cell):
    assert neutralise_formula(cell) == cell


def written(writer_class, rows, **options) -> tuple[bytes, object]:
    """What a writer puts out for a header row and data rows (numbered from line 2)."""
    stream = io.BytesIO()
    writer = writer_class(stream, **options)
    writer.write_row(rows[0])
    for line, row in enumerate(rows[1:], start=2):
        writer.write_row(row, line=line)
    writer.close()
    return stream.getvalue(), writer


def test_csv_output_is_utf8_with_bom_and_neutralised():
    data, _ = written(CsvTableWriter, [["会社名", "メモ"], ["株式会社ABC", "=cmd|' /C calc'!A0"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_classified_csv(data) == (["会社名", "メモ"], [["株式会社ABC", "'=cmd|' /C calc'!A0"]])
    assert data.endswith(b"\r\n")


def test_cp932_output_replaces_what_it_cannot_hold_and_lists_those_lines():
    data, writer = written(CsvTableWriter, [["プロフィール"], ["髙橋です"], ["絵文字🎉です"]], encoding="cp932")
    assert read_classified_csv(data, "cp932")[1] == [["髙橋です"], ["絵文字?です"]]
    assert writer.lossy_lines == [3]


def test_xlsx_output_stores_formula_like_cells_as_text():
    from openpyxl import load_workbook

    data, _ = written(XlsxTableWriter, [["会社名", "メモ"], ["株式会社ABC", "=1+1"]])
    cell = load_workbook(io.BytesIO(data)).active["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert read_classified_xlsx(data)[1] == [["株式会社ABC", "=1+1"]]



def test_xlsx_output_cuts_cells_over_excels_limit_and_lists_those_lines():
    long_cell = "記" * 40_000
    data, writer = written(XlsxTableWriter, [["プロフィール", "メモ"], ["課長", "x"], [long_cell, long_cell]])
    rows = read_classified_xlsx(data)[1]
    assert rows[0] == ["課長", "x"]
    assert [len(cell) for cell in rows[1]] == [32_767, 32_767]
    assert writer.lossy_lines == [3]
    assert "32,767" in writer.lossy_note
