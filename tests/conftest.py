"""Shared fixtures: the shipped default model, and a small corpus for training tests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def compiled_or_skip(name: str):
    """The compiled extension training.<name>, or a skip where no C compiler built it. CI sets
    JINMYAKU_REQUIRE_COMPILED=1, so that there a failed build fails the tests instead."""
    import os

    from training.extensions import compiled_module

    module = compiled_module(name, "the Python path")
    if module is None:
        if os.environ.get("JINMYAKU_REQUIRE_COMPILED") == "1":
            pytest.fail(f"training.{name} was not built (is a C compiler installed?)")
        pytest.skip(f"training.{name} was not built; the Python path serves")
    return module


@pytest.fixture(scope="session")
def default_model():
    from training import load_model

    return load_model()


SMALL_CORPUS = [
    ("株式会社サクラ 代表取締役社長", ["executive"]),
    ("合同会社ミドリ 代表。地方の工務店を経営しています", ["executive"]),
    ("ITベンチャーの共同創業者兼CEO", ["executive"]),
    ("取締役CTOとして開発組織を率いる", ["executive"]),
    ("小説家。著書に『夜の港』『海の記憶』", ["author"]),
    ("エッセイスト。著書『ひとりの台所』（青空書房）", ["author"]),
    ("作家。新刊『星を数える人』発売中", ["author"]),
    ("作家として長編小説を三冊刊行", ["author"]),
    ("全国紙の記者。経済部で金融を担当", ["media"]),
    ("雑誌編集者。ファッション誌の編集部に所属", ["media"]),
    ("テレビ局のアナウンサーです", ["media"]),
    ("フリーのジャーナリスト。取材と執筆", ["media"]),
    ("〇〇銀行 法人営業部 課長", ["manager"]),
    ("メーカーの営業本部長", ["manager"]),
    ("エンジニアリングマネージャーとしてチームを率いる", ["manager"]),
    ("物流会社の支店長を務めています", ["manager"]),
    ("経営コンサルタント。中小企業の支援", ["consultant"]),
    ("税理士。顧問先の会計を支援", ["consultant"]),
    ("中小企業診断士として独立", ["consultant"]),
    ("ITコンサルタント。業務改革の助言", ["consultant"]),
    ("Webエンジニア。Go と Kubernetes が好き", ["employee"]),
    ("メーカー勤務の会社員です", ["employee"]),
    ("市役所の職員です", ["employee"]),
    ("デザイナーとして制作会社に勤務", ["employee"]),
    ("大学3年生。サークルはテニス", []),
    ("専業主婦です。猫と暮らしています", []),
    ("定年退職し、今は庭いじりの毎日", []),
    ("よろしくお願いします", []),
    ("NTTのエンジニア。著書『はじめてのネットワーク』", ["author", "employee"]),
    ("外資系コンサルティングファームでシニアマネージャー", ["manager", "consultant"]),
]


def write_corpus(path: Path, rows=SMALL_CORPUS) -> Path:
    from training.roles import primary_role

    with open(path, "w", encoding="utf-8") as handle:
        for i, (text, roles) in enumerate(rows):
            record = {"id": f"t-{i}", "text": text, "roles": roles, "primary": primary_role(roles)}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "small.jsonl")
