"""The fast scoring path: the fitted pipeline's arithmetic without scikit-learn's per-call overhead.

scikit-learn validates inputs, builds intermediate sparse matrices and loops
over six estimators on every call, which costs far more than tokenising one
bio. ``CompiledScorer`` reads the fitted vocabularies, idf weights and
coefficients once and reproduces the same computation with dictionaries and
one dense matrix product, so the probabilities agree with
``pipeline.predict_proba`` to rounding error (tested to 1e-9).
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from itertools import accumulate, chain, filterfalse
from math import exp, sqrt
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse import hstack as sparse_hstack

from .extensions import compiled_module
from .features import PAST_PREFIXES, PUNCTUATION, BioAnalyzer, CueAnalyzer
from .keywords import clause_spans, cue_column_table, cue_columns

_fastscore = compiled_module("_fastscore", "scoring in Python")

_NOT_PUNCTUATION = PUNCTUATION.__contains__


class _WordColumns:
    """BioAnalyzer's word features mapped straight to vocabulary columns.

    The analyzer builds a string per feature ("w:記者", "b:新聞 記者") that the
    vectoriser then hashes and looks up. Here the vocabulary is split once by
    feature kind into dictionaries keyed by the word (or the pair of words), so
    one bio's columns come from ``map`` over its words, with no strings built
    and no per-word Python loop. Token offsets come from the token lengths
    instead of a search per token. The columns are the analyzer's, in count
    (tested against it).
    """

    def __init__(self, analyzer: BioAnalyzer, vocabulary: dict[str, int]):
        self.analyzer = analyzer
        self.tokenizer = analyzer.tokenizer
        self.exclusive = analyzer.tense_marks == "exclusive"
        self.tense_marks = bool(analyzer.tense_marks)
        self.bigrams = analyzer.word_bigrams
        self.first_clause = analyzer.first_clause
        self.lookup = vocabulary.get
        kinds: dict[str, dict] = {"w": {}, "b": {}, "p": {}, "pb": {}, "c": {}, "f": {}}
        for term, column in vocabulary.items():
            kind, _, value = term.partition(":")
            if kind in ("b", "pb"):
                first, _, second = value.partition(" ")
                kinds[kind][(first, second)] = column
            elif kind in kinds:
                kinds[kind][value] = column
        self.w, self.b, self.p, self.pb, self.c, self.f = (kinds[k].get for k in ("w", "b", "p", "pb", "c", "f"))
        self.tables = self.flags = None
        if _fastscore is not None:
            self.tables = self._compiled_tables(kinds)
            self.flags = ((_fastscore.FIRST_CLAUSE if self.first_clause else 0)
                          | (_fastscore.BIGRAMS if self.bigrams else 0)
                          | (_fastscore.EXCLUSIVE if self.exclusive else 0)
                          | (_fastscore.TENSE_MARKS if self.tense_marks else 0))

    @staticmethod
    def _compiled_tables(kinds: dict[str, dict]):
        """The vocabulary by word id for the compiled loops: per word its w:, p:, c:, f: columns and
        whether it is punctuation or a past prefix; per pair of word ids its b: and pb: columns."""
        # Every word of the vocabulary, punctuation and past prefixes included, numbered in first-seen order.
        words = dict.fromkeys(chain(*(kinds[kind] for kind in ("w", "p", "c", "f")),
                                    *(chain.from_iterable(kinds[kind]) for kind in ("b", "pb")),
                                    PUNCTUATION, PAST_PREFIXES))
        ids = {word: number for number, word in enumerate(words)}
        columns = [-1] * (4 * len(ids))
        for slot, kind in enumerate(("w", "p", "c", "f")):
            for word, column in kinds[kind].items():
                columns[4 * ids[word] + slot] = column
        marks = [0] * len(ids)
        for word in PUNCTUATION:
            marks[ids[word]] |= _fastscore.IS_PUNCTUATION
        for word in PAST_PREFIXES:
            marks[ids[word]] |= _fastscore.IS_PAST_PREFIX
        pairs = [(ids[first], ids[second], slot, column) for slot, kind in enumerate(("b", "pb"))
                 for (first, second), column in kinds[kind].items()]
        return _fastscore.word_tables(ids, columns, marks, pairs)

    @staticmethod
    def applies_to(analyzer) -> bool:
        return isinstance(analyzer, BioAnalyzer) and analyzer.char_ngrams[1] <= 0

    def counts(self, text: str) -> dict[int, int]:
        """Column -> count for one normalised text, as the analyzer and vectoriser would give."""
        tokens = self.tokenizer.tokenize(text)
        spaces = [i for i, ch in enumerate(text) if ch == " "] if " " in text else []
        if sum(map(len, tokens)) != len(text) - len(spaces):
            # MeCab changed or dropped characters: find each token as the analyzer does.
            return _looked_up_counts(self.analyzer, self.lookup, text)
        # Where each token starts in the text without its spaces (MeCab drops them).
        starts = list(accumulate(map(len, tokens), initial=0))
        columns: list = []
        extend = columns.extend
        first = self.first_clause
        for start, end, tense in clause_spans(text):
            low = bisect_left(starts, start - bisect_left(spaces, start))
            high = bisect_left(starts, end - bisect_left(spaces, end), low)
            words = list(filterfalse(_NOT_PUNCTUATION, tokens[low:high]))
            if first:
                # The analyzer's first clause is the first span, even when it has no words.
                extend(map(self.f, words))
                first = False
            if not words:
                continue
            pairs = zip(words, words[1:]) if self.bigrams else ()
            if tense == "past" and self.exclusive:
                extend(map(self.p, words))
                extend(map(self.pb, pairs))
                continue
            extend(map(self.w, words))
            extend(map(self.b, pairs))
            if not self.tense_marks:
                continue
            if tense == "past":
                extend(map(self.p, words))
            elif not any(map(PAST_PREFIXES.__contains__, words)):
                if tense == "current":
                    extend(map(self.c, words))
            else:
                after_past_prefix = False
                for word in words:
                    if after_past_prefix:
                        columns.append(self.p(word))
                    elif tense == "current":
                        columns.append(self.c(word))
                    after_past_prefix = word in PAST_PREFIXES
        counts = Counter(columns)
        counts.pop(None, None)
        return counts

    def add_scores(self, text: str, block_spec: tuple, out: np.ndarray) -> None:
        """Add this block's share of the linear scores of one normalised text to ``out``
        (compiled; the same columns as :meth:`counts`)."""
        tokens = self.tokenizer.tokenize(text)
        if not _fastscore.word_scores(text, tokens, clause_spans(text), self.tables, self.flags, block_spec, out):
            # MeCab changed or dropped characters: find each token as the analyzer does.
            _fastscore.column_scores(_looked_up_columns(self.analyzer, self.lookup, text), block_spec, out)


def _looked_up_columns(analyzer, lookup, text: str) -> list[int]:
    """The columns (with repeats) the plain way: every feature string of the analyzer, looked up."""
    return [column for column in map(lookup, analyzer(text)) if column is not None]


def _looked_up_counts(analyzer, lookup, text: str) -> dict[int, int]:
    """Column -> count the plain way."""
    return Counter(_looked_up_columns(analyzer, lookup, text))


class _Block(NamedTuple):
    """One vectoriser of the FeatureUnion, as plain Python data."""

    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    offset: int
    idf: np.ndarray | None
    sublinear: bool
    binary: bool
    norm: str | None
    weight: float
    words: _WordColumns | None
    """The word block's columns straight from the vocabulary, when the analyzer allows it
    (faster than analyzer + lookup)."""
    spec: tuple | None = None
    """(idf and coefficient rows, sublinear, binary, norm, weight): the block as the compiled loops take it."""
    cues: tuple[int, ...] | None = None
    """For the keyword cue block: its columns by role and tense, for keywords.cue_columns."""


def _aligned_rows(n_rows: int, n_outputs: int) -> np.ndarray:
    """An (n_rows, 1 + n_outputs) float64 array whose rows start at 64-byte boundaries when they are 64 bytes long."""
    width = 1 + n_outputs
    buffer = np.empty(n_rows * width + 8, dtype=np.float64)
    skip = (-buffer.ctypes.data % 64) // 8
    return buffer[skip:skip + n_rows * width].reshape(n_rows, width)


class CompiledScorer:
    """Per-role probabilities for normalised texts, from a fitted RoleClassifier pipeline."""

    def __init__(self, pipeline):
        union = pipeline.named_steps["vectorize"]
        weights = union.transformer_weights or {}
        self.blocks = []
        offset = 0
        for name, vectorizer in union.transformer_list:
            idf = np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None
            words = None
            if _WordColumns.applies_to(vectorizer.analyzer):
                words = _WordColumns(vectorizer.analyzer, vectorizer.vocabulary_)
            cues = None
            if type(vectorizer.analyzer) is CueAnalyzer:  # a subclass may find other cues
                cues = cue_column_table(vectorizer.vocabulary_)
            self.blocks.append(_Block(vectorizer.analyzer, vectorizer.vocabulary_, offset, idf,
                                      vectorizer.sublinear_tf, vectorizer.binary, vectorizer.norm,
                                      float(weights.get(name, 1.0)), words, cues=cues))
            offset += len(vectorizer.vocabulary_)
        estimators = pipeline.named_steps["classify"].estimators_
        # (n_features, n_roles): one dense product replaces six estimator calls.
        self.coef = np.ascontiguousarray(np.vstack([e.coef_.ravel() for e in estimators]).T)
        self.intercept = np.array([float(e.intercept_[0]) for e in estimators])
        norms = {"l2": 2, "l1": 1, None: 0}
        # The compiled loops know the l1 and l2 norms; anything else takes the Python path.
        self.compiled = _fastscore is not None and all(block.norm in norms for block in self.blocks)
        if self.compiled:
            # Per feature one row for the compiled loops: its idf (1.0 without), then its
            # coefficients; 64-byte aligned, so that with 7 outputs a feature is one cache line.
            rows = _aligned_rows(*self.coef.shape)
            rows[:, 1:] = self.coef
            for block in self.blocks:
                end = block.offset + len(block.vocabulary)
                rows[block.offset:end, 0] = block.idf if block.idf is not None else 1.0
            self.blocks = [block._replace(spec=(rows[block.offset:block.offset + len(block.vocabulary)],
                                                bool(block.sublinear), bool(block.binary), norms[block.norm],
                                                block.weight))
                           for block in self.blocks]

    @staticmethod
    def _counts(block: _Block, text: str) -> dict[int, int]:
        """Column (within the block) -> count of one normalised text."""
        if block.words is not None:
            return block.words.counts(text)
        return _looked_up_counts(block.analyzer, block.vocabulary.get, text)

    @staticmethod
    def _tf_idf(block: _Block, columns: Iterable[int], counts: Iterable[int],
                total: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns and tf-idf values (before norm and weight) of ``total`` (column, count) pairs."""
        columns = np.fromiter(columns, dtype=np.intp, count=total)
        if block.binary:
            values = np.ones(total)
        else:
            values = np.fromiter(counts, dtype=np.float64, count=total)
            if block.sublinear:
                values = np.log(values) + 1.0
        if block.idf is not None:
            values *= block.idf[columns]
        return columns, values

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        """The feature matrix of many normalised texts, the vectoriser's arithmetic done once for the batch."""
        n = len(texts)
        # Text by text through all blocks: the clause split of a text, cached, serves every block.
        per_text = [[self._counts(block, text) for block in self.blocks] for text in texts]
        blocks = []
        for number, block in enumerate(self.blocks):
            counts = [row[number] for row in per_text]
            lengths = np.fromiter(map(len, counts), dtype=np.int64, count=n)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            columns, values = self._tf_idf(block, chain.from_iterable(counts),
                                           chain.from_iterable(c.values() for c in counts), int(indptr[-1]))
            if block.norm in ("l2", "l1"):
                rows = np.repeat(np.arange(n), lengths)
                sums = np.bincount(rows, weights=values * values if block.norm == "l2" else np.abs(values),
                                   minlength=n)
                row_lengths = np.sqrt(sums) if block.norm == "l2" else sums
                row_lengths[row_lengths == 0] = 1.0
                values /= row_lengths[rows]
            if block.weight != 1.0:
                values *= block.weight
            blocks.append(csr_matrix((values, columns, indptr), shape=(n, len(block.vocabulary))))
        return sparse_hstack(blocks, format="csr")

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one normalised text's feature row: the same arithmetic as
        :meth:`matrix` without the batch bookkeeping, since one bio is the hot path."""
        indices, values = [], []
        for block in self.blocks:
            counts = self._counts(block, text)
            if not counts:
                continue
            columns, tf = self._tf_idf(block, counts.keys(), counts.values(), len(counts))
            scale = block.weight
            if block.norm in ("l2", "l1"):
                length = sqrt(tf @ tf) if block.norm == "l2" else np.abs(tf).sum()
                scale = scale / length if length else scale
            indices.append(columns + block.offset if block.offset else columns)
            values.append(tf * scale if scale != 1.0 else tf)
        if not indices:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)

    def probability_row(self, text: str) -> list[float]:
        """Per-output probabilities of one normalised text, through the compiled loops (only
        when :attr:`compiled`): no feature row is built, each block's columns go straight into
        the scores. A plain list, since a caller reads them one by one."""
        if not self.compiled:
            raise RuntimeError("probability_row needs the compiled loops; use features() and probabilities()")
        scores = self.intercept.copy()
        for block in self.blocks:
            if block.words is not None:
                block.words.add_scores(text, block.spec, scores)
                continue
            columns = None
            if block.cues is not None:
                # The cues straight to columns by the compiled matching (None without it).
                columns = cue_columns(text, block.analyzer.first_clause, block.cues)
            if columns is None:
                columns = _looked_up_columns(block.analyzer, block.vocabulary.get, text)
            _fastscore.column_scores(columns, block.spec, scores)
        # exp's argument capped: math.exp raises where numpy's gives inf (and 1 / (1 + inf) = 0).
        return [1.0 / (1.0 + exp(min(-score, 700.0))) for score in scores.tolist()]

    def probabilities_of_matrix(self, features: csr_matrix) -> np.ndarray:
        """Per-role probabilities for a feature matrix (from :meth:`matrix` or the pipeline's vectoriser)."""
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))

    def probabilities(self, row: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Per-role probabilities (1, n_outputs) for one feature row from :meth:`features`."""
        indices, values = row
        scores = (values @ self.coef[indices] + self.intercept)[None, :]
        return 1.0 / (1.0 + np.exp(-scores))
