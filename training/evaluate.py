"""Evaluating a model (and the keyword baseline) on a labelled file."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .baseline import baseline_predict
from .corpus import read_records
from .metrics import evaluate_predictions

SUMMARY_KEYS = ("primary_macro_f1", "primary_accuracy", "roles_micro_f1",
                "oos_abstain_rate", "in_scope_abstain_rate")


def evaluate(model, data_paths: Sequence[str | Path]) -> dict:
    """Metrics of ``model`` and of the keyword baseline on the same records."""
    records = read_records(data_paths)
    texts = [r.text for r in records]
    gold_roles = [r.roles for r in records]
    gold_primary = [r.primary for r in records]
    predictions = model.classify(texts)
    result = evaluate_predictions(gold_roles, gold_primary,
                                  [p.roles for p in predictions], [p.primary for p in predictions])
    baseline = baseline_predict(texts)
    result["baseline"] = evaluate_predictions(gold_roles, gold_primary,
                                              [b[0] for b in baseline], [b[1] for b in baseline])
    result["model_version"] = getattr(model, "metadata_", {}).get("version")
    result["errors"] = [
        {"origin": r.origin, "gold_roles": list(r.roles), "pred_roles": list(p.roles),
         "gold_primary": r.primary, "pred_primary": p.primary}
        for r, p in zip(records, predictions) if r.primary != p.primary]
    return result


def format_table(result: dict) -> str:
    rows = [f"{'metric':<24}{'model':>10}{'keywords':>10}{'diff':>9}"]
    for key in SUMMARY_KEYS:
        ours, theirs = result[key], result["baseline"][key]
        if ours is None or theirs is None:
            rows.append(f"{key:<24}{'-':>10}{'-':>10}{'-':>9}")
            continue
        rows.append(f"{key:<24}{ours:>10.3f}{theirs:>10.3f}{ours - theirs:>+9.3f}")
    rows.append("")
    rows.append(f"{'role':<12}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}   (primary role, model)")
    for role, values in result["per_role"].items():
        rows.append(f"{role:<12}{values['primary_precision']:>7.3f}{values['primary_recall']:>7.3f}"
                    f"{values['primary_f1']:>7.3f}{values['primary_support']:>6}")
    rows.append(f"\nn={result['n']} (in scope {result['n_in_scope']}, "
                f"out of scope {result['n_out_of_scope']})")
    return "\n".join(rows)
