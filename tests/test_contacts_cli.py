"""`python -m service.contacts FILE -o OUT`: real files in, classified files, the summary and the chart out."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

import training
from service.contacts import ROLE_COLUMNS, main
from test_contacts_support import (CARD_APP_HEADER, CARD_APP_ROWS, EXECUTIVE_LINE, card_app_csv, card_app_xlsx,
                                   read_classified_csv, read_classified_xlsx, write_bytes)

REPO = training.artifacts.MODELS_DIR.parent


@pytest.fixture
def cli(monkeypatch, default_model):
    """Run the command in-process with the session's model (loading it once, not per test)."""
    monkeypatch.setattr(training, "load_model", lambda model_dir=None: default_model)

    def run(*args):
        return main([str(arg) for arg in args])

    return run


@pytest.fixture
def card_csv(tmp_path):
    return write_bytes(tmp_path / "名刺一覧.csv", card_app_csv("cp932"))


def test_a_shift_jis_card_export_comes_out_as_utf8_bom_csv_with_every_row_and_column(cli, card_csv, capsys):
    assert cli(card_csv) == 0
    output = card_csv.with_name("名刺一覧.jinmyaku.csv")
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, rows = read_classified_csv(data)
    assert header == CARD_APP_HEADER + list(ROLE_COLUMNS)
    assert len(rows) == len(CARD_APP_ROWS)
    width = len(CARD_APP_HEADER)
    assert [row[:width] for row in rows][:3] == CARD_APP_ROWS[:3]  # the 4th and 5th hold formula-like cells
    assert rows[EXECUTIVE_LINE - 2][width:width + 2] == ["executive", "企業経営者"]
    assert all(row[width] == "" or 0 < float(row[width + 2]) <= 1 for row in rows)


def test_formula_cells_are_neutralised_in_the_output(cli, card_csv):
    cli(card_csv)
    _, rows = read_classified_csv(card_csv.with_name("名刺一覧.jinmyaku.csv").read_bytes())
    email = CARD_APP_HEADER.index("e-mail")
    assert rows[4][email] == "'=cmd|' /C calc'!A0"
    assert rows[3][CARD_APP_HEADER.index("携帯電話")] == "'+81-90-0000-0000"


def test_the_command_prints_the_summary_table_and_writes_the_chart_beside_the_output(cli, card_csv, tmp_path,
                                                                                     capsys):
    output = tmp_path / "out.csv"
    assert cli(card_csv, "-o", output) == 0
    printed = capsys.readouterr().out
    assert "企業経営者" in printed and "調査" in printed and "合計" in printed
    chart = tmp_path / "out.summary.svg"
    assert chart.is_file()
    ET.fromstring(chart.read_text(encoding="utf-8"))


def test_the_chart_path_can_be_chosen(cli, card_csv, tmp_path):
    assert cli(card_csv, "-o", tmp_path / "out.csv", "--chart", tmp_path / "mix.svg") == 0
    assert (tmp_path / "mix.svg").is_file()


def test_an_xlsx_list_comes_out_as_xlsx_by_default(cli, tmp_path):
    source = card_app_xlsx(tmp_path / "cards.xlsx")
    assert cli(source) == 0
    header, rows = read_classified_xlsx((tmp_path / "cards.jinmyaku.xlsx").read_bytes())
    assert header == CARD_APP_HEADER + list(ROLE_COLUMNS)
    assert len(rows) == len(CARD_APP_ROWS)
    assert rows[4][CARD_APP_HEADER.index("e-mail")] == "=cmd|' /C calc'!A0"  # a text cell in xlsx, not a formula


def test_a_cell_too_long_for_excel_is_cut_and_reported(cli, tmp_path, capsys):
    source = write_bytes(tmp_path / "long.csv", ("プロフィール\n課長\n" + "記" * 40_000 + "\n").encode("utf-8"))
    assert cli(source, "-o", tmp_path / "out.xlsx") == 0
    rows = read_classified_xlsx((tmp_path / "out.xlsx").read_bytes())[1]
    assert len(rows[1][0]) == 32_767
    assert "Excelのセルの上限" in rows[1][ROLE_COLUMNS.index("jinmyaku_note") + 1]  # in the file itself
    assert "Excelのセルの上限" not in rows[0][ROLE_COLUMNS.index("jinmyaku_note") + 1]
    assert "line 3: Excelのセルの上限" in capsys.readouterr().err


