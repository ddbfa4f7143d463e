"""Reading labelled files: every bad record is reported with file and line, and nothing is trained."""
import json

import numpy as np
import pytest

from training.corpus import CorpusError, find_near_duplicates, read_records
from training.metrics import bootstrap_intervals, evaluate_predictions
from training.roles import UnknownRoleError, primary_role


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_primary_is_the_first_role_in_labels_order():
    assert primary_role(["employee", "author"]) == "author"
    assert primary_role(["consultant", "manager"]) == "manager"
    assert primary_role([]) is None


def test_unknown_role_id_in_primary_role_is_rejected():
    with pytest.raises(UnknownRoleError):
        primary_role(["ceo"])


def test_valid_jsonl_is_read_with_origin(tmp_path):
    path = write_lines(tmp_path / "a.jsonl", [
        json.dumps({"text": "記者", "roles": ["media"], "primary": "media"}, ensure_ascii=False),
        "",
        json.dumps({"text": "大学生", "roles": [], "primary": None}, ensure_ascii=False),
    ])
    records = read_records([path])
    assert [r.roles for r in records] == [("media",), ()]
    assert records[1].origin.endswith("a.jsonl:3")


def test_line_separators_inside_a_text_do_not_split_the_record(tmp_path):
    # json.dumps(ensure_ascii=False) writes U+2028 and U+2029 raw; only \n ends a record (CRLF files too).
    texts = ["記者\u2028二行目", "編集者\u2029段落\x0cページ"]
    path = tmp_path / "sep.jsonl"
    path.write_bytes("\r\n".join(json.dumps({"text": t, "roles": ["media"], "primary": "media"}, ensure_ascii=False)
                                  for t in texts).encode("utf-8") + b"\r\n")
    records = read_records([path])
    assert [r.text for r in records] == texts
    assert records[1].origin.endswith("sep.jsonl:2")


def test_malformed_line_is_reported_with_file_and_line(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", ['{"text": "記者", "roles": ["media"]}', '{"text": '])
    with pytest.raises(CorpusError) as error:
        read_records([path])
    assert f"{path}:2: malformed JSON" in str(error.value)


def test_every_bad_record_is_listed(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [
        '{"text": "", "roles": ["media"]}',
        '{"text": "部長", "roles": ["boss"]}',
        '{"text": "部長", "roles": ["manager"], "primary": "employee"}',
        '{"roles": ["manager"]}',
        '["not", "an", "object"]',
    ])
    with pytest.raises(CorpusError) as error:
        read_records([path])
    problems = error.value.problems
    assert len(problems) == 5
    assert "empty 'text'" in problems[0]
    assert "unknown role id(s) ['boss']" in problems[1]
    assert "primary 'employee' should be 'manager'" in problems[2]
    assert "missing or non-string 'text'" in problems[3]
    assert "expected a JSON object" in problems[4]


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="no records"):
        read_records([path])


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="file not found"):
        read_records([tmp_path / "nope.jsonl"])


