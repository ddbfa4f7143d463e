"""Feature extraction: MeCab words, word bigrams, tense-marked words, character n-grams; keyword cues."""
from __future__ import annotations

from .keywords import clause_spans, keyword_cues
from .tokenizer import MeCabTokenizer

PUNCTUATION = set("。、,.・/|()[]『』「」【】:;!?-~〜ー…\"' ")
# Tokens after which the next word is a past role (元CTO, 前編集長, ex-google).
PAST_PREFIXES = {"元", "前", "前職", "旧", "ex", "ex-", "former"}


class BioAnalyzer:
    """Turns one normalised bio into a list of feature strings (a TfidfVectorizer analyzer).

    Words carry a tense mark taken from their clause ("p:" past, "c:" current),
    because bios mix what people do now with what they did before
    (元CTO, 〜を経て現職), and only current roles count.
    """

    # Class default, so that analyzers pickled before the option existed behave as they did.
    first_clause = False

    def __init__(self, char_ngrams: tuple[int, int] = (2, 3), word_bigrams: bool = True,
                 tense_marks: bool = True, first_clause: bool = False):
        self.char_ngrams = tuple(char_ngrams)
        self.word_bigrams = word_bigrams
        self.tense_marks = tense_marks
        self.first_clause = first_clause
        self.tokenizer = MeCabTokenizer()

    def __call__(self, text: str) -> list[str]:
        spans = clause_spans(text)
        clause_words: list[list[tuple[str, bool]]] = [[] for _ in spans]
        # One MeCab call for the whole text; each token goes to the clause its offset falls in.
        position, clause = 0, 0
        for token in self.tokenizer.tokenize(text):
            start = text.find(token, position)
            if start < 0:
                start = position
            position = start + len(token)
            while clause < len(spans) and start >= spans[clause][1]:
                clause += 1
            if clause == len(spans):
                break
            if start >= spans[clause][0] and token not in PUNCTUATION:
                clause_words[clause].append(token)
        features: list[str] = []
        if self.first_clause and clause_words:
            # Bios lead with who the person is (「〇〇株式会社 代表取締役。…」): the first
            # clause's words count again, as first-clause words.
            features.extend(["f:" + w for w in clause_words[0]])
        for (_, _, tense), words in zip(spans, clause_words):
            if self.tense_marks == "exclusive" and tense == "past":
                # A past clause says nothing about current roles as plain words do.
                features.extend(["p:" + w for w in words])
                if self.word_bigrams:
                    features.extend([f"pb:{a} {b}" for a, b in zip(words, words[1:])])
                continue
            features.extend(["w:" + w for w in words])
            if self.word_bigrams:
                features.extend([f"b:{a} {b}" for a, b in zip(words, words[1:])])
            if self.tense_marks:
                after_past_prefix = False
                for w in words:
                    if after_past_prefix or tense == "past":
                        features.append("p:" + w)
                    elif tense == "current":
                        features.append("c:" + w)
                    after_past_prefix = w in PAST_PREFIXES
        low, high = self.char_ngrams
        if high > 0:
            padded = f" {text} "
            for n in range(low, high + 1):
                features.extend(["g:" + padded[i:i + n] for i in range(len(padded) - n + 1)])
        return features

    def __repr__(self):
        return (f"BioAnalyzer(char_ngrams={self.char_ngrams}, word_bigrams={self.word_bigrams}, "
                f"tense_marks={self.tense_marks}, first_clause={self.first_clause})")


class CueAnalyzer:
    """Keyword cues per role and tense ("kw:manager:past"), counted apart from the words so
    that a long bio does not dilute them; with ``first_clause``, also which roles' keywords
    stand in the first clause ("kw:executive:first")."""

    first_clause = False  # class default: see BioAnalyzer

    def __init__(self, first_clause: bool = False):
        self.first_clause = first_clause

    def __call__(self, text: str) -> list[str]:
        return keyword_cues(text, first_clause=self.first_clause)

    def __repr__(self):
        return f"CueAnalyzer(first_clause={self.first_clause})"
