"""Counts that describe a labelled corpus (the numbers of the data card)."""
from __future__ import annotations

import statistics
from collections import Counter
from itertools import combinations
from typing import Sequence

from .corpus import Record
from .roles import ROLE_IDS

PRIMARY_KEYS = [*ROLE_IDS, "none"]


def corpus_stats(records: Sequence[Record]) -> dict:
    lengths = [len(r.text) for r in records]
    styles = sorted({r.style or "?" for r in records})
    pairs = Counter()
    for r in records:
        for a, b in combinations(r.roles, 2):
            pairs[f"{a}+{b}"] += 1
    style_primary = {s: Counter(r.primary or "none" for r in records if (r.style or "?") == s) for s in styles}
    tags = Counter(tag for r in records for tag in r.tags)
    return {
        "records": len(records),
        "primary": dict(Counter(r.primary or "none" for r in records)),
        "roles": {role: sum(role in r.roles for r in records) for role in ROLE_IDS},
        "multi_role": sum(len(r.roles) > 1 for r in records),
        "out_of_scope": sum(not r.roles for r in records),
        "pairs": dict(pairs.most_common()),
        "styles": {s: sum(style_primary[s].values()) for s in styles},
        "style_primary": {s: dict(c) for s, c in style_primary.items()},
        "length": {"min": min(lengths), "p25": statistics.quantiles(lengths, n=4)[0],
                   "median": statistics.median(lengths), "p75": statistics.quantiles(lengths, n=4)[2],
                   "p95": statistics.quantiles(lengths, n=20)[18], "max": max(lengths)},
        "tags": dict(tags.most_common()),
    }


def stats_markdown(stats: dict) -> str:
    lines = [f"Records: **{stats['records']}**; multi-role: **{stats['multi_role']}**; "
             f"out of scope: **{stats['out_of_scope']}**.", ""]
    lines += ["| | " + " | ".join(PRIMARY_KEYS) + " |", "|---" * (len(PRIMARY_KEYS) + 1) + "|"]
    lines.append("| primary | " + " | ".join(str(stats["primary"].get(k, 0)) for k in PRIMARY_KEYS) + " |")
    lines.append("| has role | " + " | ".join(str(stats["roles"].get(k, "")) for k in ROLE_IDS) + " | |")
    lines += ["", "Primary role by style:", "",
              "| style | records | " + " | ".join(PRIMARY_KEYS) + " |", "|---" * (len(PRIMARY_KEYS) + 2) + "|"]
    for style, counts in stats["style_primary"].items():
        lines.append(f"| {style} | {stats['styles'][style]} | "
                     + " | ".join(str(counts.get(k, 0)) for k in PRIMARY_KEYS) + " |")
    lines += ["", "Role pairs (a record with three roles counts in three pairs):", "",
              "| pair | records |", "|---|---|"]
    lines += [f"| {pair} | {n} |" for pair, n in stats["pairs"].items()]
    length = stats["length"]
    lines += ["", "Length in characters: " + ", ".join(f"{k} {v:g}" for k, v in length.items()) + ".", ""]
    lines += ["Hard-case tags (most common 30):", "", "| tag | records |", "|---|---|"]
    lines += [f"| {tag} | {n} |" for tag, n in list(stats["tags"].items())[:30]]
    return "\n".join(lines)
