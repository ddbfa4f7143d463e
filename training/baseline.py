"""The keyword-rule baseline: a regex per role, the tool a user would otherwise reach for."""
from __future__ import annotations

from typing import Sequence

from .keywords import keyword_roles
from .normalize import normalize_text


def baseline_predict(texts: Sequence[str]) -> list[tuple[tuple[str, ...], str | None]]:
    """(roles, primary) per text: every role whose keywords appear; no keyword means out of scope."""
    predictions = []
    for text in texts:
        roles = tuple(keyword_roles(normalize_text(text)))
        predictions.append((roles, roles[0] if roles else None))
    return predictions
