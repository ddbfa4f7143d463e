"""The classification pipeline: rows in order, in chunks, every one kept, notes for the odd ones, and the role columns."""
from __future__ import annotations

import io

from service.contacts import ROLE_COLUMNS, classify_rows, output_cells, output_header, write_classified
from service.contacts_io import CsvTableWriter, open_table, table_from_lines
from training.model import Prediction
from training.roles import ROLE_IDS
from test_contacts_support import read_classified_csv


class RecordingModel:
    """Calls every bio with 代表 an executive and everything else out of scope, recording each call."""

    def __init__(self):
        self.calls: list[tuple[int, bool]] = []

    def classify(self, texts, explain=False):
        self.calls.append((len(texts), explain))
        return [self._predict(text, explain) for text in texts]

    @staticmethod
    def _predict(text, explain):
        executive = "代表" in text
        probabilities = {role: 0.9 if executive and role == "executive" else 0.05 for role in ROLE_IDS}
        return Prediction(primary="executive" if executive else None, roles=("executive",) if executive else (),
                          probabilities=probabilities, confidence=0.9 if executive else 0.95,
                          in_scope=0.95 if executive else 0.05,
                          explanation=(("代表", 1.0),) if explain and executive else ())


def table_of(text: str):
    return open_table(io.BytesIO(text.encode("utf-8")))


def test_rows_come_out_in_order_one_per_row_in_chunks_of_the_given_size():
    lines = "\n".join(f"株式会社{i} 代表" if i % 2 else f"学生{i}" for i in range(1, 1_001))
    model = RecordingModel()
    rows = list(classify_rows(table_from_lines(lines, "プロフィール"), model, [0], chunk_size=256))
    assert [row.line for row in rows] == list(range(1, 1_001))
    assert [size for size, _ in model.calls] == [256, 256, 256, 232]
    assert rows[0].prediction.primary == "executive" and rows[1].prediction.primary is None


def test_only_the_first_rows_asked_for_get_explanations():
    lines = "\n".join(f"株式会社{i} 代表" for i in range(600))
    model = RecordingModel()
    rows = list(classify_rows(table_from_lines(lines, "プロフィール"), model, [0], chunk_size=256, explain_first=300))
    assert [explain for _, explain in model.calls] == [True, True, False]
    assert rows[0].prediction.explanation and not rows[-1].prediction.explanation


def test_rows_with_empty_text_are_kept_unclassified_and_never_sent_to_the_model():
    model = RecordingModel()
    table = table_of("会社名,役職,氏名\nA社,代表,山田\n,,田中\n")
    rows = list(classify_rows(table, model, [0, 1]))
    assert model.calls == [(1, False)]
    assert rows[1].prediction is None and "空" in rows[1].note


def test_undecodable_rows_are_kept_unclassified_with_a_note():
    data = "会社名,役職\nA社,代表\n".encode("utf-8") + b"B\x81 ,\x81 \n"
    with open_table(io.BytesIO(data)) as table:
        rows = list(classify_rows(table, RecordingModel(), [0, 1]))
    assert [row.prediction is not None for row in rows] == [True, False]
    assert "UTF-8として読めない" in rows[1].note


def test_rows_in_the_other_encoding_are_classified_with_a_note():
    data = "会社名,役職\nA社,代表\n".encode("utf-8") + "B社,代表\n".encode("cp932")
    with open_table(io.BytesIO(data)) as table:
        rows = list(classify_rows(table, RecordingModel(), [0, 1]))
    assert rows[1].prediction.primary == "executive"
    assert "Shift_JIS" in rows[1].note


def test_the_output_keeps_the_input_columns_then_adds_the_role_columns():
    assert output_header(["会社名", "役職"]) == ["会社名", "役職", *ROLE_COLUMNS]
    [row] = classify_rows(table_of("会社名,役職\nA社,代表取締役\n"), RecordingModel(), [0, 1])
    assert output_cells(row, 2) == ["A社", "代表取締役", "executive", "企業経営者", "0.900", "executive", ""]


def test_out_of_scope_rows_say_so_in_japanese_with_an_empty_role_id():
    [row] = classify_rows(table_of("プロフィール\n大学3年生です\n"), RecordingModel(), [0])
    assert output_cells(row, 1)[1:5] == ["", "対象外", "0.950", ""]


def test_short_rows_are_padded_and_long_rows_keep_their_extra_cells_at_the_far_right():
    short, long = classify_rows(table_of("会社名,役職,メモ\nA社,代表\nB社,代表,x,extra\n"), RecordingModel(), [0, 1])
    assert output_cells(short, 3)[:3] == ["A社", "代表", ""] and "2列" in short.note
    cells = output_cells(long, 3)
    assert cells[:3] == ["B社", "代表", "x"] and cells[-1] == "extra" and "1セル" in long.note
    assert len(cells) == 3 + len(ROLE_COLUMNS) + 1


def test_trailing_empty_cells_beyond_the_header_are_not_a_problem():
    [row] = classify_rows(table_of("会社名,役職\nA社,代表,,\n"), RecordingModel(), [0, 1])
    assert row.notes == ()
    assert len(output_cells(row, 2)) == 2 + len(ROLE_COLUMNS)


def test_write_classified_writes_a_header_and_one_row_per_input_row_and_sums_up():
    stream = io.BytesIO()
    writer = CsvTableWriter(stream)
    table = table_of("会社名,役職\nA社,代表\nB社,学生\n,\n")
    report = write_classified(table, RecordingModel(), writer, [0, 1])
    writer.close()
    header, rows = read_classified_csv(stream.getvalue())
    assert header == ["会社名", "役職", *ROLE_COLUMNS]
    assert [row[:2] for row in rows] == [["A社", "代表"], ["B社", "学生"], ["", ""]]
    assert report.rows == 3
    assert (report.mix.counts["executive"], report.mix.out_of_scope, report.mix.unclassified) == (1, 1, 1)
    assert report.problems == [(4, rows[2][-1])]
