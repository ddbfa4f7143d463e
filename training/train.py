"""A training run: validate the corpus, cross-validate, tune thresholds, fit, and write the artifact."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold

from .augment import with_joined_bios
from .artifacts import DEFAULT_POINTER, MODELS_DIR, save_model
from .config import TrainConfig
from .corpus import Record, corpus_sha256, read_records
from .metrics import confusion_counts, evaluate_predictions
from .model import OUTPUTS, RoleClassifier, decide, roles_to_matrix
from .report import write_report
from .roles import ROLE_IDS


def code_sha256() -> str:
    """Digest of the training package's Python sources: the code that turns a corpus into a model
    (normalising, features, cues, training and tuning). Two models of one corpus and one config
    but different code are two models, so the version names it too."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cross_val_probabilities(records: Sequence[Record], config: TrainConfig,
                            progress: Callable[[str], None] = _stderr) -> np.ndarray:
    """Out-of-fold model outputs (n, 7: roles, then in scope) from stratified k-fold cross-validation."""
    texts = [r.text for r in records]
    strata = [r.primary or "none" for r in records]
    smallest = min(Counter(strata).values())
    folds = max(2, min(config.folds, smallest))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    probabilities = np.zeros((len(records), len(OUTPUTS)))
    for fold, (train_idx, test_idx) in enumerate(splitter.split(texts, strata), 1):
        progress(f"cross-validation fold {fold}/{folds}: training on {len(train_idx)} bios")
        model = _fit(config, [texts[i] for i in train_idx], [records[i].roles for i in train_idx], fold)
        probabilities[test_idx] = model.predict_proba([texts[i] for i in test_idx])
    return probabilities


def _fit(config: TrainConfig, texts: Sequence[str], role_sets, fold: int = 0) -> RoleClassifier:
    """A model fitted on ``texts`` plus the joined bios the config asks for (``joined_bios``)."""
    texts, role_sets = with_joined_bios(texts, role_sets, config.joined_bios, seed=config.seed * 100 + fold)
    return RoleClassifier(**config.model_params()).fit(texts, role_sets)


def _role_f1_thresholds(probabilities: np.ndarray, gold: np.ndarray, grid) -> list[float]:
    thresholds = []
    for j in range(len(ROLE_IDS)):
        best_t, best_f1 = 0.5, -1.0
        for t in grid:
            predicted = probabilities[:, j] >= t
            tp = np.sum(predicted & gold[:, j])
            denominator = predicted.sum() + gold[:, j].sum()
            f1 = 2 * tp / denominator if denominator else 0.0
            if f1 > best_f1 + 1e-12:
                best_t, best_f1 = t, f1
        thresholds.append(float(best_t))
    return thresholds


def _decision_score(probabilities, records, thresholds, abstain_threshold) -> float:
    """What role thresholds are chosen for: the mean of primary macro-F1 and roles micro-F1."""
    m = metrics_for(records, decide(probabilities, thresholds, abstain_threshold))
    return (m["primary_macro_f1"] + m["roles_micro_f1"]) / 2


def _abstain_threshold(probabilities, records, thresholds, config: TrainConfig) -> float:
    """The highest abstention threshold that keeps in-scope abstentions within the budget."""
    chosen = min(config.abstain_grid)
    for a in sorted(config.abstain_grid):
        m = metrics_for(records, decide(probabilities, thresholds, a))
        if m["in_scope_abstain_rate"] <= config.max_in_scope_abstain:
            chosen = a
    return float(chosen)


def tune_thresholds(probabilities: np.ndarray, records: Sequence[Record],
                    config: TrainConfig) -> tuple[list[float], float]:
    """Decision thresholds from out-of-fold probabilities.

    Each role starts at the threshold that maximises its own F1. The abstention
    threshold (on the in-scope probability) abstains on as many bios as it can
    while in-scope abstentions stay within ``config.max_in_scope_abstain``. Then each role's threshold is adjusted
    in turn (coordinate ascent) for primary macro-F1 and roles micro-F1, since
    the primary role depends on all of them.
    """
    gold = roles_to_matrix(r.roles for r in records).astype(bool)
    thresholds = _role_f1_thresholds(probabilities, gold, config.threshold_grid)
    abstain = _abstain_threshold(probabilities, records, thresholds, config)
    best = _decision_score(probabilities, records, thresholds, abstain)
    for _ in range(config.tuning_rounds):
        improved = False
        for j in range(len(ROLE_IDS)):
            for t in config.threshold_grid:
                trial = thresholds[:j] + [t] + thresholds[j + 1:]
                score = _decision_score(probabilities, records, trial, abstain)
                if score > best + 1e-9:
                    best, thresholds, improved = score, trial, True
        if not improved:
            break
    abstain = _abstain_threshold(probabilities, records, thresholds, config)
    return [float(t) for t in thresholds], abstain


