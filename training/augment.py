"""Joined bios: extra training examples made of two corpus bios, one after the other.

Real bios are longer than the corpus's and state several facts in a row: a
company run, a book written, a column held. The corpus mostly has one short
bio per person, so the model sees few bios in which one role's words stand
among another role's. A joined bio is an in-scope bio followed by another
in-scope bio; its roles are the roles of both, by the LABELS.md rules (employee
only beside author or media), so the copy is labelled as a person holding
both would be. Only training folds get joined bios; they are never scored.
"""
from __future__ import annotations

import random
from typing import Sequence

from .roles import ordered_roles

# LABELS.md: employee is added only beside author or media.
_NOT_WITH_EMPLOYEE = {"executive", "manager", "consultant"}


def joined_roles(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """The roles of one person described by both bios."""
    roles = set(first) | set(second)
    if "employee" in roles and roles & _NOT_WITH_EMPLOYEE:
        roles.discard("employee")
    return tuple(ordered_roles(roles))


def join_text(first: str, second: str) -> str:
    first = first.rstrip()
    return f"{first}{'' if first.endswith(('。', '.', '!', '?', '！', '？')) else '。'}{second.lstrip()}"


def with_joined_bios(texts: Sequence[str], role_sets: Sequence[Sequence[str]], share: float,
                     seed: int) -> tuple[list[str], list[tuple[str, ...]]]:
    """``texts`` and ``role_sets`` plus ``share`` x (in-scope bios) joined bios, drawn with ``seed``."""
    texts, role_sets = list(texts), [tuple(r) for r in role_sets]
    in_scope = [i for i, roles in enumerate(role_sets) if roles]
    if share <= 0 or len(in_scope) < 2:
        return texts, role_sets
    rng = random.Random(seed)
    extra_texts, extra_roles = [], []
    for _ in range(round(share * len(in_scope))):
        a, b = rng.sample(in_scope, 2)
        extra_texts.append(join_text(texts[a], texts[b]))
        extra_roles.append(joined_roles(role_sets[a], role_sets[b]))
    return texts + extra_texts, role_sets + extra_roles
