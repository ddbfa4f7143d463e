"""Feature extraction: MeCab words, word bigrams, tense-marked words, character n-grams; keyword cues."""
from __future__ import annotations

from .keywords import PAST_PREFIX_RE, keyword_cues, split_clauses
from .tokenizer import MeCabTokenizer

PUNCTUATION = set("。、,.・/|()[]『』「」【】:;!?-~〜ー…\"' ")


class BioAnalyzer:
    """Turns one normalised bio into a list of feature strings (a TfidfVectorizer analyzer).

    Words carry a tense mark taken from their clause ("p:" past, "c:" current),
    because bios mix what people do now with what they did before
    (元CTO, 〜を経て現職), and only current roles count.
    """

    def __init__(self, char_ngrams: tuple[int, int] = (2, 3), word_bigrams: bool = True,
                 tense_marks: bool = True):
        self.char_ngrams = tuple(char_ngrams)
        self.word_bigrams = word_bigrams
        self.tense_marks = tense_marks
        self.tokenizer = MeCabTokenizer()

    def __call__(self, text: str) -> list[str]:
        features: list[str] = []
        for clause, tense in split_clauses(text):
            tokens = self.tokenizer.tokenize(clause)
            words = [t for t in tokens if t not in PUNCTUATION]
            features.extend("w:" + w for w in words)
            if self.word_bigrams:
                features.extend(f"b:{a} {b}" for a, b in zip(words, words[1:]))
            if self.tense_marks:
                prefixed_past = False
                for w in words:
                    if prefixed_past or tense == "past":
                        features.append("p:" + w)
                    elif tense == "current":
                        features.append("c:" + w)
                    prefixed_past = bool(PAST_PREFIX_RE.search(w))
        low, high = self.char_ngrams
        if high > 0:
            padded = f" {text} "
            for n in range(low, high + 1):
                features.extend("g:" + padded[i:i + n] for i in range(len(padded) - n + 1))
        return features

    def __repr__(self):
        return (f"BioAnalyzer(char_ngrams={self.char_ngrams}, word_bigrams={self.word_bigrams}, "
                f"tense_marks={self.tense_marks})")


class CueAnalyzer:
    """Keyword cues per role and tense ("kw:manager:past"), counted apart from the words so
    that a long bio does not dilute them."""

    def __call__(self, text: str) -> list[str]:
        return keyword_cues(text)

    def __repr__(self):
        return "CueAnalyzer()"