def metrics_for(records: Sequence[Record], decisions) -> dict:
    return evaluate_predictions([r.roles for r in records], [r.primary for r in records],
                                [d[0] for d in decisions], [d[1] for d in decisions])


def _check_destination(out_dir: str | Path | None, promote: bool) -> None:
    """ValueError when the artifact could not be written where asked, or promoted from there."""
    if out_dir is None:
        return
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a directory")
    existing = next(folder for folder in [out, *out.parents] if folder.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, so the directory cannot be made")
    if promote:
        try:
            out.resolve().relative_to(MODELS_DIR.resolve())
        except ValueError:
            raise ValueError(f"--promote needs --out inside {MODELS_DIR}") from None


def train(data_paths: Sequence[str | Path], out_dir: str | Path | None = None,
          config: TrainConfig = TrainConfig(), promote: bool = False,
          progress: Callable[[str], None] = _stderr) -> Path:
    """Train on the given files and write a versioned artifact directory; returns its path."""
    data_paths = [Path(p) for p in data_paths]
    _check_destination(out_dir, promote)  # before the minutes of training, not after
    progress(f"reading {len(data_paths)} file(s)")
    records = read_records(data_paths)
    corpus_hash = corpus_sha256(data_paths)
    texts = [r.text for r in records]

    oof = cross_val_probabilities(records, config, progress)
    thresholds, abstain_threshold = tune_thresholds(oof, records, config)
    cv_decisions = decide(oof, thresholds, abstain_threshold)
    cv_metrics = metrics_for(records, cv_decisions)
    progress(f"cross-validated primary macro-F1 {cv_metrics['primary_macro_f1']:.3f}, "
             f"roles micro-F1 {cv_metrics['roles_micro_f1']:.3f}")

    progress(f"training the final model on {len(records)} bios")
    model = _fit(config, texts, [r.roles for r in records])
    model.set_thresholds(thresholds, abstain_threshold)

    trained_at = dt.datetime.now(dt.timezone.utc)
    # The corpus, the settings and the code all name the model: one corpus trained two ways is two models.
    code_hash = code_sha256()
    settings_hash = hashlib.sha256(json.dumps({"config": config.to_dict(), "code": code_hash},
                                              sort_keys=True).encode()).hexdigest()
    version = f"roles-{trained_at:%Y%m%d}-{corpus_hash[:8]}-{settings_hash[:4]}"
    out = Path(out_dir) if out_dir else MODELS_DIR / version
    counts = Counter(r.primary or "none" for r in records)
    metadata = {
        "version": version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "corpus": {"files": [p.name for p in data_paths], "sha256": corpus_hash,
                   "records": len(records),
                   "primary_counts": {k: counts.get(k, 0) for k in [*ROLE_IDS, "none"]},
                   "role_counts": {role: sum(role in r.roles for r in records) for role in ROLE_IDS}},
        "config": config.to_dict(),
        "code_sha256": code_hash,
        "thresholds": dict(zip(ROLE_IDS, thresholds)),
        "abstain_threshold": abstain_threshold,
        "cv_metrics": cv_metrics,
    }
    save_model(model, out, metadata)
    labels, matrix = confusion_counts([r.primary for r in records], [d[1] for d in cv_decisions])
    write_report(out, metadata, labels, matrix, title="Cross-validated confusion matrix (primary role)")
    if promote:
        relative = out.resolve().relative_to(MODELS_DIR.resolve())
        DEFAULT_POINTER.write_text(f"{relative}\n", encoding="utf-8")
        progress(f"models/DEFAULT now names {relative}")
    progress(f"wrote {out}")
    return out
