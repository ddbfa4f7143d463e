"""Hyper-parameters of a training run: one dataclass, optionally read from a TOML file."""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainConfig:
    C: float = 4.0
    char_ngrams: tuple[int, int] = (0, 0)
    word_bigrams: bool = True
    tense_marks: bool | str = "exclusive"  # True: past words also count as plain words; False: no tense
    cue_weight: float = 1.0
    min_df: int = 1
    class_weight: str | None = None
    # Words and keyword cues of the first clause as features of their own (bios lead with who
    # the person is). Chosen with the dev set in view: +0.003 cross-validated, +0.03 on dev.
    first_clause: bool = True
    # Share of in-scope bios added again as joined bios (two bios, one after the other, with the
    # roles of both; training.augment), in every training fold and the final fit. 0 adds none.
    # Chosen on the dev set: over six seeds 0.3 gave 0.799-0.810 primary macro-F1 there (0.6:
    # 0.794-0.804, 1.0: 0.791-0.824), against 0.785-0.791 with none. Cross-validated on the
    # corpus (whose bios are short, one fact each) it moved less: 0.877 -> 0.880 at seed 13.
    joined_bios: float = 0.3
    folds: int = 5
    seed: int = 13
    # Candidate decision thresholds searched on cross-validated predictions.
    threshold_grid: tuple[float, ...] = tuple(round(0.1 + 0.025 * i, 3) for i in range(33))
    abstain_grid: tuple[float, ...] = tuple(round(0.05 + 0.025 * i, 3) for i in range(37))
    # Rounds of coordinate ascent over the thresholds (0 keeps each role's own best-F1 threshold).
    tuning_rounds: int = 2
    # Largest share of in-scope bios the abstention threshold may turn away (cross-validated).
    # The product target is at most 0.10 on real bios; 0.065 was chosen after looking at the
    # dev set under the earlier abstention rule (top role probability): 0.05 left most
    # out-of-scope bios classified, 0.08 went over 0.10 there. It was kept, not re-tuned on
    # dev, when the in-scope detector replaced that rule.
    max_in_scope_abstain: float = 0.065

    def model_params(self) -> dict:
        return {"C": self.C, "char_ngrams": tuple(self.char_ngrams), "word_bigrams": self.word_bigrams,
                "tense_marks": self.tense_marks, "cue_weight": self.cue_weight, "min_df": self.min_df,
                "class_weight": self.class_weight, "first_clause": self.first_clause}

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_toml(cls, path: str | Path) -> "TrainConfig":
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {unknown}; known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**values)
