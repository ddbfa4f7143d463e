"""The role classifier: one estimator that goes from raw bio text to roles, primary role and reasons."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from .fast import CompiledScorer
from .features import BioAnalyzer, CueAnalyzer
from .keywords import keyword_matches
from .normalize import DEFAULT_MAX_CHARS, TextNormalizer, normalize_text
from .roles import ROLE_IDS, ordered_roles


@dataclass(frozen=True)
class Prediction:
    """What the model says about one bio."""

    primary: str | None
    """The first predicted role in LABELS.md order, or None when the bio looks out of scope."""
    roles: tuple[str, ...]
    """Every role the bio supports, in LABELS.md order (empty when out of scope)."""
    probabilities: dict[str, float]
    """Probability of each of the six roles, in LABELS.md order."""
    confidence: float
    """How sure the primary decision is: the primary's probability, or for an abstention 1 - ``in_scope``."""
    in_scope: float
    """Probability that the bio names any working role at all (below the model's abstention threshold: out of scope)."""
    explanation: tuple[tuple[str, float], ...] = field(default=())
    """Features that pushed the primary role up most, with their weight (empty unless asked for)."""

    def to_dict(self) -> dict:
        return {
            "primary": self.primary,
            "roles": list(self.roles),
            "probabilities": dict(self.probabilities),
            "confidence": self.confidence,
            "in_scope": self.in_scope,
            "explanation": [{"feature": f, "weight": w} for f, w in self.explanation],
        }


def roles_to_matrix(role_sets: Iterable[Iterable[str]]) -> np.ndarray:
    """Binary indicator matrix (n, 6) in LABELS.md order."""
    rows = [ordered_roles(roles) for roles in role_sets]
    matrix = np.zeros((len(rows), len(ROLE_IDS)), dtype=np.int8)
    for i, roles in enumerate(rows):
        for role in roles:
            matrix[i, ROLE_IDS.index(role)] = 1
    return matrix


def targets_matrix(role_sets: Iterable[Iterable[str]]) -> np.ndarray:
    """What the model learns (n, 7): the six role indicators, then whether the bio has any role."""
    roles = roles_to_matrix(role_sets)
    return np.hstack([roles, roles.any(axis=1, keepdims=True).astype(np.int8)])


# The model's outputs: one detector per role, then one for "has any role" (in scope).
OUTPUTS = (*ROLE_IDS, "in_scope")
IN_SCOPE = len(ROLE_IDS)
EMPLOYEE = ROLE_IDS.index("employee")
# From this many bios in one call, classify builds one feature matrix for the batch (measured as
# fast from 2 bios and faster from 8); a single bio gathers its coefficients directly.
BATCH_VECTORISE_FROM = 2
NOT_WITH_EMPLOYEE = tuple(ROLE_IDS.index(r) for r in ("executive", "manager", "consultant"))


def decide(probabilities: np.ndarray, thresholds: Sequence[float],
           abstain_threshold: float) -> list[tuple[tuple[str, ...], str | None, float]]:
    """Turn model outputs (n, 7: six roles, then in scope; an array or lists of floats) into
    (roles, primary, confidence) per row.

    A bio whose in-scope probability is below ``abstain_threshold`` is out of
    scope. Otherwise its roles are those at or over their own threshold (at
    least the strongest one), without employee beside executive, manager or
    consultant, and the primary is the first of them in LABELS.md order.

    Abstention has its own detector because the role probabilities of a long
    bio that is plainly about work can all be low (no single role word stands
    out), while the bio is still clearly in scope.
    """
    decisions = []
    thresholds = [float(t) for t in thresholds]
    if len(thresholds) != len(ROLE_IDS):
        raise ValueError(f"need {len(ROLE_IDS)} thresholds, got {len(thresholds)}")
    roles_count = len(ROLE_IDS)
    # Plain floats: numpy scalars are slow one at a time, and this runs per request.
    rows = probabilities if isinstance(probabilities, list) else np.asarray(probabilities).tolist()
    for row in rows:
        if row[IN_SCOPE] < abstain_threshold:
            decisions.append(((), None, 1.0 - row[IN_SCOPE]))
            continue
        chosen = [i for i, threshold in enumerate(thresholds) if row[i] >= threshold]
        if not chosen:
            chosen = [max(range(roles_count), key=row.__getitem__)]
        if EMPLOYEE in chosen and len(chosen) > 1 and any(i in chosen for i in NOT_WITH_EMPLOYEE):
            # LABELS.md: employee is added only beside author or media, never beside
            # executive, manager or consultant.
            chosen.remove(EMPLOYEE)
        roles = tuple(ROLE_IDS[i] for i in chosen)
        decisions.append((roles, roles[0], row[chosen[0]]))
    return decisions


