"""Evaluation metrics, as defined in the classifier issue and the README."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .roles import ROLE_IDS


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate_predictions(gold_roles: Sequence[Sequence[str]], gold_primary: Sequence[str | None],
                         pred_roles: Sequence[Sequence[str]], pred_primary: Sequence[str | None]) -> dict:
    """All metrics for one set of predictions.

    - primary_macro_f1: mean F1 over the six roles on in-scope records (gold primary
      not null); an abstention is a miss.
    - primary_accuracy: exact primary match on in-scope records.
    - roles_micro_f1: micro F1 over role sets on all records.
    - oos_abstain_rate / in_scope_abstain_rate: share predicted null among
      out-of-scope / in-scope records.
    """
    n = len(gold_primary)
    if not (len(gold_roles) == len(pred_roles) == len(pred_primary) == n):
        raise ValueError("gold and predicted lists differ in length")
    in_scope = [i for i in range(n) if gold_primary[i] is not None]
    out_of_scope = [i for i in range(n) if gold_primary[i] is None]

    per_role = {}
    for role in ROLE_IDS:
        tp = sum(1 for i in in_scope if gold_primary[i] == role and pred_primary[i] == role)
        fp = sum(1 for i in in_scope if gold_primary[i] != role and pred_primary[i] == role)
        fn = sum(1 for i in in_scope if gold_primary[i] == role and pred_primary[i] != role)
        p, r, f = _f1(tp, fp, fn)
        rtp = sum(1 for i in range(n) if role in gold_roles[i] and role in pred_roles[i])
        rfp = sum(1 for i in range(n) if role not in gold_roles[i] and role in pred_roles[i])
        rfn = sum(1 for i in range(n) if role in gold_roles[i] and role not in pred_roles[i])
        rp, rr, rf = _f1(rtp, rfp, rfn)
        per_role[role] = {
            "primary_precision": round(p, 4), "primary_recall": round(r, 4), "primary_f1": round(f, 4),
            "primary_support": tp + fn,
            "role_precision": round(rp, 4), "role_recall": round(rr, 4), "role_f1": round(rf, 4),
            "role_support": rtp + rfn,
        }
    tp = sum(len(set(g) & set(p)) for g, p in zip(gold_roles, pred_roles))
    fp = sum(len(set(p) - set(g)) for g, p in zip(gold_roles, pred_roles))
    fn = sum(len(set(g) - set(p)) for g, p in zip(gold_roles, pred_roles))
    _, _, micro = _f1(tp, fp, fn)
    return {
        "n": n,
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_of_scope),
        "primary_macro_f1": round(sum(v["primary_f1"] for v in per_role.values()) / len(ROLE_IDS), 4),
        "primary_accuracy": round(sum(gold_primary[i] == pred_primary[i] for i in in_scope)
                                  / len(in_scope), 4) if in_scope else 0.0,
        "roles_micro_f1": round(micro, 4),
        "oos_abstain_rate": round(sum(pred_primary[i] is None for i in out_of_scope)
                                  / len(out_of_scope), 4) if out_of_scope else None,
        "in_scope_abstain_rate": round(sum(pred_primary[i] is None for i in in_scope)
                                       / len(in_scope), 4) if in_scope else 0.0,
        "per_role": per_role,
    }


def confusion_counts(gold_primary: Sequence[str | None], pred_primary: Sequence[str | None]):
    """Rows gold, columns predicted, over the six roles plus "none"."""
    labels = list(ROLE_IDS) + ["none"]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold, pred in zip(gold_primary, pred_primary):
        matrix[index[gold or "none"]][index[pred or "none"]] += 1
    return labels, matrix


BOOTSTRAP_CHUNK = 100  # resamples drawn at a time


def _interval_arrays(gold_roles, gold_primary, pred_roles, pred_primary) -> tuple[np.ndarray, ...]:
    """Per-record counts (n rows each) from which the bootstrap rebuilds the two headline metrics."""
    in_scope = [g is not None for g in gold_primary]
    # Primary role, in-scope records only: true positive / predicted / gold indicators per role.
    tp = np.array([[s and g == r and p == r for r in ROLE_IDS]
                   for s, g, p in zip(in_scope, gold_primary, pred_primary)], dtype=float)
    predicted = np.array([[s and p == r for r in ROLE_IDS] for s, p in zip(in_scope, pred_primary)], dtype=float)
    gold = np.array([[s and g == r for r in ROLE_IDS] for s, g in zip(in_scope, gold_primary)], dtype=float)
    # Role sets, all records: true positives, false positives, false negatives.
    sets = np.array([[len(set(g) & set(p)), len(set(p) - set(g)), len(set(g) - set(p))]
                     for g, p in zip(gold_roles, pred_roles)], dtype=float)
    return tp, predicted, gold, sets


def _resampled_metrics(weights: np.ndarray, arrays) -> dict[str, np.ndarray]:
    """primary_macro_f1 and roles_micro_f1 for each row of record multiplicities ``weights``."""
    tp, predicted, gold, sets = (weights @ a for a in arrays)
    with np.errstate(invalid="ignore", divide="ignore"):
        # F1 = 2tp / (predicted + gold); a role with neither predictions nor support scores 0.
        role_f1 = np.where(predicted + gold > 0, 2 * tp / (predicted + gold), 0.0)
        micro = np.where(2 * sets[:, 0] + sets[:, 1] + sets[:, 2] > 0,
                         2 * sets[:, 0] / (2 * sets[:, 0] + sets[:, 1] + sets[:, 2]), 0.0)
    return {"primary_macro_f1": role_f1.mean(axis=1), "roles_micro_f1": micro}


def bootstrap_intervals(gold_roles: Sequence[Sequence[str]], gold_primary: Sequence[str | None],
                        predictions: dict[str, tuple[Sequence[Sequence[str]], Sequence[str | None]]],
                        rounds: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """Percentile bootstrap intervals of primary macro-F1 and roles micro-F1.

    ``predictions`` maps a name ("model", "baseline", …) to (roles, primary)
    lists for the same records. Every system is scored on the same resamples
    of the records, so the interval of the difference between two systems
    (``"<a>-<b>"``) is a paired one: it says whether a lead is more than the
    luck of which bios happen to be in the file. Deterministic for a seed.
    """
    n = len(gold_primary)
    if n == 0 or rounds <= 0:
        return {}
    rng = np.random.default_rng(seed)
    arrays = {name: _interval_arrays(gold_roles, gold_primary, roles, primary)
              for name, (roles, primary) in predictions.items()}
    chunks: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in predictions}
    for start in range(0, rounds, BOOTSTRAP_CHUNK):
        # How often each record is drawn in each resample; in chunks, so a large file stays small in memory.
        weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n)
                            for _ in range(min(BOOTSTRAP_CHUNK, rounds - start))]).astype(float)
        for name in predictions:
            chunks[name].append(_resampled_metrics(weights, arrays[name]))
    samples = {name: {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
               for name, parts in chunks.items()}
    low, high = (1 - level) / 2 * 100, (1 + level) / 2 * 100

    def interval(values):
        return [round(float(np.percentile(values, low)), 4), round(float(np.percentile(values, high)), 4)]

    result = {name: {key: interval(values) for key, values in metrics.items()} for name, metrics in samples.items()}
    names = list(predictions)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            result[f"{first}-{second}"] = {key: interval(samples[first][key] - samples[second][key])
                                           for key in samples[first]}
    result["rounds"], result["level"] = rounds, level
    return result
