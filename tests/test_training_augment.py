"""Joined bios (training.augment): labelled by LABELS.md, reproducible, and kept out of the held-out folds."""
import dataclasses

import pytest

from training.augment import join_text, joined_roles, with_joined_bios
from training.config import TrainConfig
from training.corpus import read_records


@pytest.mark.parametrize("first, second, expected", [
    (["executive"], ["author"], ("executive", "author")),
    (["executive"], ["employee"], ("executive",)),                 # employee never beside executive
    (["manager", "consultant"], ["employee"], ("manager", "consultant")),
    (["author", "employee"], ["media"], ("author", "media", "employee")),  # beside author or media it stays
    (["employee"], ["employee"], ("employee",)),
    (["consultant"], ["executive"], ("executive", "consultant")),  # LABELS.md order, whichever came first
])
def test_a_joined_bio_holds_the_roles_of_both_by_the_labels_rules(first, second, expected):
    assert joined_roles(first, second) == expected


def test_joined_text_ends_the_first_bio_with_a_sentence_end_once():
    assert join_text("株式会社サクラ 代表取締役", "著書『夜の港』") == "株式会社サクラ 代表取締役。著書『夜の港』"
    assert join_text("小説家です。", " 趣味は釣り") == "小説家です。趣味は釣り"
    assert join_text("Editor!", "記者") == "Editor!記者"


TEXTS = ["株式会社サクラ 代表取締役", "大学3年生です", "雑誌の編集者", "市役所の職員です", "税理士", "よろしく"]
ROLES = [("executive",), (), ("media",), ("employee",), ("consultant",), ()]


def test_joined_bios_are_added_after_the_originals_from_in_scope_bios_only():
    texts, role_sets = with_joined_bios(TEXTS, ROLES, share=1.0, seed=3)
    assert texts[:len(TEXTS)] == TEXTS and role_sets[:len(ROLES)] == ROLES
    extra = list(zip(texts[len(TEXTS):], role_sets[len(ROLES):]))
    assert len(extra) == 4  # share x the four in-scope bios
    in_scope = [t for t, r in zip(TEXTS, ROLES) if r]
    for text, roles in extra:
        [(a, b)] = [(a, b) for a in in_scope for b in in_scope if a != b and join_text(a, b) == text]
        assert roles == joined_roles(ROLES[TEXTS.index(a)], ROLES[TEXTS.index(b)])


def test_joined_bios_are_reproducible_from_the_seed():
    assert with_joined_bios(TEXTS, ROLES, 1.0, seed=3) == with_joined_bios(TEXTS, ROLES, 1.0, seed=3)
    assert with_joined_bios(TEXTS, ROLES, 1.0, seed=3) != with_joined_bios(TEXTS, ROLES, 1.0, seed=4)


def test_no_share_or_too_few_in_scope_bios_add_nothing():
    assert with_joined_bios(TEXTS, ROLES, 0.0, seed=3) == (TEXTS, ROLES)
    assert with_joined_bios(TEXTS[:2], ROLES[:2], 1.0, seed=3) == (TEXTS[:2], ROLES[:2])


def test_cross_validation_joins_only_bios_of_each_training_fold(small_corpus, monkeypatch):
    from training import train as train_module

    seen = []
    real_fit = train_module.RoleClassifier.fit

    def recording_fit(self, texts, role_sets):
        seen.append(list(texts))
        return real_fit(self, texts, role_sets)

    monkeypatch.setattr(train_module.RoleClassifier, "fit", recording_fit)
    records = read_records([small_corpus])
    config = dataclasses.replace(TrainConfig(), folds=3, joined_bios=1.0)
    train_module.cross_val_probabilities(records, config, progress=lambda message: None)
    originals = {r.text for r in records}
    assert len(seen) == 3
    for fold_texts in seen:
        held_out = originals - set(fold_texts)
        joined = [t for t in fold_texts if t not in originals]
        assert held_out and joined
        # No held-out bio is part of any joined bio its fold trained on.
        assert not [t for t in joined for bio in held_out if bio in t]