class RoleClassifier(BaseEstimator):
    """Multi-label role detector over MeCab words, tense-marked words and keyword cues
    (character n-grams optional).

    One logistic regression per role (is this person an author? a manager?);
    the primary role then follows the LABELS.md precedence, as the labels do.
    """

    def __init__(self, C: float = 4.0, char_ngrams: tuple[int, int] = (0, 0),
                 word_bigrams: bool = True, tense_marks: bool | str = "exclusive", cue_weight: float = 1.0,
                 min_df: int = 1, class_weight: str | None = None, first_clause: bool = True,
                 max_chars: int = DEFAULT_MAX_CHARS):
        self.C = C
        self.char_ngrams = char_ngrams
        self.word_bigrams = word_bigrams
        self.tense_marks = tense_marks
        self.cue_weight = cue_weight
        self.min_df = min_df
        self.class_weight = class_weight
        self.first_clause = first_clause
        self.max_chars = max_chars

    def _build_pipeline(self) -> Pipeline:
        analyzer = BioAnalyzer(char_ngrams=tuple(self.char_ngrams), word_bigrams=self.word_bigrams,
                               tense_marks=self.tense_marks, first_clause=self.first_clause)
        blocks = [("words", TfidfVectorizer(analyzer=analyzer, sublinear_tf=True,
                                            min_df=self.min_df, dtype=np.float64))]
        weights = {"words": 1.0}
        if self.cue_weight > 0:
            # Cues are binary and unnormalised: their pull does not shrink as the bio grows.
            blocks.append(("cues", TfidfVectorizer(analyzer=CueAnalyzer(self.first_clause), use_idf=False, norm=None,
                                                   binary=True, dtype=np.float64)))
            weights["cues"] = self.cue_weight
        return Pipeline([
            ("normalize", TextNormalizer(max_chars=self.max_chars)),
            ("vectorize", FeatureUnion(blocks, transformer_weights=weights)),
            ("classify", OneVsRestClassifier(LogisticRegression(
                C=self.C, max_iter=5000, class_weight=self.class_weight))),
        ])

    def fit(self, texts: Sequence[str], role_sets: Sequence[Iterable[str]]):
        matrix = targets_matrix(role_sets)
        missing = [ROLE_IDS[i] for i in range(len(ROLE_IDS)) if not matrix[:, i].any()]
        if missing:
            raise ValueError(f"the training data has no example of role(s) {missing}")
        if matrix[:, IN_SCOPE].all():
            raise ValueError("the training data has no out-of-scope example (a record with no roles): "
                             "the model needs some to learn when to abstain")
        self.pipeline_ = self._build_pipeline().fit(list(texts), matrix)
        self.thresholds_ = [0.5] * len(ROLE_IDS)
        self.abstain_threshold_ = 0.5
        return self

    def set_thresholds(self, thresholds: Sequence[float], abstain_threshold: float) -> None:
        """Decision thresholds, tuned on held-out predictions by the trainer."""
        if len(thresholds) != len(ROLE_IDS):
            raise ValueError(f"need {len(ROLE_IDS)} thresholds, got {len(thresholds)}")
        self.thresholds_ = [float(t) for t in thresholds]
        self.abstain_threshold_ = float(abstain_threshold)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities (n, 7) through scikit-learn: each role in LABELS.md order, then in scope
        (see ``OUTPUTS``)."""
        return self.pipeline_.predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return self.classify(texts)

    def classify(self, texts: Sequence[str], explain: bool = False,
                 top_features: int = 5) -> list[Prediction]:
        """Roles, primary role and confidence for each text (the fast path, see training.fast)."""
        texts = list(texts)
        if not texts:
            return []
        scorer = self._scorer()
        normalized = [normalize_text(t, self.max_chars) for t in texts]
        if scorer.compiled and not explain:
            # Compiled loops: each bio's columns go straight into its scores, no feature matrix.
            rows = None
            probabilities = [scorer.probability_row(text) for text in normalized]
        elif len(texts) >= BATCH_VECTORISE_FROM:
            # Several bios: one sparse matrix for the batch beats row-by-row arithmetic.
            matrix = scorer.matrix(normalized)
            probabilities = scorer.probabilities_of_matrix(matrix)
            rows = [(matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]],
                     matrix.data[matrix.indptr[i]:matrix.indptr[i + 1]])
                    for i in range(len(texts))] if explain else None
        else:
            rows = [scorer.features(normalized[0])]
            probabilities = scorer.probabilities(rows[0])
        if not isinstance(probabilities, list):
            probabilities = probabilities.tolist()
        decisions = decide(probabilities, self.thresholds_, self.abstain_threshold_)
        if not explain:
            return [Prediction(primary, roles, dict(zip(ROLE_IDS, row)), confidence, row[IN_SCOPE])
                    for row, (roles, primary, confidence) in zip(probabilities, decisions)]
        return [Prediction(primary, roles, dict(zip(ROLE_IDS, row)), confidence, row[IN_SCOPE],
                           self._explain(text, row_features, primary, top_features))
                for text, row_features, row, (roles, primary, confidence)
                in zip(normalized, rows, probabilities, decisions)]

    def _scorer(self) -> CompiledScorer:
        if getattr(self, "_compiled", None) is None:
            self._compiled = CompiledScorer(self.pipeline_)
        return self._compiled

    def _explain(self, normalized_text: str, row, primary: str | None, top_features: int):
        """Features with the largest positive pull on the primary role (none for an abstention)."""
        if primary is None:
            return ()
        indices, values = row
        coef = self._scorer().coef[:, ROLE_IDS.index(primary)]
        contributions = [(value * coef[index], index) for index, value in zip(indices, values)]
        contributions.sort(reverse=True)
        names = self._feature_names()
        matched = {}
        for cue, words in keyword_matches(normalized_text, first_clause=True):
            matched.setdefault(cue, words)
        # A word and its keyword cue read the same ("作家" twice): one reason, their weights summed.
        reasons: dict[str, float] = {}
        for weight, index in contributions:
            if weight <= 0:
                break
            if not is_filler_feature(names[index]):
                description = describe_feature(names[index], matched)
                reasons[description] = reasons.get(description, 0.0) + float(weight)
        ranked = sorted(reasons.items(), key=lambda item: -item[1])[:top_features]
        return tuple((description, round(weight, 4)) for description, weight in ranked)

    def _feature_names(self):
        if getattr(self, "_feature_names_cache", None) is None:
            union = self.pipeline_.named_steps["vectorize"]
            self._feature_names_cache = [name for _, step in union.transformer_list
                                         for name in step.get_feature_names_out()]
        return self._feature_names_cache

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_feature_names_cache", None)
        state.pop("_compiled", None)
        return state


FEATURE_KINDS = {"w": "{}", "b": "{}", "p": "{} (過去)", "pb": "{} (過去)", "c": "{} (現在)", "f": "{} (冒頭)",
                 "g": "「{}」"}


# Words that carry weight in the model but explain nothing to a reader: particles and endings
# (た, で, とし), numbers and signs, dates' counters, English function words.
_FILLER_WORD = re.compile(r"[\u3040-\u309f]{1,2}|[\d\W_]+|[年月日]|the|a|an|of|and|in|at|to|for|on|with|by")


def is_filler_feature(name: str) -> bool:
    """Whether a word feature is made only of filler words (keyword cues never are)."""
    kind, _, value = name.partition(":")
    if kind == "kw":
        return False
    return all(_FILLER_WORD.fullmatch(word) for word in value.split(" ") if word)


def describe_feature(name: str, matched_words: dict[str, str] | None = None) -> str:
    """A human-readable form of a feature name ("p:記者" -> "記者 (過去)").

    Keyword cues name the words that matched, when ``matched_words`` maps cues to them.
    """
    kind, _, value = name.partition(":")
    if kind == "kw":
        role, _, tense = value.partition(":")
        words = (matched_words or {}).get(name, f"{role} keyword")
        return words + {"past": " (過去)", "current": " (現在)", "first": " (冒頭)"}.get(tense, "")
    if kind in ("b", "pb"):
        value = value.replace(" ", "")
    return FEATURE_KINDS.get(kind, "{}").format(value.strip())
