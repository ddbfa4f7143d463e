"""The fast scoring path gives the plain scikit-learn path's probabilities."""
import json

import numpy as np
import pytest

from conftest import SMALL_CORPUS, compiled_or_skip

TEXTS = [text for text, _ in SMALL_CORPUS] + [
    "1988年東京生まれ。日経新聞の記者を経て、現在は株式会社ABCの広報部長。元CTO。",
    "Head of Sales @ Acme | ex-Google | SaaS",
    "未知の単語だけ: ぴよぴよ", "", "🎉", "x" * 20_000,
]


def plain_probabilities(model, texts):
    return model.pipeline_.predict_proba(list(texts))


def fast_probabilities(model, texts):
    return np.array([[*p.probabilities.values(), p.in_scope] for p in model.classify(list(texts))])


def test_fast_path_matches_scikit_learn_in_a_batch(default_model):
    assert np.abs(fast_probabilities(default_model, TEXTS) - plain_probabilities(default_model, TEXTS)).max() < 1e-9


@pytest.mark.parametrize("text", TEXTS)
def test_fast_path_matches_scikit_learn_one_bio_at_a_time(default_model, text):
    assert np.abs(fast_probabilities(default_model, [text]) - plain_probabilities(default_model, [text])).max() < 1e-9


def test_fast_path_matches_on_a_model_with_character_ngrams(tmp_path):
    from conftest import write_corpus
    from training.corpus import read_records
    from training.model import RoleClassifier

    records = read_records([write_corpus(tmp_path / "c.jsonl")])
    model = RoleClassifier(char_ngrams=(1, 3), cue_weight=0.7).fit(
        [r.text for r in records], [r.roles for r in records])
    assert np.abs(fast_probabilities(model, TEXTS) - plain_probabilities(model, TEXTS)).max() < 1e-9
    from training.model import BATCH_VECTORISE_FROM

    batch = (TEXTS * (BATCH_VECTORISE_FROM // len(TEXTS) + 2))[:BATCH_VECTORISE_FROM + 5]
    assert np.abs(fast_probabilities(model, batch) - plain_probabilities(model, batch)).max() < 1e-9


def test_large_batches_match_scikit_learn_and_explain_like_single_bios(default_model):
    from training.model import BATCH_VECTORISE_FROM

    texts = (TEXTS * (BATCH_VECTORISE_FROM // len(TEXTS) + 2))[:BATCH_VECTORISE_FROM + 5]
    batch = default_model.classify(texts, explain=True)
    probabilities = np.array([[*p.probabilities.values(), p.in_scope] for p in batch])
    assert np.abs(probabilities - plain_probabilities(default_model, texts)).max() < 1e-9
    for text, prediction in zip(texts[:10], batch):
        single = default_model.classify([text], explain=True)[0]
        assert [f for f, _ in single.explanation] == [f for f, _ in prediction.explanation]


def _analyzer_counts(vectorizer, text):
    counts = {}
    for term in vectorizer.analyzer(text):
        column = vectorizer.vocabulary_.get(term)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    return counts


WORD_EDGE_CASES = [
    "元CTO。現在は 前 編集長 ex google", "a  b c", " 。。 ", "元 元 元", "現在は元記者、前職は銀行員",
    "2010年 日経新聞社 入社。記者を経て、2020年より編集長。著書『仕事の本』", "",
    # A first clause of punctuation only: it is still the first clause (no first-clause words).
    "「」。代表取締役", "。。元cto",
]


def test_word_columns_equal_the_analyzer_and_vocabulary(default_model):
    from training.corpus import default_data_files
    from training.fast import _WordColumns
    from training.normalize import normalize_text

    vectorizer = default_model.pipeline_.named_steps["vectorize"].transformer_list[0][1]
    columns = _WordColumns(vectorizer.analyzer, vectorizer.vocabulary_)
    corpus = [json.loads(line)["text"] for path in default_data_files()
              for line in path.read_text(encoding="utf-8").splitlines()[::20]]
    texts = [normalize_text(t) for t in WORD_EDGE_CASES + corpus]
    for text in texts:
        assert columns.counts(text) == _analyzer_counts(vectorizer, text), text


def test_word_columns_fall_back_when_mecab_changes_the_text(default_model, monkeypatch):
    from training.fast import _WordColumns

    vectorizer = default_model.pipeline_.named_steps["vectorize"].transformer_list[0][1]
    columns = _WordColumns(vectorizer.analyzer, vectorizer.vocabulary_)
    text = "株式会社abc 代表取締役。元新聞記者"
    expected = _analyzer_counts(vectorizer, text)
    # Tokens whose lengths no longer add up to the text: offsets must be found by search.
    real_tokenize = columns.tokenizer.tokenize
    monkeypatch.setattr(columns.tokenizer, "tokenize", lambda t: [w for w in real_tokenize(t) if w != "元"])
    assert columns.counts(text) == _analyzer_counts(vectorizer, text)
    assert columns.counts(text) != expected


def test_scorer_answers_an_empty_batch_with_an_empty_array(default_model):
    scorer = default_model._scorer()
    assert scorer.probabilities_of_matrix(scorer.matrix([])).shape == (0, scorer.coef.shape[1])


def _python_probabilities(scorer, text):
    return scorer.probabilities(scorer.features(text))


def test_compiled_scores_equal_the_python_path_on_the_corpus(default_model):
    compiled_or_skip("_fastscore")
    from training.corpus import default_data_files
    from training.normalize import normalize_text

    scorer = default_model._scorer()
    assert scorer.compiled
    corpus = [json.loads(line)["text"] for path in default_data_files()
              for line in path.read_text(encoding="utf-8").splitlines()[::10]]
    # One bio of thousands of words: past every fixed-size buffer of the compiled loops.
    longest = "。".join(corpus[:400])
    for text in [normalize_text(t) for t in WORD_EDGE_CASES + TEXTS + corpus + [longest]]:
        difference = np.abs(np.array(scorer.probability_row(text)) - _python_probabilities(scorer, text)[0]).max()
        assert difference < 1e-12, text


def test_compiled_scores_fall_back_when_mecab_changes_the_text(default_model, monkeypatch):
    compiled_or_skip("_fastscore")
    from training.fast import CompiledScorer

    scorer = CompiledScorer(default_model.pipeline_)
    text = "株式会社abc 代表取締役。元新聞記者"
    before = np.array(scorer.probability_row(text))
    tokenizer = scorer.blocks[0].words.tokenizer
    real_tokenize = tokenizer.tokenize
    monkeypatch.setattr(tokenizer, "tokenize", lambda t: [w for w in real_tokenize(t) if w != "元"])
    after = np.array(scorer.probability_row(text))
    # The analyzer finds each token by search; the compiled path must then give what it gives.
    assert np.abs(after - _python_probabilities(scorer, text)[0]).max() < 1e-12
    assert np.abs(after - before).max() > 1e-6


def test_without_the_compiled_loops_classify_takes_the_python_path(default_model, monkeypatch):
    from training import fast
    from training.fast import CompiledScorer

    monkeypatch.setattr(fast, "_fastscore", None)
    monkeypatch.setattr(default_model, "_compiled", CompiledScorer(default_model.pipeline_))
    assert not default_model._scorer().compiled
    for texts in (TEXTS, TEXTS[:1]):
        assert np.abs(fast_probabilities(default_model, texts) - plain_probabilities(default_model, texts)).max() < 1e-9


def test_compiled_loops_reject_bad_arguments_with_errors(default_model):
    fastscore = compiled_or_skip("_fastscore")
    block = default_model._scorer().blocks[1]
    out = np.zeros(default_model._scorer().coef.shape[1])
    with pytest.raises(IndexError):
        fastscore.column_scores([len(block.vocabulary)], block.spec, out)
    with pytest.raises(IndexError):
        fastscore.column_scores([-1], block.spec, out)
    with pytest.raises(TypeError):
        fastscore.column_scores([0], block.spec, np.zeros(3))
    with pytest.raises(TypeError):
        fastscore.column_scores([0], block.spec, np.zeros(out.shape, dtype=np.float32))
    with pytest.raises(TypeError):
        fastscore.column_scores(["0"], block.spec, out)
    with pytest.raises(TypeError):
        fastscore.word_scores("abc", ["abc"], ((0, 3, "past"),), (), 0, block.spec, out)
    words = default_model._scorer().blocks[0]
    with pytest.raises(TypeError):
        fastscore.word_scores("abc", ("abc",), ((0, 3, "past"),), words.words.tables, 0, words.spec, out)
    with pytest.raises(TypeError):
        fastscore.word_scores("abc", ["abc", 1], ((0, 3, "past"),), words.words.tables, 0, words.spec, out)
    with pytest.raises(TypeError):
        fastscore.word_scores("ab", ["a", "b"], ((0, 2, None),), words.words.tables, 0, words.spec, out)
    with pytest.raises(ValueError):
        fastscore.word_tables({"a": 0, "b": 1}, [-1] * 8, [0, 0], [(0, 5, 1, -1)])
    with pytest.raises(ValueError):
        fastscore.word_tables({"a": 0}, [-1] * 3, [0], [])
    assert not out.any()


def test_compiled_probabilities_stay_finite_for_extreme_scores(default_model, monkeypatch):
    compiled_or_skip("_fastscore")
    from training.fast import CompiledScorer

    scorer = CompiledScorer(default_model.pipeline_)
    monkeypatch.setattr(scorer, "intercept", np.array([-1e4, 1e4, 0, 0, 0, 0, 0], dtype=np.float64))
    row = scorer.probability_row("株式会社abc 代表取締役")
    assert row[0] == pytest.approx(0.0, abs=1e-300) and row[1] == 1.0


def test_compiled_loops_take_exact_strings_only(default_model):
    fastscore = compiled_or_skip("_fastscore")

    class Sneaky(str):
        def __eq__(self, other):
            return str.__eq__(self, other)

        __hash__ = str.__hash__

    words = default_model._scorer().blocks[0]
    out = np.zeros(default_model._scorer().coef.shape[1])
    with pytest.raises(TypeError):
        fastscore.word_scores("ab", [Sneaky("a"), "b"], ((0, 2, ""),), words.words.tables, 0, words.spec, out)


@pytest.mark.parametrize("params", [
    {"word_bigrams": True},
    {"word_bigrams": True, "tense_marks": True, "first_clause": False},
    {"word_bigrams": False, "tense_marks": False},
    {"word_bigrams": True, "tense_marks": "exclusive", "cue_weight": 0},
])
def test_compiled_loops_match_scikit_learn_for_every_word_feature_setting(tmp_path, params):
    """The shipped model has no bigrams; the compiled bigram and tense paths are checked here."""
    compiled_or_skip("_fastscore")
    from conftest import write_corpus
    from training.corpus import read_records
    from training.model import RoleClassifier

    records = read_records([write_corpus(tmp_path / "c.jsonl")])
    model = RoleClassifier(**params).fit([r.text for r in records], [r.roles for r in records])
    assert model._scorer().compiled
    texts = TEXTS + WORD_EDGE_CASES + [r.text for r in records]
    assert np.abs(fast_probabilities(model, texts) - plain_probabilities(model, texts)).max() < 1e-9
    # With bigrams on, the vocabulary has some, so the equality above covered the pair table.
    vocabulary = model.pipeline_.named_steps["vectorize"].transformer_list[0][1].vocabulary_
    assert any(term.startswith(("b:", "pb:")) for term in vocabulary) == params["word_bigrams"]
