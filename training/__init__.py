"""jinmyaku training and inference: sort Japanese bios into the six roles of LABELS.md.

    >>> from training import load_model
    >>> model = load_model()                      # the default model in models/
    >>> model.classify(["株式会社ABC 代表取締役"])[0].primary
    'executive'
"""
from __future__ import annotations

from .artifacts import ModelLoadError, load_model
from .model import Prediction, RoleClassifier
from .roles import ROLE_IDS, ROLES, primary_role

_default_model = None


def classify(texts, explain: bool = False):
    """Classify one text (returns a Prediction) or a list of texts (returns a list) with the default model."""
    global _default_model
    if _default_model is None:
        _default_model = load_model()
    if isinstance(texts, str):
        return _default_model.classify([texts], explain=explain)[0]
    return _default_model.classify(list(texts), explain=explain)


__all__ = ["ModelLoadError", "Prediction", "ROLES", "ROLE_IDS", "RoleClassifier", "classify",
           "load_model", "primary_role"]
