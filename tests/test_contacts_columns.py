"""Choosing the columns whose text is classified: recognised headers by default, or the ones the user names."""
from __future__ import annotations

import pytest

from service.contacts_columns import choose_text_columns, join_text, normalize_header, parse_column_list
from service.contacts_io import ContactFileError
from test_contacts_support import CARD_APP_HEADER


def names(header, requested=()):
    return [header[i] for i in choose_text_columns(header, requested)]


def test_a_card_app_export_uses_company_department_and_title():
    assert names(CARD_APP_HEADER) == ["会社名", "部署名", "役職"]


def test_recognised_columns_are_joined_company_department_title_then_bio_whatever_the_file_order():
    header = ["自己紹介", "氏名", "肩書き", "部署", "会社名"]
    assert names(header) == ["会社名", "部署", "肩書き", "自己紹介"]


@pytest.mark.parametrize("header", [["Job Title"], ["job_title"], ["ＪＯＢ　ＴＩＴＬＥ"], ["Company Name"], [" 役職 "],
                                    ["Bio"], ["プロフィール"], ["略歴"]])
def test_english_and_spacing_variants_of_headers_are_recognised(header):
    assert names(header) == header


def test_headers_that_merely_contain_a_recognised_word_are_not_taken():
    # TEL会社 is the company's phone number, 会社名カナ the reading: neither describes the person.
    with pytest.raises(ContactFileError):
        choose_text_columns(["TEL会社", "会社名カナ", "氏名"])


def test_a_file_with_no_recognised_header_is_refused_listing_its_headers_and_how_to_choose():
    with pytest.raises(ContactFileError) as raised:
        choose_text_columns(["氏名", "メール", "電話"])
    error = raised.value
    assert error.code == "no_text_columns"
    assert error.details["headers"] == ["氏名", "メール", "電話"]
    assert "「氏名」" in error.message and "--columns" in error.message and "columns=" in error.message


def test_named_columns_are_used_in_the_order_given():
    assert names(CARD_APP_HEADER, ["役職", "会社名"]) == ["役職", "会社名"]


def test_columns_can_be_named_by_number_from_one():
    assert names(["氏名", "メモ"], ["2"]) == ["メモ"]


def test_a_named_column_wins_over_recognised_ones_even_if_unrecognised():
    assert names(CARD_APP_HEADER, ["住所"]) == ["住所"]


def test_unknown_named_columns_are_refused_listing_the_headers():
    with pytest.raises(ContactFileError) as raised:
        choose_text_columns(["会社名", "役職"], ["肩書", "役職"])
    assert raised.value.code == "unknown_columns"
    assert raised.value.details == {"unknown": ["肩書"], "headers": ["会社名", "役職"]}


def test_column_lists_split_on_ascii_and_japanese_commas():
    assert parse_column_list("会社名, 役職、自己紹介") == ["会社名", "役職", "自己紹介"]
    assert parse_column_list(["会社名", "役職,メモ"]) == ["会社名", "役職", "メモ"]
    assert parse_column_list(None) == []


def test_header_normalisation_ignores_case_width_and_separators():
    assert normalize_header("Ｊｏｂ_Title") == normalize_header("job-title") == "jobtitle"


def test_joined_text_skips_empty_cells_and_missing_columns():
    assert join_text(["株式会社ABC", " ", "代表取締役 "], [0, 1, 2, 7]) == "株式会社ABC 代表取締役"