def test_the_output_extension_picks_the_format_and_cp932_is_an_option(cli, card_csv, tmp_path):
    output = tmp_path / "out.tsv"
    assert cli(card_csv, "-o", output, "--encoding", "cp932") == 0
    rows = list(csv.reader(output.read_text(encoding="cp932").splitlines(), delimiter="\t"))
    assert rows[0][:3] == ["会社名", "部署名", "役職"] and len(rows) == len(CARD_APP_ROWS) + 1


def test_chosen_columns_are_the_ones_classified(cli, tmp_path, capsys):
    source = write_bytes(tmp_path / "list.csv", "氏名,メモ,肩書き\n山田,株式会社ABC 代表取締役社長,学生\n".encode())
    assert cli(source, "--columns", "メモ", "-o", tmp_path / "out.csv") == 0
    assert "from the columns メモ" in capsys.readouterr().out
    _, [row] = read_classified_csv((tmp_path / "out.csv").read_bytes())
    assert row[3] == "executive"


def test_a_file_without_recognised_headers_fails_listing_them_and_how_to_choose(cli, tmp_path, capsys):
    source = write_bytes(tmp_path / "list.csv", "氏名,メモ\n山田,社長\n".encode())
    assert cli(source) == 2
    error = capsys.readouterr().err
    assert "「氏名」, 「メモ」" in error and "--columns" in error
    assert not (tmp_path / "list.jinmyaku.csv").exists()


def test_unknown_columns_fail_listing_the_headers(cli, card_csv, capsys):
    assert cli(card_csv, "--columns", "プロフ") == 2
    assert "「プロフ」" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", "会社名,役職\r\n".encode("utf-8"), b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_empty_header_only_and_binary_files_fail_with_a_message_and_no_output(cli, tmp_path, capsys, content):
    source = write_bytes(tmp_path / "list.csv", content)
    assert cli(source) == 2
    assert capsys.readouterr().err.startswith("jinmyaku: ")
    assert list(tmp_path.iterdir()) == [source]


def test_broken_rows_are_kept_marked_and_reported_with_their_line_numbers(cli, tmp_path, capsys):
    data = ("会社名,役職,メモ\r\n株式会社ABC,代表取締役,\r\n".encode("utf-8")
            + b"\x81 ,\x81 ,\r\n"  # bytes of no encoding at all
            + "A社,部長\r\nB社,記者,x,余分\r\n".encode("utf-8"))
    source = write_bytes(tmp_path / "list.csv", data)
    assert cli(source, "-o", tmp_path / "out.csv") == 0
    _, rows = read_classified_csv((tmp_path / "out.csv").read_bytes())
    assert len(rows) == 4
    notes = [row[3 + ROLE_COLUMNS.index("jinmyaku_note")] for row in rows]
    assert notes[0] == "" and "未分類" in notes[1] and notes[2] and notes[3]
    assert rows[3][-1] == "余分"
    error = capsys.readouterr().err
    assert "3 rows have a note" in error
    for line in (3, 4, 5):
        assert f"line {line}:" in error


def test_the_output_may_not_overwrite_the_input(cli, card_csv, capsys):
    assert cli(card_csv, "-o", card_csv) == 2
    assert "is the input file" in capsys.readouterr().err
    assert card_csv.read_bytes() == card_app_csv("cp932")


def test_a_missing_output_folder_or_unknown_output_format_fails_with_a_sentence(cli, card_csv, tmp_path, capsys):
    assert cli(card_csv, "-o", tmp_path / "no" / "such" / "out.csv") == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli(card_csv, "-o", tmp_path / "out.json") == 2
    assert ".csv, .tsv or .xlsx" in capsys.readouterr().err
    assert not list(tmp_path.glob("out*"))
    (tmp_path / "folder.csv").mkdir()
    assert cli(card_csv, "-o", tmp_path / "folder.csv") == 2
    assert "is a folder" in capsys.readouterr().err
    assert not (tmp_path / "folder.csv.part").exists()
    assert cli(card_csv, "-o", tmp_path / "out.json", "--format", "csv") == 0


