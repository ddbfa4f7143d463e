"""POST /contacts and the page's files, through FastAPI's TestClient with the real app and model."""
from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.contacts import ROLE_COLUMNS
from service.settings import Settings
from test_contacts_support import (CARD_APP_HEADER, CARD_APP_ROWS, EXECUTIVE_LINE, card_app_csv, card_app_xlsx,
                                   read_classified_csv, read_classified_xlsx)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATIC_DIR = Path(__file__).resolve().parent.parent / "service" / "static"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def upload(client, content: bytes, name: str = "名刺一覧.csv", **form):
    return client.post("/contacts", files={"file": (name, content, "application/octet-stream")},
                       data={key: str(value) for key, value in form.items()})


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


# --- The classified file ----------------------------------------------------------------------------

def test_a_csv_upload_comes_back_as_a_utf8_bom_csv_with_every_row_and_column(client):
    response = upload(client, card_app_csv("cp932"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "filename*=utf-8''" in response.headers["content-disposition"]
    assert response.headers["x-jinmyaku-rows"] == str(len(CARD_APP_ROWS))
    assert response.content.startswith(b"\xef\xbb\xbf")
    header, rows = read_classified_csv(response.content)
    assert header == CARD_APP_HEADER + list(ROLE_COLUMNS)
    assert len(rows) == len(CARD_APP_ROWS)
    assert rows[EXECUTIVE_LINE - 2][len(CARD_APP_HEADER)] == "executive"
    assert rows[4][CARD_APP_HEADER.index("e-mail")].startswith("'=")  # neutralised for Excel


def test_an_xlsx_upload_comes_back_as_xlsx_unless_another_format_is_asked(client, tmp_path):
    content = card_app_xlsx(tmp_path / "cards.xlsx").read_bytes()
    response = upload(client, content, "cards.xlsx")
    assert response.headers["content-type"] == XLSX_TYPE
    header, rows = read_classified_xlsx(response.content)
    assert header == CARD_APP_HEADER + list(ROLE_COLUMNS) and len(rows) == len(CARD_APP_ROWS)
    as_csv = upload(client, content, "cards.xlsx", format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(read_classified_csv(as_csv.content)[1]) == len(CARD_APP_ROWS)


def test_cp932_output_is_available_for_old_tools(client):
    response = upload(client, card_app_csv("utf-8"), encoding="cp932")
    assert "shift_jis" in response.headers["content-type"]
    header, rows = read_classified_csv(response.content, "cp932")
    assert header[0] == "会社名" and len(rows) == len(CARD_APP_ROWS)


def test_the_temporary_output_file_is_removed_after_the_answer(client, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert upload(client, card_app_csv()).status_code == 200
    assert list(tmp_path.glob("jinmyaku-*")) == []


# --- JSON -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, delimiter, detected", [
    ("utf-8", ",", "utf-8"), ("utf-8-sig", ",", "utf-8-sig"), ("cp932", ",", "cp932"), ("utf-16", "\t", "utf-16")])
def test_each_encoding_is_answered_in_json_with_all_rows(client, encoding, delimiter, detected):
    body = upload(client, card_app_csv(encoding, delimiter), format="json").json()
    assert body["file"]["encoding"] == detected
    assert body["row_count"] == len(body["rows"]) == len(CARD_APP_ROWS)
    assert body["columns"] == CARD_APP_HEADER
    assert body["text_columns"] == ["会社名", "部署名", "役職"]
    assert [row["values"] for row in body["rows"]] == CARD_APP_ROWS


def test_json_rows_carry_role_confidence_and_explanation(client):
    body = upload(client, card_app_csv(), format="json").json()
    executive = body["rows"][0]
    assert executive["line"] == EXECUTIVE_LINE
    assert executive["text"] == "株式会社ABC 代表取締役社長"
    assert (executive["primary"], executive["primary_label"]) == ("executive", "企業経営者")
    assert 0.5 < executive["confidence"] <= 1 and "executive" in executive["roles"]
    assert executive["explanation"] and all(reason["weight"] > 0 for reason in executive["explanation"])
    assert executive["note"] == ""


def test_json_summary_compares_with_the_study_and_includes_the_chart(client):
    body = upload(client, card_app_csv(), format="json").json()
    summary = body["summary"]
    assert summary["total_rows"] == len(CARD_APP_ROWS)
    assert summary["rows_with_role"] + summary["out_of_scope"] + summary["unclassified"] == summary["total_rows"]
    assert [role["study_share"] for role in summary["roles"]] == [0.1, 0.1, 0.1, 0.2, 0.2, 0.3]
    assert sum(role["count"] for role in summary["roles"]) == summary["rows_with_role"]
    assert "企業経営者" in summary["table"]
    ET.fromstring(body["chart_svg"])


def test_json_rows_are_limited_but_the_summary_counts_every_row(client):
    lines = "\n".join(["株式会社ABC 代表取締役社長"] * 30)
    body = client.post("/contacts", data={"text": lines, "format": "json", "limit": "10"}).json()
    assert (body["row_count"], len(body["rows"]), body["rows_truncated"]) == (30, 10, True)
    assert body["summary"]["total_rows"] == 30


def test_pasted_bios_are_one_row_a_line(client):
    text = "株式会社ABC 代表取締役社長\n\nWebエンジニア。Go と Kubernetes が好き\n"
    body = client.post("/contacts", data={"text": text, "format": "json"}).json()
    assert [row["line"] for row in body["rows"]] == [1, 3]
    assert body["rows"][0]["primary"] == "executive"
    assert body["text_columns"] == ["プロフィール"]


def test_pasted_bios_download_as_csv(client):
    response = client.post("/contacts", data={"text": "株式会社ABC 代表取締役社長\n記者です"})
    header, rows = read_classified_csv(response.content)
    assert header == ["プロフィール", *ROLE_COLUMNS] and len(rows) == 2


def test_the_columns_field_chooses_what_is_classified(client):
    content = "氏名,メモ\n山田,株式会社ABC 代表取締役社長\n".encode()
    body = upload(client, content, columns="メモ", format="json").json()
    assert body["text_columns"] == ["メモ"] and body["rows"][0]["primary"] == "executive"


# --- Broken files: clear errors, or rows kept and marked --------------------------------------------

def test_an_empty_file_is_answered_with_422_empty_file(client):
    assert_error(upload(client, b""), 422, "empty_file")


def test_a_binary_file_is_answered_with_422_not_a_table(client):
    assert_error(upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "photo.png"), 422, "not_a_table")


def test_a_header_only_file_is_answered_with_422_no_rows(client):
    error = assert_error(upload(client, "会社名,役職\r\n".encode()), 422, "no_rows")
    assert error["details"]["headers"] == ["会社名", "役職"]


def test_a_file_without_recognised_headers_lists_them_in_the_error(client):
    error = assert_error(upload(client, "氏名,メール\n山田,y@example.com\n".encode()), 422, "no_text_columns")
    assert error["details"]["headers"] == ["氏名", "メール"]
    assert "columns=" in error["message"]


def test_unknown_columns_are_answered_with_422_and_the_headers(client):
    error = assert_error(upload(client, card_app_csv(), columns="プロフ"), 422, "unknown_columns")
    assert error["details"]["unknown"] == ["プロフ"] and error["details"]["headers"] == CARD_APP_HEADER


def test_ragged_and_undecodable_rows_are_kept_and_listed(client):
    content = ("会社名,役職\r\nA社,代表取締役\r\n".encode() + b"B\x81 ,\x81 \r\n"
               + "C社\r\nD社,部長,x\r\n".encode() + "E社,課長\r\n".encode("cp932"))
    body = upload(client, content, format="json").json()
    assert body["row_count"] == 5
    assert [problem["line"] for problem in body["problems"]] == [3, 4, 5, 6]
    assert body["rows"][1]["primary"] is None and body["rows"][1]["note"]
    assert body["rows"][4]["values"] == ["E社", "課長"] and body["rows"][4]["primary"] is not None
    _, rows = read_classified_csv(upload(client, content).content)
    assert [row[0] for row in rows] == ["A社", "B\ufffd ", "C社", "D社", "E社"]


def test_neither_a_file_nor_text_is_answered_with_400(client):
    assert_error(client.post("/contacts", data={"format": "json"}), 400, "file_or_text")


def test_a_body_that_is_not_a_form_is_answered_with_415(client):
    response = client.post("/contacts", json={"text": "記者"})
    assert_error(response, 415, "unsupported_media_type")
    assert "multipart" in response.json()["error"]["message"]
    assert_error(client.post("/contacts"), 415, "unsupported_media_type")


def test_blank_pasted_text_is_an_empty_list(client):
    assert_error(client.post("/contacts", data={"text": "  \n \n"}), 422, "empty_file")


def test_both_a_file_and_text_is_answered_with_400(client):
    response = client.post("/contacts", files={"file": ("a.csv", card_app_csv())}, data={"text": "記者"})
    assert_error(response, 400, "file_or_text")


def test_a_json_limit_over_the_maximum_is_a_validation_error(client):
    assert_error(upload(client, card_app_csv(), format="json", limit=10**6), 422, "validation_error")


def test_an_upload_over_the_size_limit_is_refused_with_413(client):
    fifty_mb = card_app_csv() + b"x" * (50 * 1024 * 1024)
    error = assert_error(upload(client, fifty_mb), 413, "body_too_large")
    assert error["details"]["limit_bytes"] == Settings().max_upload_bytes


# --- The page -------------------------------------------------------------------------------------

def test_the_page_is_served_at_the_root_in_japanese(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in response.text
    assert 'name="viewport"' in response.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert asset in response.text
        assert client.get(asset).status_code == 200


def test_the_page_needs_nothing_from_the_internet():
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path.name


@pytest.mark.parametrize("path", ["/static/nothing.js", "/static/..%2Fcontacts.py", "/static/index"])
def test_only_the_page_files_are_served(client, path):
    assert client.get(path).status_code == 404


def test_contacts_is_in_the_openapi_document_with_its_json_schema(client):
    document = client.get("/openapi.json").json()
    answer = document["paths"]["/contacts"]["post"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/ContactsResponse"}
    assert "ContactsResponse" in document["components"]["schemas"]
    assert "text/csv; charset=utf-8" in answer
