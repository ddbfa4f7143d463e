"""The human-readable training report: metrics table and confusion-matrix PNG."""
from __future__ import annotations

from pathlib import Path

from .roles import ROLE_IDS


def plot_confusion(labels, matrix, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=100)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted primary")
    ax.set_ylabel("gold primary")
    ax.set_title(title)
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > peak / 2 else "black", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def write_report(out_dir: Path, metadata: dict, labels, matrix, title: str) -> None:
    plot_confusion(labels, matrix, out_dir / "confusion.png", title)
    m = metadata["cv_metrics"]
    lines = [
        f"# Model {metadata['version']}",
        "",
        f"Trained {metadata['trained_at']} on {metadata['corpus']['records']} bios "
        f"(sha256 {metadata['corpus']['sha256'][:12]}…).",
        "",
        "## Cross-validated metrics",
        "",
        "| metric | value |", "|---|---|",
        *(f"| {k} | {m[k]} |" for k in ("primary_macro_f1", "primary_accuracy", "roles_micro_f1",
                                        "oos_abstain_rate", "in_scope_abstain_rate")),
        "",
        "| role | threshold | primary F1 | role F1 |", "|---|---|---|---|",
        *(f"| {r} | {metadata['thresholds'][r]} | {m['per_role'][r]['primary_f1']} | "
          f"{m['per_role'][r]['role_f1']} |" for r in ROLE_IDS),
        "",
        f"Abstention threshold: {metadata['abstain_threshold']}",
        "",
        "![confusion matrix](confusion.png)",
        "",
    ]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
