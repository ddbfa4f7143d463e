"""The `python -m training` commands, run as a user would."""
import json
import subprocess
import sys

import pytest

from conftest import REPO


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "training", *map(str, args)], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("cli")
    corpus = write_corpus(root / "corpus.jsonl")
    result = run("train", "--data", corpus, "--out", root / "model")
    assert result.returncode == 0, result.stderr
    return corpus, root / "model", result


def test_train_writes_the_artifact_and_shows_progress(trained):
    _, model_dir, result = trained
    assert (model_dir / "model.joblib").exists()
    assert "cross-validation fold 1/" in result.stderr
    assert result.stdout.strip().endswith("model")


def test_train_with_a_malformed_line_reports_it_and_writes_nothing(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "記者", "roles": ["media"]}\n{oops\n', encoding="utf-8")
    result = run("train", "--data", data, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{data}:2: malformed JSON" in result.stderr
    assert not (tmp_path / "out").exists()


def test_train_refuses_a_bad_destination_before_training(tmp_path):
    from conftest import write_corpus

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    result = run("train", "--data", corpus, "--out", tmp_path / "m", "--promote")
    assert result.returncode == 2
    assert "--promote needs --out inside" in result.stderr
    assert "cross-validation" not in result.stderr and not (tmp_path / "m").exists()
    (tmp_path / "file").write_text("x")
    result = run("train", "--data", corpus, "--out", tmp_path / "file")
    assert result.returncode == 2 and "is a file" in result.stderr
    assert "cross-validation" not in result.stderr
    result = run("train", "--data", corpus, "--out", tmp_path / "file" / "sub")
    assert result.returncode == 2 and "is a file" in result.stderr
    assert "cross-validation" not in result.stderr


def test_train_with_an_unknown_role_reports_it(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "記者", "roles": ["journalist"]}\n', encoding="utf-8")
    result = run("train", "--data", data, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "unknown role id(s) ['journalist']" in result.stderr


def test_train_with_an_empty_file_reports_it(tmp_path):
    data = tmp_path / "empty.jsonl"
    data.write_text("", encoding="utf-8")
    result = run("train", "--data", data, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "no records" in result.stderr


def test_evaluate_prints_a_table_and_json_metrics_last(trained):
    corpus, model_dir, _ = trained
    result = run("evaluate", "--data", corpus, "--model", model_dir, "--json")
    assert result.returncode == 0, result.stderr
    assert "keywords" in result.stdout
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("n", "primary_macro_f1", "primary_accuracy", "roles_micro_f1", "oos_abstain_rate",
                "in_scope_abstain_rate", "per_role", "baseline"):
        assert key in metrics
    assert metrics["n"] == 30
    low, high = metrics["intervals"]["model"]["primary_macro_f1"]
    assert low <= metrics["primary_macro_f1"] <= high
    assert "bootstrap resamples" in result.stdout


def test_evaluate_against_another_model_prints_the_paired_lead(trained):
    corpus, model_dir, _ = trained
    result = run("evaluate", "--data", corpus, "--model", model_dir, "--against", model_dir,
                 "--bootstrap", "200", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["against"]["primary_macro_f1"] == metrics["primary_macro_f1"]
    assert metrics["intervals"]["model-against"]["primary_macro_f1"] == [0.0, 0.0]
    assert "against model" in result.stdout
    assert set(metrics["per_role"]["author"]) >= {"primary_precision", "primary_recall", "primary_f1"}


def test_evaluate_with_a_missing_model_names_the_directory(tmp_path, trained):
    corpus, _, _ = trained
    result = run("evaluate", "--data", corpus, "--model", tmp_path / "missing")
    assert result.returncode == 2
    assert "missing" in result.stderr and "does not exist" in result.stderr


def test_predict_reads_jsonl_and_writes_one_object_per_line(trained):
    _, model_dir, _ = trained
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in ["株式会社サクラ 代表取締役", "記者"]]
    result = run("predict", "--model", model_dir, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == 2
    assert set(outputs[0]) == {"primary", "roles", "probabilities", "confidence", "in_scope"}
    assert len(outputs[0]["probabilities"]) == 6


def test_predict_reports_bad_lines_in_place_and_keeps_going(trained):
    _, model_dir, _ = trained
    result = run("predict", "--model", model_dir,
                 stdin='{"text": "記者"}\nnot json\n{"name": "x"}\n{"text": "編集者"}\n')
    assert result.returncode == 1
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == 4
    assert outputs[1] == {"line": 2, "error": "malformed JSON"}
    assert outputs[2]["line"] == 3 and "text" in outputs[2]["error"]
    assert "primary" in outputs[3]
    assert "stdin:2: malformed JSON" in result.stderr


def run_bytes(*args, stdin: bytes):
    return subprocess.run([sys.executable, "-m", "training", *map(str, args)], input=stdin,
                          capture_output=True, cwd=REPO, timeout=300)


def test_predict_keeps_every_line_in_its_place_bom_blank_and_non_utf8_lines_included(trained):
    _, model_dir, _ = trained
    data = (b"\xef\xbb\xbf" + '{"text": "記者"}\n\n'.encode("utf-8")
            + '{"text": "編集者"}\n'.encode("cp932") + '{"text": "株式会社サクラ 代表取締役"}\n'.encode("utf-8"))
    result = run_bytes("predict", "--model", model_dir, stdin=data)
    assert result.returncode == 1
    outputs = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(outputs) == 4
    assert "primary" in outputs[0]  # the byte-order mark is not part of the JSON
    assert outputs[1] == {"line": 2, "skipped": "blank line"}
    assert outputs[2]["line"] == 3 and "not UTF-8" in outputs[2]["error"]
    assert "primary" in outputs[3]
    assert "stdin:3: not UTF-8" in result.stderr.decode("utf-8")


def test_predict_handles_long_and_control_character_text(trained):
    _, model_dir, _ = trained
    lines = [json.dumps({"text": "長" * 100_000}), json.dumps({"text": "\u0000\u0007記者"}),
             json.dumps({"text": "A software engineer in Berlin"})]
    result = run("predict", "--model", model_dir, stdin="\n".join(lines))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3


def test_validate_flags_near_duplicates(tmp_path):
    data = tmp_path / "dups.jsonl"
    rows = [{"id": "a", "text": "株式会社サクラの営業部で部長を務めています。", "roles": ["manager"], "primary": "manager"},
            {"id": "b", "text": "株式会社サクラの営業部で部長を務めています!", "roles": ["manager"], "primary": "manager"}]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = run("validate", "--data", data)
    assert result.returncode == 1
    assert "near-duplicate" in result.stderr
