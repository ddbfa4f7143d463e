"""Text normalisation applied before tokenisation: one place, used by training and serving."""
from __future__ import annotations

import re
import unicodedata

from sklearn.base import BaseEstimator, TransformerMixin

URL_RE = re.compile(r"(?:https?://|www\.)[^\s　、。）)」』]+", re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# A handle starts a word: "Engineer @ Google" and "Sales@Acme" are kept as text.
HANDLE_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,}")
# Emoji and pictographs carry tone, not role; they become a space. Ranges inside and outside the
# Basic Multilingual Plane are kept apart for MAYBE_EMOJI_OR_INVISIBLE_RE below.
_EMOJI_BMP = "\U00002600-\U000027BF\U00002B00-\U00002BFF\U0000FE0F\U0000200D\U000020E3"
_EMOJI_ASTRAL = "\U0001F000-\U0001FAFF\U0001F1E6-\U0001F1FF"
EMOJI_RE = re.compile(f"[{_EMOJI_ASTRAL}{_EMOJI_BMP}]+")
# Control, format, surrogate and private-use characters (Unicode categories Cc, Cf, Cs, Co) other
# than line breaks (a lone surrogate cannot even be encoded for MeCab), as ranges (generated from
# unicodedata) since a regex beats a per-character loop.
_INVISIBLE_BMP = (
    "\u0000-\u0009\u000b-\u000c\u000e-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c"
    "\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ud800-\udfff"
    "\u2066-\u206f\ue000-\uf8ff\ufeff\ufff9-\ufffb")
_INVISIBLE_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f\U000f0000-\U000ffffd\U00100000-\U0010fffd")
INVISIBLE_RE = re.compile(f"[{_INVISIBLE_BMP}{_INVISIBLE_ASTRAL}]")
# One scan for both: an emoji run, else an invisible character, becomes a space (a character in
# both sets is taken by the emoji run, as when the two replacements ran one after the other).
EMOJI_OR_INVISIBLE_RE = re.compile(f"{EMOJI_RE.pattern}|{INVISIBLE_RE.pattern}")
# Every character the scan above can replace, and any character outside the Basic Multilingual
# Plane: one cheap search (a lookup table, where the scan above tests range after range) that
# most bios pass without a hit, so the scan is skipped.
MAYBE_EMOJI_OR_INVISIBLE_RE = re.compile(f"[{_EMOJI_BMP}{_INVISIBLE_BMP}\U00010000-\U0010FFFF]")
SPACE_RE = re.compile(r"[ \t\u3000]+")
LINE_BREAK_RE = re.compile(r"\s*(?:\r\n|\r|\n|\u2028|\u2029)+\s*")
SENTENCE_END = "。.!?！？"

DEFAULT_MAX_CHARS = 10_000


def normalize_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """NFKC, lower-case Latin, URLs/e-mails/handles as placeholders, no emoji or control characters.

    Line breaks become sentence ends, since bios use them as separators.
    Text beyond ``max_chars`` is dropped: a bio states its roles early,
    and the cut keeps the cost of one record bounded.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    text = text[: max_chars * 2]
    text = unicodedata.normalize("NFKC", text)
    # The cheap membership tests skip regexes that cannot match: this runs on every request.
    if "://" in text or "www." in text or "WWW." in text:
        text = URL_RE.sub(" URL ", text)
    if "@" in text:
        text = EMAIL_RE.sub(" EMAIL ", text)
        text = HANDLE_RE.sub(" @USER ", text)
    if MAYBE_EMOJI_OR_INVISIBLE_RE.search(text):
        text = EMOJI_OR_INVISIBLE_RE.sub(" ", text)
    if "\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text:
        lines = [line.strip() for line in LINE_BREAK_RE.split(text)]
        text = "".join(
            line if not line or line[-1] in SENTENCE_END or i == len(lines) - 1 else line + "。"
            for i, line in enumerate(lines) if line)
    # NFKC made U+3000 a space and the scan above tabs: only runs of spaces are left to merge.
    if "  " in text or "\t" in text or "\u3000" in text:
        text = SPACE_RE.sub(" ", text)
    text = text.strip().lower()
    return text[:max_chars]


class TextNormalizer(BaseEstimator, TransformerMixin):
    """scikit-learn step wrapping :func:`normalize_text`."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS):
        self.max_chars = max_chars

    def fit(self, texts, y=None):
        return self

    def transform(self, texts):
        return [normalize_text(t, self.max_chars) for t in texts]
