"""The page in a real headless Chromium (Debian's, driven by Playwright): upload, rows, chart, download, errors, phone width.

Needs /usr/bin/chromium (apt-get install -y chromium) and the playwright Python package; the
browser Playwright would download is not used. Screenshots go to artifacts/ for review.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from test_contacts_support import CARD_APP_HEADER, CARD_APP_ROWS, card_app_csv, read_classified_csv, write_bytes
from test_service_support import REPO, free_port, served

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / "artifacts"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium: `apt-get install -y chromium` "
                    "(and `pip install playwright`; do not run `playwright install`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def base_url(browser):
    port = free_port()
    with served(["-m", "service", "--port", str(port)], port) as url:
        yield url


@pytest.fixture
def open_page(browser, base_url):
    """A fresh page at / in a context of the given size; every request it makes is recorded."""
    contexts = []

    def open_at(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True,
                                      locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        page.goto(base_url + "/")
        return page

    yield open_at
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"\nscreenshot: {path}")
    return path


def test_uploading_a_card_export_shows_rows_and_chart_and_downloads_every_row(open_page, base_url, tmp_path):
    source = write_bytes(tmp_path / "名刺一覧.csv", card_app_csv("cp932"))
    page = open_page()
    assert page.locator("html").get_attribute("lang") == "ja"
    page.set_input_files("#file-input", str(source))
    assert "名刺一覧.csv" in page.inner_text("#file-chosen")
    page.click("#run")
    rows = page.locator("#rows tbody tr")
    rows.nth(len(CARD_APP_ROWS) - 1).wait_for()
    assert rows.count() == len(CARD_APP_ROWS)
    first = rows.nth(0).locator("td")
    assert first.nth(0).inner_text() == "2"
    assert "株式会社ABC" in first.nth(1).inner_text()
    assert first.nth(2).inner_text() == "企業経営者"
    assert first.nth(3).inner_text().endswith("%")
    assert first.nth(4).inner_text() not in ("", "—")  # the explanation
    assert page.locator("#chart svg rect.bar").count() == 12
    assert "調査" in page.inner_text("#chart")
    assert page.locator("#summary-table tbody tr").count() == 9
    assert "5行を分類しました" in page.inner_text("#status")

    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "名刺一覧.jinmyaku.csv"
    saved = tmp_path / "downloaded.csv"
    download.save_as(str(saved))
    header, downloaded = read_classified_csv(saved.read_bytes())
    assert header[:len(CARD_APP_HEADER)] == CARD_APP_HEADER
    assert len(downloaded) == len(CARD_APP_ROWS)
    assert downloaded[0][len(CARD_APP_HEADER)] == "executive"

    screenshot(page, "contacts-page-desktop.png")
    assert all(url.startswith((base_url, "blob:", "data:")) for url in page.requested), page.requested


def test_pasted_bios_work_on_a_phone_width_screen_without_sideways_scrolling(open_page):
    page = open_page(375, 812)
    page.fill("#bios", "株式会社ABC 代表取締役社長\n〇〇銀行 法人営業部 課長\nWebエンジニア。Go と Kubernetes が好き\n"
                       "大学3年生です")
    page.click("#run")
    page.locator("#rows tbody tr").nth(3).wait_for()
    assert page.locator("#rows tbody tr").count() == 4
    assert page.locator("#chart svg").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    chart_box = page.locator("#chart svg").bounding_box()
    assert chart_box["width"] <= 375
    screenshot(page, "contacts-page-phone.png")


def test_a_file_that_is_not_a_table_gets_a_clear_japanese_message(open_page, tmp_path):
    page = open_page()
    page.set_input_files("#file-input", str(write_bytes(tmp_path / "photo.png", b"\x89PNG\r\n\x1a\n\x00\x00" * 64)))
    page.click("#run")
    page.locator("#error").wait_for(state="visible")
    assert "名簿ファイルとして読めません" in page.inner_text("#error")
    assert page.locator("#results").is_hidden()


def test_a_file_without_recognised_columns_offers_its_headers_and_works_once_one_is_chosen(open_page, tmp_path):
    source = write_bytes(tmp_path / "list.csv", "氏名,メモ\n山田,株式会社ABC 代表取締役社長\n".encode("utf-8"))
    page = open_page()
    page.set_input_files("#file-input", str(source))
    page.click("#run")
    page.locator("#error").wait_for(state="visible")
    assert "分類に使う列が見つかりません" in page.inner_text("#error")
    page.click("#error-headers button:has-text('メモ')")
    assert page.input_value("#columns") == "メモ"
    page.click("#run")
    page.locator("#rows tbody tr").first.wait_for()
    assert page.locator("#rows tbody tr td").nth(2).inner_text() == "企業経営者"
    assert page.locator("#error").is_hidden()
    screenshot(page, "contacts-page-columns.png")
