"""MeCab tokenisation through fugashi + unidic-lite, safe to share across threads and processes."""
from __future__ import annotations

import os
import threading


class TokenizerUnavailableError(RuntimeError):
    """MeCab or its dictionary could not be loaded."""


class MeCabTokenizer:
    """Splits normalised text into surface tokens.

    The fugashi tagger cannot be pickled and is not safe to call from two
    threads at once, so it is created lazily, once per process, and calls
    are serialised with a lock (MeCab holds the GIL anyway, so the lock costs
    no parallelism). Pickling keeps only the settings.
    """

    def __init__(self):
        self._tagger = None
        self._pid = None
        self._lock = threading.Lock()

    def _get_tagger(self):
        if self._tagger is None or self._pid != os.getpid():
            try:
                import fugashi
                import unidic_lite  # noqa: F401  (the dictionary fugashi finds by default)
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise TokenizerUnavailableError(
                    f"{exc}: install the tokeniser with `pip install fugashi unidic-lite`") from exc
            try:
                # Wakati output (tokens separated by spaces) is the cheapest way to get surfaces.
                self._tagger = fugashi.Tagger("-Owakati")
            except RuntimeError as exc:  # pragma: no cover - depends on the install
                raise TokenizerUnavailableError(
                    f"MeCab dictionary not found ({exc}): install it with `pip install unidic-lite`"
                ) from exc
            self._pid = os.getpid()
        return self._tagger

    def tokenize(self, text: str) -> list[str]:
        if not text:
            return []
        with self._lock:
            tagger = self._get_tagger()
            return tagger.parse(text).split()

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