def test_non_utf8_file_is_an_error(tmp_path):
    path = tmp_path / "sjis.jsonl"
    path.write_bytes('{"text": "記者", "roles": ["media"]}\n'.encode("cp932"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        read_records([path])


def test_strict_mode_requires_labels_order(tmp_path):
    path = write_lines(tmp_path / "a.jsonl",
                       ['{"text": "x", "roles": ["employee", "author"], "primary": "author"}'])
    assert read_records([path])[0].roles == ("author", "employee")
    with pytest.raises(CorpusError, match="not in LABELS.md order"):
        read_records([path], strict=True)


def test_csv_with_text_and_roles_columns_is_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("text,roles\n株式会社A 代表取締役,executive\nNTTのエンジニア。著書あり,\"employee;author\"\n学生,\n",
                    encoding="utf-8")
    records = read_records([path])
    assert [r.roles for r in records] == [("executive",), ("author", "employee"), ()]
    assert records[1].primary == "author"


def test_csv_without_text_column_is_an_error(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("bio,roles\nx,media\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="'text'"):
        read_records([path])


def test_near_duplicates_are_found_and_different_texts_are_not():
    texts = ["株式会社サクラの営業部で部長を務めています。", "株式会社サクラの営業部で部長を務めています!",
             "フリーのジャーナリストとして取材を続ける"]
    pairs = find_near_duplicates(texts, threshold=0.8)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_metrics_follow_their_definitions():
    gold_roles = [("executive", "author"), ("employee",), ("manager",), ()]
    gold_primary = ["executive", "employee", "manager", None]
    pred_roles = [("executive",), (), ("manager", "consultant"), ()]
    pred_primary = ["executive", None, "manager", None]
    m = evaluate_predictions(gold_roles, gold_primary, pred_roles, pred_primary)
    assert m["primary_accuracy"] == round(2 / 3, 4)
    assert m["in_scope_abstain_rate"] == round(1 / 3, 4)
    assert m["oos_abstain_rate"] == 1.0
    # tp 2 (executive, manager), fp 1 (consultant), fn 2 (author, employee)
    assert m["roles_micro_f1"] == round(2 * 2 / (2 * 2 + 1 + 2), 4)
    # executive and manager F1 = 1, employee 0 (abstention is a miss), others 0
    assert m["primary_macro_f1"] == round(2 / 6, 4)


def _mixed_predictions():
    import random

    rng = random.Random(3)
    roles = ["executive", "author", "media", "manager", "consultant", "employee"]
    gold_primary = [rng.choice(roles + [None]) for _ in range(120)]
    gold_roles = [(g,) if g else () for g in gold_primary]
    # Right about two thirds of the time, otherwise another role or an abstention.
    pred_primary = [g if rng.random() < 0.67 else rng.choice(roles + [None]) for g in gold_primary]
    pred_roles = [(p,) if p else () for p in pred_primary]
    return gold_roles, gold_primary, pred_roles, pred_primary


def test_bootstrap_intervals_hold_the_point_estimates_and_are_reproducible():
    gold_roles, gold_primary, pred_roles, pred_primary = _mixed_predictions()
    point = evaluate_predictions(gold_roles, gold_primary, pred_roles, pred_primary)
    first = bootstrap_intervals(gold_roles, gold_primary, {"model": (pred_roles, pred_primary)}, rounds=400, seed=5)
    again = bootstrap_intervals(gold_roles, gold_primary, {"model": (pred_roles, pred_primary)}, rounds=400, seed=5)
    assert first == again
    for key in ("primary_macro_f1", "roles_micro_f1"):
        low, high = first["model"][key]
        assert low < point[key] < high
        # 120 records leave real doubt: the interval is neither a point nor everything.
        assert 0.05 < high - low < 0.5


def test_bootstrap_resamples_score_like_the_metric_definitions():
    # With one resample equal to the data (every record once), the rebuilt metrics are the plain ones.
    from training.metrics import _interval_arrays, _resampled_metrics

    gold_roles, gold_primary, pred_roles, pred_primary = _mixed_predictions()
    point = evaluate_predictions(gold_roles, gold_primary, pred_roles, pred_primary)
    rebuilt = _resampled_metrics(np.ones((1, len(gold_primary))),
                                 _interval_arrays(gold_roles, gold_primary, pred_roles, pred_primary))
    assert round(float(rebuilt["primary_macro_f1"][0]), 4) == point["primary_macro_f1"]
    assert round(float(rebuilt["roles_micro_f1"][0]), 4) == point["roles_micro_f1"]


def test_paired_interval_of_a_lead():
    gold_roles, gold_primary, pred_roles, pred_primary = _mixed_predictions()
    perfect = (gold_roles, gold_primary)
    result = bootstrap_intervals(gold_roles, gold_primary,
                                 {"perfect": perfect, "model": (pred_roles, pred_primary), "same": perfect},
                                 rounds=300)
    assert result["perfect"]["primary_macro_f1"] == [1.0, 1.0]
    # A system against an identical one leads by exactly nothing on every resample.
    assert result["perfect-same"]["roles_micro_f1"] == [0.0, 0.0]
    low, high = result["perfect-model"]["primary_macro_f1"]
    assert 0 < low <= high
    assert bootstrap_intervals(gold_roles, gold_primary, {"model": perfect}, rounds=0) == {}
