"""Reading and validating labelled bios (JSON Lines or CSV), with errors that name file and line."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .roles import ROLE_BY_ID, ROLE_IDS

DATA_DIR = Path(__file__).resolve().parent / "data"
ROLE_SEPARATORS = (";", "|", ",", " ", "、", "/")


@dataclass(frozen=True)
class Record:
    text: str
    roles: tuple[str, ...]
    primary: str | None
    id: str = ""
    style: str = ""
    tags: tuple[str, ...] = ()
    origin: str = ""
    """Where the record came from, "file:line"."""


@dataclass
class CorpusError(ValueError):
    """One or more records are invalid; ``problems`` lists them as "file:line: what"."""

    problems: list[str] = field(default_factory=list)

    def __str__(self):
        shown = "\n  ".join(self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        return f"{len(self.problems)} invalid record(s):\n  {shown}{more}"


def default_data_files() -> list[Path]:
    """The project's own corpus: every .jsonl file in training/data/."""
    return sorted(DATA_DIR.glob("*.jsonl"))


def _parse_roles(value, strict_order: bool) -> tuple[list[str], list[str]]:
    """Role ids from a JSON list or a separated string; returns (roles, problems)."""
    problems = []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return [], [f"roles {value!r} is not a JSON list"]
        else:
            for sep in ROLE_SEPARATORS[1:]:
                text = text.replace(sep, ROLE_SEPARATORS[0])
            value = [part.strip() for part in text.split(ROLE_SEPARATORS[0]) if part.strip()]
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        return [], [f"roles must be a list of role ids, got {value!r}"]
    unknown = [r for r in value if r not in ROLE_BY_ID]
    if unknown:
        problems.append(f"unknown role id(s) {unknown}; valid ids: {', '.join(ROLE_IDS)}")
    if len(set(value)) != len(value):
        problems.append(f"roles {value} repeat a role")
    ordered = [r for r in ROLE_IDS if r in value]
    if strict_order and not problems and ordered != value:
        problems.append(f"roles {value} are not in LABELS.md order {ordered}")
    return ordered, problems


def _check_record(obj, strict: bool) -> tuple[Record | None, list[str]]:
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {type(obj).__name__}"]
    problems = []
    text = obj.get("text")
    if not isinstance(text, str):
        problems.append("missing or non-string 'text'")
    elif not text.strip():
        problems.append("empty 'text'")
    if "roles" not in obj:
        problems.append("missing 'roles' (use [] for an out-of-scope bio)")
        roles = []
    else:
        roles, role_problems = _parse_roles(obj["roles"], strict_order=strict)
        problems += role_problems
    expected_primary = roles[0] if roles else None
    if "primary" in obj and obj["primary"] not in ("", None) or strict:
        primary = obj.get("primary") or None
        if not problems and primary != expected_primary:
            problems.append(f"primary {primary!r} should be {expected_primary!r}, "
                            "the first of its roles in LABELS.md order")
    if problems:
        return None, problems
    tags = obj.get("tags") or ()
    return Record(text=text, roles=tuple(roles), primary=expected_primary,
                  id=str(obj.get("id", "")), style=str(obj.get("style", "")),
                  tags=tuple(tags) if isinstance(tags, list) else ()), []


def _rows(path: Path, content: str):
    """(line number, parsed object or exception) for each non-blank row of a JSONL or CSV file."""
    if path.suffix.lower() in (".csv", ".tsv"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
        if reader.fieldnames is None or "text" not in reader.fieldnames:
            yield 1, ValueError(f"a CSV needs a header with 'text' and 'roles' columns, got {reader.fieldnames}")
            return
        for row in reader:
            yield reader.line_num, row
        return
    # Only \n ends a JSON Lines record: str.splitlines would also split at U+2028 and other
    # separators that json.dumps(ensure_ascii=False) leaves raw inside a string.
    for number, line in enumerate(content.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, ValueError(f"malformed JSON ({exc.msg} at column {exc.colno})")


def read_records(paths: Sequence[str | Path], strict: bool = False) -> list[Record]:
    """Read and validate every record; raise CorpusError listing all bad lines (nothing is returned then).

    ``strict`` also requires roles in LABELS.md order and a ``primary`` key,
    as the project's own corpus must have.
    """
    records, problems = [], []
    if not paths:
        raise CorpusError(["no data files given"])
    for path in map(Path, paths):
        try:
            content = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            problems.append(f"{path}: file not found")
            continue
        except UnicodeDecodeError as exc:
            problems.append(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        before = len(records)
        for number, obj in _rows(path, content):
            if isinstance(obj, Exception):
                problems.append(f"{path}:{number}: {obj}")
                continue
            record, record_problems = _check_record(obj, strict)
            if record_problems:
                problems += [f"{path}:{number}: {p}" for p in record_problems]
            else:
                records.append(Record(**{**record.__dict__, "origin": f"{path}:{number}"}))
        if len(records) == before and not any(p.startswith(f"{path}:") for p in problems):
            problems.append(f"{path}: no records")
    if problems:
        raise CorpusError(problems)
    return records


def corpus_sha256(paths: Iterable[str | Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(map(str, paths)):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def find_near_duplicates(texts: Sequence[str], threshold: float = 0.9) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose character-trigram sets overlap at least ``threshold``."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    compact = ["".join(t.split()) for t in texts]
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True, lowercase=False)
    matrix = vectorizer.fit_transform(compact).astype(np.int32).tocsr()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    overlaps = (matrix @ matrix.T).tocoo()
    pairs = []
    for i, j, shared in zip(overlaps.row, overlaps.col, overlaps.data):
        if i < j:
            union = sizes[i] + sizes[j] - shared
            if union and shared / union >= threshold:
                pairs.append((int(i), int(j), float(shared / union)))
    return sorted(pairs)
