"""The six roles of ../shared/LABELS.md, in their precedence order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Role:
    id: str
    name_ja: str
    study_share: float
    description: str


ROLES: tuple[Role, ...] = (
    Role("executive", "企業経営者", 0.10,
         "会社を経営・共同所有する、または取締役会に入っている人（代表取締役、社長、CEO、創業者、取締役、CxO）"),
    Role("author", "書籍の執筆経験者", 0.10,
         "書籍を執筆・共著・監修した人（著書、共著、作家、小説家）。ブログや翻訳のみは含まない"),
    Role("media", "マスコミ関係者", 0.10,
         "報道・放送・出版でコンテンツの仕事をする人（記者、編集者、アナウンサー、ディレクター、ジャーナリスト、ライター）"),
    Role("manager", "優良企業役職者", 0.20,
         "取締役より下の管理職（執行役員、本部長、部長、課長、支店長、マネージャー、Director、VP、Head of）"),
    Role("consultant", "コンサルタント", 0.20,
         "企業に助言や専門知識を売る人（コンサルタント、アドバイザー、士業、顧問、研修講師、コーチ）"),
    Role("employee", "企業勤務者", 0.30,
         "その他の働く人（会社員、エンジニア、デザイナー、営業、研究者、公務員、ものづくりのフリーランス）"),
)

ROLE_IDS: tuple[str, ...] = tuple(role.id for role in ROLES)
ROLE_BY_ID: dict[str, Role] = {role.id: role for role in ROLES}


class UnknownRoleError(ValueError):
    """A role id that is not one of the six."""


def check_role_ids(role_ids: Iterable[str]) -> None:
    unknown = [r for r in role_ids if r not in ROLE_BY_ID]
    if unknown:
        raise UnknownRoleError(
            f"unknown role id(s) {unknown}; expected some of {list(ROLE_IDS)}")


def ordered_roles(role_ids: Iterable[str]) -> list[str]:
    """The role ids in LABELS.md order, without duplicates."""
    wanted = set(role_ids)
    check_role_ids(wanted)
    return [r for r in ROLE_IDS if r in wanted]


def primary_role(role_ids: Iterable[str]) -> str | None:
    """The first role in LABELS.md order, or None for an empty set."""
    ordered = ordered_roles(role_ids)
    return ordered[0] if ordered else None
