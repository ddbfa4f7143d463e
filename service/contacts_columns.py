"""Which columns of a contact table hold the text to classify: the ones the user names, or the recognised headers."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from .contacts_io import ContactFileError

# Recognised headers, in the order their text is joined: who one works for, in which department,
# as what, then what one says about oneself ("株式会社ABC 営業部 部長 <自己紹介>"), the order of a
# business card and of the bios the model learned from. Compared after normalize_header().
TEXT_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("company", ("会社名", "会社", "企業名", "勤務先", "勤務先名", "所属", "所属先", "組織", "組織名", "団体名",
                 "company", "companyname", "organization", "organisation", "employer")),
    ("department", ("部署", "部署名", "部門", "部門名", "所属部署", "department", "division", "dept")),
    ("title", ("肩書き", "肩書", "役職", "役職名", "職位", "職種", "職業", "title", "jobtitle", "position",
               "occupation")),
    ("bio", ("プロフィール", "自己紹介", "自己紹介文", "紹介文", "経歴", "略歴", "bio", "biography", "profile",
             "about", "description", "summary")),
)
RECOGNISED_HEADERS: tuple[str, ...] = tuple(name for _, names in TEXT_FIELDS for name in names)
COLUMN_SEPARATORS = re.compile(r"[,、，]")
IGNORED_IN_HEADERS = re.compile(r"[\s_\-・.]+")


def normalize_header(name: str) -> str:
    """"Job_Title", "job title" and "ＪＯＢ　ＴＩＴＬＥ" all become "jobtitle"."""
    return IGNORED_IN_HEADERS.sub("", unicodedata.normalize("NFKC", name)).casefold()


def parse_column_list(value: str | Iterable[str] | None) -> list[str]:
    """ "会社名,役職" (or 、-separated, or a list of such strings) as a list of column names."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [name.strip() for item in values for name in COLUMN_SEPARATORS.split(item) if name.strip()]


def choose_text_columns(header: Sequence[str], requested: Sequence[str] = ()) -> list[int]:
    """Indices of the columns whose text is classified, in the order it is joined.

    ``requested`` names columns by header (exactly, or as normalize_header
    matches) or by 1-based number; empty means the recognised headers.
    """
    if requested:
        return _requested_columns(header, requested)
    normalized = [normalize_header(name) for name in header]
    chosen = [index for _, names in TEXT_FIELDS
              for index, name in enumerate(normalized) if name in names]
    if not chosen:
        raise ContactFileError(
            "no_text_columns",
            f"none of the headers ({_listing(header)}) is one that holds a bio or a job title: name the "
            "columns to classify, e.g. `--columns 会社名,役職` on the command line or the form field "
            "`columns=会社名,役職` in the API",
            {"headers": list(header), "recognised": list(RECOGNISED_HEADERS)})
    return list(dict.fromkeys(chosen))


def _requested_columns(header: Sequence[str], requested: Sequence[str]) -> list[int]:
    exact = {name.strip(): index for index, name in reversed(list(enumerate(header)))}
    loose = {normalize_header(name): index for index, name in reversed(list(enumerate(header)))}
    chosen, unknown = [], []
    for name in requested:
        index = exact.get(name.strip(), loose.get(normalize_header(name)))
        if index is None and name.strip().isdigit() and 1 <= int(name) <= len(header):
            index = int(name) - 1
        if index is None:
            unknown.append(name)
        else:
            chosen.append(index)
    if unknown:
        raise ContactFileError(
            "unknown_columns",
            f"no column named {_listing(unknown)}; the headers are {_listing(header)} "
            "(name them as written, or by number from 1)",
            {"unknown": list(unknown), "headers": list(header)})
    return list(dict.fromkeys(chosen))


def _listing(names: Sequence[str]) -> str:
    return ", ".join(f"「{name}」" for name in names) or "none"


def join_text(cells: Sequence[str], columns: Sequence[int]) -> str:
    """The text of the chosen cells, trimmed and joined by a space (empty cells skipped)."""
    return " ".join(cells[i].strip() for i in columns if i < len(cells) and cells[i].strip())
