"""Training, saving, loading and the guarantees of an artifact."""
import json

import numpy as np
import pytest

from training import ModelLoadError, load_model
from training.artifacts import METADATA_FILE, MODEL_FILE
from training.config import TrainConfig
from training.train import train

FAST = TrainConfig(folds=3, char_ngrams=(2, 2))


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("model")
    corpus = write_corpus(root / "corpus.jsonl")
    return train([corpus], root / "artifact", FAST, progress=lambda message: None)


PROBES = ["株式会社サクラ 代表取締役", "雑誌の編集者です", "市役所で働いています", "今日もいい天気"]


def test_artifact_directory_holds_model_metadata_and_report(trained_dir):
    names = {p.name for p in trained_dir.iterdir()}
    assert {MODEL_FILE, METADATA_FILE, "report.md", "confusion.png"} <= names
    metadata = json.loads((trained_dir / METADATA_FILE).read_text(encoding="utf-8"))
    assert metadata["corpus"]["records"] == 30
    assert len(metadata["corpus"]["sha256"]) == 64
    assert metadata["config"]["seed"] == FAST.seed
    assert set(metadata["thresholds"]) == {"executive", "author", "media", "manager", "consultant", "employee"}
    assert "scikit-learn" in metadata["libraries"]
    assert 0 <= metadata["cv_metrics"]["primary_macro_f1"] <= 1
    assert (trained_dir / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_saved_model_loads_and_predicts_like_the_original(trained_dir):
    model = load_model(trained_dir)
    again = load_model(trained_dir)
    assert np.array_equal(model.predict_proba(PROBES), again.predict_proba(PROBES))
    assert model.metadata_["version"].startswith("roles-")


def test_same_data_and_seed_give_the_same_model(trained_dir, tmp_path):
    from conftest import write_corpus

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    second = train([corpus], tmp_path / "again", FAST, progress=lambda message: None)
    first_model, second_model = load_model(trained_dir), load_model(second)
    assert np.array_equal(first_model.predict_proba(PROBES), second_model.predict_proba(PROBES))
    assert first_model.thresholds_ == second_model.thresholds_


def test_version_names_the_corpus_and_the_settings(trained_dir, tmp_path):
    import dataclasses

    from conftest import write_corpus

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    first = load_model(trained_dir).metadata_
    again = load_model(train([corpus], tmp_path / "again", FAST, progress=lambda message: None)).metadata_
    other = load_model(train([corpus], tmp_path / "other", dataclasses.replace(FAST, C=FAST.C * 2),
                             progress=lambda message: None)).metadata_
    assert first["version"].split("-")[2] == first["corpus"]["sha256"][:8]
    # The date may change between the runs; the hashes may not.
    assert first["version"].split("-")[2:] == again["version"].split("-")[2:]
    assert first["version"].split("-")[2] == other["version"].split("-")[2]
    assert first["version"].split("-")[3] != other["version"].split("-")[3]


def test_version_names_the_code_too(trained_dir, tmp_path, monkeypatch):
    # The same corpus and settings with other training code (features, cues, tuning) is another model.
    import training.train
    from conftest import write_corpus

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    first = load_model(trained_dir).metadata_
    assert first["code_sha256"] == training.train.code_sha256()
    monkeypatch.setattr(training.train, "code_sha256", lambda: "0" * 64)
    other = load_model(train([corpus], tmp_path / "other", FAST, progress=lambda message: None)).metadata_
    assert other["code_sha256"] == "0" * 64
    assert first["version"].split("-")[2] == other["version"].split("-")[2]
    assert first["version"].split("-")[3] != other["version"].split("-")[3]


def test_model_from_another_scikit_learn_is_refused_with_retrain_advice(trained_dir, tmp_path):
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(trained_dir, copy)
    metadata = json.loads((copy / METADATA_FILE).read_text(encoding="utf-8"))
    metadata["libraries"]["scikit-learn"] = "0.24.2"
    (copy / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2.*retrain"):
        load_model(copy)


def test_corrupt_model_file_is_refused_naming_the_file(trained_dir, tmp_path):
    import shutil

    copy = tmp_path / "corrupt"
    shutil.copytree(trained_dir, copy)
    (copy / MODEL_FILE).write_bytes(b"not a joblib file")
    with pytest.raises(ModelLoadError, match="model.joblib is corrupt"):
        load_model(copy)


def test_missing_model_directory_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nowhere")


def test_directory_without_metadata_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="metadata.json not found"):
        load_model(tmp_path)


def test_classify_returns_roles_in_order_with_probabilities_for_all_six(trained_dir):
    model = load_model(trained_dir)
    for prediction in model.classify(PROBES, explain=True):
        assert list(prediction.probabilities) == ["executive", "author", "media", "manager",
                                                  "consultant", "employee"]
        assert all(0.0 <= p <= 1.0 for p in prediction.probabilities.values())
        assert prediction.primary == (prediction.roles[0] if prediction.roles else None)
        assert 0.0 <= prediction.confidence <= 1.0


def test_training_refuses_data_without_every_role(tmp_path):
    path = tmp_path / "one_role.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"記者{i}", "roles": ["media"]}, ensure_ascii=False)
                              for i in range(10)), encoding="utf-8")
    with pytest.raises(ValueError, match="no example of role"):
        train([path], tmp_path / "out", FAST, progress=lambda message: None)


def test_training_refuses_data_without_an_out_of_scope_example(tmp_path):
    from conftest import SMALL_CORPUS

    path = tmp_path / "all_in_scope.jsonl"
    path.write_text("\n".join(json.dumps({"text": text, "roles": roles}, ensure_ascii=False)
                              for text, roles in SMALL_CORPUS if roles), encoding="utf-8")
    with pytest.raises(ValueError, match="no out-of-scope example"):
        train([path], tmp_path / "out", FAST, progress=lambda message: None)


def test_abstention_follows_the_in_scope_detector_not_the_role_scores():
    from training.model import decide

    thresholds = [0.5] * 6
    # Every role weak, but clearly a working person: the strongest role is kept.
    weak_roles_in_scope = [0.05, 0.02, 0.1, 0.03, 0.2, 0.4, 0.9]
    # A role word scored high, but the bio as a whole does not look like work: abstain.
    strong_role_out_of_scope = [0.0, 0.0, 0.0, 0.0, 0.0, 0.7, 0.2]
    first, second = decide(np.array([weak_roles_in_scope, strong_role_out_of_scope]), thresholds, 0.5)
    assert first == (("employee",), "employee", 0.4)
    assert second[:2] == ((), None)
    assert second[2] == pytest.approx(0.8)


def test_decide_refuses_a_threshold_list_of_the_wrong_length():
    from training.model import decide

    # Seven thresholds would silently read the in-scope column as a seventh role.
    with pytest.raises(ValueError, match="6 thresholds"):
        decide([[0.9] * 7], [0.5] * 7, 0.5)


def test_predictions_carry_the_in_scope_probability(trained_dir):
    model = load_model(trained_dir)
    for prediction in model.classify(PROBES):
        assert 0.0 <= prediction.in_scope <= 1.0
        assert (prediction.primary is None) == (prediction.in_scope < model.abstain_threshold_)