def test_a_write_error_is_one_line_not_a_traceback(cli, card_csv, tmp_path, capsys, monkeypatch):
    import service.contacts as contacts

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.csv.part"))

    monkeypatch.setattr(contacts, "open_writer", refuse)
    assert cli(card_csv, "-o", tmp_path / "out.csv") == 2
    err = capsys.readouterr().err
    assert err.startswith("jinmyaku: ") and "Permission denied" in err and "Traceback" not in err
    assert not list(tmp_path.glob("out*"))  # no half-written file left behind


def test_the_progress_bar_goes_to_stderr_when_asked(cli, card_csv, tmp_path, capsys):
    assert cli(card_csv, "-o", tmp_path / "out.csv", "--progress") == 0
    assert "100.0%" in capsys.readouterr().err


@pytest.mark.slow
def test_python_dash_m_service_contacts_runs(tmp_path):
    source = write_bytes(tmp_path / "list.csv", card_app_csv("utf-8"))
    result = subprocess.run([sys.executable, "-m", "service.contacts", str(source), "-o", str(tmp_path / "o.csv")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "classified 5 rows" in result.stdout


# --- Streaming: a long list in flat memory -----------------------------------------------------------

STREAMING_ROWS = 200_000
# After the first 10,000 rows the peak RSS may grow by this much at most. Holding the list in memory
# would take well over 100 MB for 200,000 rows (cells, texts, predictions); streaming needs ~0.
MAX_GROWTH_MB = 40

MEASURE = """
import json, resource, sys, time
from pathlib import Path
from training import load_model
from service.contacts_io import open_table, open_writer
from service.contacts_columns import choose_text_columns
from service.contacts import write_classified

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

model = load_model()
marks = {}
def on_row(report):
    if report.rows == 10_000:
        marks["warm"] = peak_mb()
started = time.monotonic()
with open_table(sys.argv[1]) as table, open(sys.argv[2], "wb") as stream:
    writer = open_writer(stream, "csv")
    report = write_classified(table, model, writer, choose_text_columns(table.header), on_row=on_row)
    writer.close()
print(json.dumps({"warm_mb": marks["warm"], "peak_mb": peak_mb(), "rows": report.rows,
                  "problems": report.problem_count, "seconds": time.monotonic() - started}))
"""


def write_long_list(path, rows: int) -> None:
    """A long UTF-8 list with a row of Shift_JIS bytes every 50,000 rows (to be kept and marked)."""
    companies = ["株式会社ABC", "〇〇銀行", "日経系メディア", "合同会社ミドリ", "髙橋経営研究所"]
    titles = ["代表取締役社長", "法人営業部 課長", "記者", "Webエンジニア", "経営コンサルタント", "大学3年生"]
    with open(path, "wb") as stream:
        stream.write("会社名,役職,氏名,メモ\r\n".encode("utf-8"))
        for i in range(rows):
            line = f"{companies[i % 5]},{titles[i % 6]},山田{i},=memo{i}\r\n"
            stream.write(line.encode("cp932" if i % 50_000 == 1 else "utf-8"))


@pytest.mark.slow
def test_a_long_list_streams_in_flat_memory_and_keeps_every_row(tmp_path):
    source, output = tmp_path / "long.csv", tmp_path / "long.out.csv"
    write_long_list(source, STREAMING_ROWS)
    result = subprocess.run([sys.executable, "-c", MEASURE, str(source), str(output)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    print(f"\n{STREAMING_ROWS:,} rows in {measured['seconds']:.1f} s "
          f"({STREAMING_ROWS / measured['seconds']:,.0f} rows/s); peak RSS {measured['peak_mb']:.0f} MB, "
          f"{measured['peak_mb'] - measured['warm_mb']:.1f} MB more than after 10,000 rows")
    assert measured["rows"] == STREAMING_ROWS
    assert measured["problems"] == STREAMING_ROWS // 50_000
    assert measured["peak_mb"] - measured["warm_mb"] < MAX_GROWTH_MB
    with open(output, encoding="utf-8-sig", newline="") as stream:
        assert sum(1 for _ in csv.reader(stream)) == STREAMING_ROWS + 1
