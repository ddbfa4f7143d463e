"""Holds the model this process serves, and swaps in a new one atomically once it has passed a test prediction."""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from training import ModelLoadError, load_model
from training.artifacts import default_model_dir
from training.roles import ROLE_IDS

# A bio no working model can get wrong: the test every model passes before it serves.
SMOKE_BIO = "株式会社ABC 代表取締役社長"
SMOKE_PRIMARY = "executive"


class ModelNotLoadedError(RuntimeError):
    """Asked for the model before start-up loaded one."""


@dataclass(frozen=True)
class LoadedModel:
    """A model and where and when it came from; handlers keep one for a whole request."""

    model: Any
    directory: Path
    loaded_at: datetime

    @property
    def metadata(self) -> dict:
        return getattr(self.model, "metadata_", {}) or {}

    @property
    def version(self) -> str:
        return str(self.metadata.get("version") or self.directory.name)

    def classify(self, texts: list[str], explain: bool = False):
        return self.model.classify(texts, explain=explain)


def smoke_problem(model) -> str | None:
    """Why the model fails the test prediction, or None when it answers as a model should."""
    try:
        # With an explanation: that also builds the model's feature names, once, at load time
        # (in the thread pool), not in the first request that asks for one.
        predictions = model.classify([SMOKE_BIO], explain=True)
    except Exception as exc:  # any failure here disqualifies the model, whatever its kind
        return f"it raised {type(exc).__name__}: {exc}"
    if len(predictions) != 1:
        return f"it returned {len(predictions)} predictions for 1 bio"
    prediction = predictions[0]
    if list(prediction.probabilities) != list(ROLE_IDS):
        return f"its probabilities are for {list(prediction.probabilities)}, not {list(ROLE_IDS)}"
    if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in prediction.probabilities.values()):
        return f"its probabilities are not all in [0, 1]: {prediction.probabilities}"
    if prediction.primary != SMOKE_PRIMARY:
        return f"it called 「{SMOKE_BIO}」 {prediction.primary!r}, not {SMOKE_PRIMARY!r}"
    return None


class ModelHolder:
    """The current model of this process.

    Readers take ``current`` once per request (a single attribute read, atomic),
    so a request is answered wholly by the old model or wholly by the new one.
    Loads are serialised by a lock (``on_swap`` runs under it, so observers see
    swaps in order); a model that fails to load or fails the test
    prediction raises ModelLoadError and the current one keeps serving.
    """

    def __init__(self, model_dir: Path | None = None,
                 loader: Callable[[Path], Any] = load_model,
                 on_swap: Callable[[LoadedModel], None] | None = None):
        self.model_dir = model_dir
        self._loader = loader
        self.on_swap = on_swap
        self._lock = threading.Lock()
        self._current: LoadedModel | None = None

    @property
    def current(self) -> LoadedModel:
        current = self._current
        if current is None:
            raise ModelNotLoadedError("no model is loaded yet")
        return current

    @property
    def is_loaded(self) -> bool:
        return self._current is not None

    def load(self, model_dir: str | Path | None = None) -> LoadedModel:
        """Load ``model_dir`` (default: the configured directory), test it, and make it current."""
        with self._lock:
            directory = Path(model_dir or self.model_dir or default_model_dir())
            try:
                model = self._loader(directory)
            except ModelLoadError:
                raise
            except Exception as exc:  # unreadable files and the like: a load failure all the same
                raise ModelLoadError(f"{directory} could not be loaded ({type(exc).__name__}: {exc})") from exc
            problem = smoke_problem(model)
            if problem:
                raise ModelLoadError(f"{directory} failed the test prediction: {problem}. "
                                     "Retrain it with `python -m training train` or load another directory")
            loaded = LoadedModel(model=model, directory=directory.resolve(),
                                 loaded_at=datetime.now(timezone.utc))
            self._current = loaded
            if self.on_swap is not None:
                self.on_swap(loaded)
            return loaded
