"""The fixed bio sets every benchmark uses: typical (median about 80 characters) and long (about 600)."""
from __future__ import annotations

import json
import random
import statistics

from training.corpus import default_data_files


def corpus_texts() -> list[str]:
    texts = []
    for path in default_data_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def typical_bios(n: int = 1000, seed: int = 7) -> list[str]:
    """n corpus bios drawn so that their median length is about 80 characters."""
    rng = random.Random(seed)
    texts = [t for t in corpus_texts() if 20 <= len(t) <= 250]
    rng.shuffle(texts)
    short = [t for t in texts if len(t) < 80]
    longer = [t for t in texts if len(t) >= 80]
    half = n // 2
    chosen = (short * (half // max(len(short), 1) + 1))[:half] + (longer * (n // max(len(longer), 1) + 1))[: n - half]
    rng.shuffle(chosen)
    return chosen


def long_bios(n: int = 200, seed: int = 11) -> list[str]:
    """n bios of about 600 characters: corpus speaker profiles and career summaries joined end to end,
    as a long profile page reads."""
    rng = random.Random(seed)
    pool = [t for t in corpus_texts() if len(t) >= 120]
    bios = []
    while len(bios) < n:
        parts, length = [], 0
        while length < 560:
            part = rng.choice(pool)
            parts.append(part)
            length += len(part)
        bios.append("".join(parts)[:640])
    return bios


def describe(texts: list[str]) -> str:
    return f"{len(texts)} bios, median {statistics.median(map(len, texts)):.0f} chars"
