"""Evaluating a model (and the keyword baseline) on a labelled file."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .baseline import baseline_predict
from .corpus import read_records
from .metrics import bootstrap_intervals, evaluate_predictions

SUMMARY_KEYS = ("primary_macro_f1", "primary_accuracy", "roles_micro_f1",
                "oos_abstain_rate", "in_scope_abstain_rate")
INTERVAL_KEYS = ("primary_macro_f1", "roles_micro_f1")


def evaluate(model, data_paths: Sequence[str | Path], bootstrap: int = 1000, against=None) -> dict:
    """Metrics of ``model`` and of the keyword baseline on the same records, with 95% bootstrap
    intervals (``bootstrap`` resamples; 0 for none) of each and of the model's lead.

    With ``against`` (another model), its metrics too, and the paired interval of
    ``model``'s lead over it: whether a retrained model is really better or only luckier."""
    records = read_records(data_paths)
    texts = [r.text for r in records]
    gold_roles = [r.roles for r in records]
    gold_primary = [r.primary for r in records]
    predictions = model.classify(texts)
    baseline = baseline_predict(texts)
    # Each system as (role sets, primaries), scored alike and on the same bootstrap resamples.
    systems = {"model": ([p.roles for p in predictions], [p.primary for p in predictions]),
               "baseline": ([b[0] for b in baseline], [b[1] for b in baseline])}
    if against is not None:
        theirs = against.classify(texts)
        systems["against"] = ([p.roles for p in theirs], [p.primary for p in theirs])
    result = evaluate_predictions(gold_roles, gold_primary, *systems["model"])
    result["baseline"] = evaluate_predictions(gold_roles, gold_primary, *systems["baseline"])
    if against is not None:
        result["against"] = evaluate_predictions(gold_roles, gold_primary, *systems["against"])
        result["against"]["model_version"] = getattr(against, "metadata_", {}).get("version")
    result["intervals"] = bootstrap_intervals(gold_roles, gold_primary, systems, rounds=bootstrap)
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
    intervals = result.get("intervals") or {}
    if intervals:
        rows.append("")
        rows.append(f"{int(intervals['level'] * 100)}% intervals, {intervals['rounds']} bootstrap resamples of these "
                    "records (lead: paired, both scored on each resample)")
        rows.append(f"{'metric':<20}{'model':>18}{'keywords':>18}{'lead':>20}")
        for key in INTERVAL_KEYS:
            (ml, mh), (bl, bh), (dl, dh) = (intervals[name][key] for name in ("model", "baseline", "model-baseline"))
            rows.append(f"{key:<20}{f'{ml:.3f} to {mh:.3f}':>18}{f'{bl:.3f} to {bh:.3f}':>18}"
                        f"{f'{dl:+.3f} to {dh:+.3f}':>20}")
    against = result.get("against")
    if against:
        rows.append("")
        rows.append(f"against model {against.get('model_version')}:")
        rows.append(f"{'metric':<20}{'it':>10}{'model':>10}{'lead':>9}{'95% interval':>22}")
        for key in INTERVAL_KEYS:
            low, high = intervals["model-against"][key] if intervals else (None, None)
            span = f"{low:+.3f} to {high:+.3f}" if intervals else "-"
            rows.append(f"{key:<20}{against[key]:>10.3f}{result[key]:>10.3f}"
                        f"{result[key] - against[key]:>+9.3f}{span:>22}")
    rows.append("")
    rows.append(f"{'role':<12}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}   (primary role, model)")
    for role, values in result["per_role"].items():
        rows.append(f"{role:<12}{values['primary_precision']:>7.3f}{values['primary_recall']:>7.3f}"
                    f"{values['primary_f1']:>7.3f}{values['primary_support']:>6}")
    rows.append(f"\nn={result['n']} (in scope {result['n_in_scope']}, "
                f"out of scope {result['n_out_of_scope']})")
    return "\n".join(rows)
