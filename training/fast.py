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
from math import sqrt
from typing import Callable, NamedTuple, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse import hstack as sparse_hstack

from .features import PAST_PREFIXES, PUNCTUATION, BioAnalyzer
from .keywords import clause_spans

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

    @staticmethod
    def applies_to(analyzer) -> bool:
        return isinstance(analyzer, BioAnalyzer) and analyzer.char_ngrams[1] <= 0

    def counts(self, text: str) -> dict[int, int]:
        """Column -> count for one normalised text, as the analyzer and vectoriser would give."""
        tokens = self.tokenizer.tokenize(text)
        spaces = [i for i, ch in enumerate(text) if ch == " "] if " " in text else []
        if sum(map(len, tokens)) != len(text) - len(spaces):
            # MeCab changed or dropped characters: find each token as the analyzer does.
            return self._slow_counts(text)
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

    def _slow_counts(self, text: str) -> dict[int, int]:
        counts = Counter(map(self.lookup, self.analyzer(text)))
        counts.pop(None, None)
        return counts


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
    counter: Callable[[str], dict[int, int]] | None
    """Column -> count of a text, when a faster way than analyzer + lookup exists."""


class CompiledScorer:
    """Per-role probabilities for normalised texts, from a fitted RoleClassifier pipeline."""

    def __init__(self, pipeline):
        union = pipeline.named_steps["vectorize"]
        weights = union.transformer_weights or {}
        self.blocks = []
        offset = 0
        for name, vectorizer in union.transformer_list:
            idf = np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None
            counter = None
            if _WordColumns.applies_to(vectorizer.analyzer):
                counter = _WordColumns(vectorizer.analyzer, vectorizer.vocabulary_).counts
            self.blocks.append(_Block(vectorizer.analyzer, vectorizer.vocabulary_, offset, idf,
                                      vectorizer.sublinear_tf, vectorizer.binary, vectorizer.norm,
                                      float(weights.get(name, 1.0)), counter))
            offset += len(vectorizer.vocabulary_)
        estimators = pipeline.named_steps["classify"].estimators_
        self.n_features = offset
        # (n_features, n_roles): one dense product replaces six estimator calls.
        self.coef = np.ascontiguousarray(np.vstack([e.coef_.ravel() for e in estimators]).T)
        self.intercept = np.array([float(e.intercept_[0]) for e in estimators])

    @staticmethod
    def _counts(block: _Block, text: str) -> dict[int, int]:
        """Column (within the block) -> count of one normalised text."""
        if block.counter is not None:
            return block.counter(text)
        lookup = block.vocabulary.get
        counts: dict[int, int] = {}
        for term in block.analyzer(text):
            column = lookup(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        return counts

    def matrix(self, texts: Sequence[str]) -> csr_matrix:
        """The feature matrix of many normalised texts: the vectoriser's arithmetic done once
        for the whole batch instead of row by row."""
        n = len(texts)
        # Text by text through all blocks: the clause split of a text, cached, serves every block.
        per_text = [[self._counts(block, text) for block in self.blocks] for text in texts]
        blocks = []
        for number, block in enumerate(self.blocks):
            counts = [row[number] for row in per_text]
            lengths = np.fromiter(map(len, counts), dtype=np.int64, count=n)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            total = int(indptr[-1])
            columns = np.fromiter(chain.from_iterable(counts), dtype=np.intp, count=total)
            if block.binary:
                values = np.ones(total)
            else:
                values = np.fromiter(chain.from_iterable(c.values() for c in counts), dtype=np.float64, count=total)
                if block.sublinear:
                    values = np.log(values) + 1.0
            if block.idf is not None:
                values *= block.idf[columns]
            if block.norm in ("l2", "l1"):
                rows = np.repeat(np.arange(n), lengths)
                sums = np.bincount(rows, weights=values * values if block.norm == "l2" else np.abs(values),
                                   minlength=n)
                lengths_of_rows = np.sqrt(sums) if block.norm == "l2" else sums
                lengths_of_rows[lengths_of_rows == 0] = 1.0
                values /= lengths_of_rows[rows]
            if block.weight != 1.0:
                values *= block.weight
            blocks.append(csr_matrix((values, columns, indptr), shape=(n, len(block.vocabulary))))
        return sparse_hstack(blocks, format="csr")

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one normalised text's feature row."""
        indices, values = [], []
        for block in self.blocks:
            counts = self._counts(block, text)
            if not counts:
                continue
            # The vectoriser's arithmetic, on this row's few columns only.
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            if block.binary:
                tf = np.ones(len(counts))
            else:
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                if block.sublinear:
                    tf = np.log(tf) + 1.0
            if block.idf is not None:
                tf = tf * block.idf[columns]
            scale = block.weight
            if block.norm == "l2":
                length = sqrt(tf @ tf)
                scale = scale / length if length else scale
            elif block.norm == "l1":
                length = np.abs(tf).sum()
                scale = scale / length if length else scale
            indices.append(columns + block.offset if block.offset else columns)
            values.append(tf * scale if scale != 1.0 else tf)
        if not indices:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        if len(indices) == 1:
            return indices[0], values[0]
        return np.concatenate(indices), np.concatenate(values)

    def probabilities_of_matrix(self, features: csr_matrix) -> np.ndarray:
        """Per-role probabilities for a feature matrix (from :meth:`matrix` or the pipeline's vectoriser)."""
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))

    def probabilities(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Per-role probabilities (n, n_outputs) for feature rows from :meth:`features`."""
        if not rows:
            return np.zeros((0, len(self.intercept)))
        if len(rows) == 1:
            # One bio: a direct gather beats building a sparse matrix.
            indices, values = rows[0]
            scores = (values @ self.coef[indices] + self.intercept)[None, :]
        else:
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            indptr[1:] = np.cumsum([len(indices) for indices, _ in rows])
            matrix = csr_matrix((np.concatenate([values for _, values in rows]),
                                 np.concatenate([indices for indices, _ in rows]), indptr),
                                shape=(len(rows), self.n_features))
            scores = matrix @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-scores))
