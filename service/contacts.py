"""Classify a whole contact list: read it lazily, add each row's roles, write it out and sum up the role mix.

    python -m service.contacts 名刺一覧.csv -o 名刺一覧.jinmyaku.csv

Every input row comes out, in order, with every input column, followed by
the role columns (ROLE_COLUMNS); rows that could not be read are kept and
say why in ``jinmyaku_note``. Rows are classified in chunks, so memory stays
flat however long the list is.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TextIO

from training.model import Prediction
from training.roles import ROLE_BY_ID

from .contacts_columns import choose_text_columns, join_text, parse_column_list
from .contacts_io import (NOT_CSV, OTHER_ENCODING, OUTPUT_ENCODINGS, UNDECODABLE, UNREADABLE,
                          ContactFileError, ContactTable, SourceRow, kind_for_path, open_table, open_writer)
from .contacts_summary import RoleMix

ROLE_COLUMNS = ("jinmyaku_role", "jinmyaku_role_ja", "jinmyaku_confidence", "jinmyaku_roles", "jinmyaku_note")
OUT_OF_SCOPE_NAME = "対象外"
PASTE_COLUMN = "プロフィール"  # the header pasted bios get: one the column detection recognises
CHUNK_SIZE = 512  # the model is many times faster per bio in batches than one at a time
MAX_LISTED_PROBLEMS = 100

ROW_NOTES = {
    UNDECODABLE: "未分類: {encoding}として読めない文字があります（読めた部分を残しています）",
    NOT_CSV: "未分類: CSVとして読めません（引用符の閉じ忘れなど）。元の行をそのまま1列目に残しています",
    OTHER_ENCODING: "この行だけ文字コードが{other}でした（読み替えて分類しています）",
}
EMPTY_TEXT_NOTE = "未分類: 分類に使う列が空です"
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp932": "Shift_JIS (CP932)", "utf-16": "UTF-16"}


@dataclass(frozen=True)
class ClassifiedRow:
    """One input row with what the model said about it (None when it was not classified) and any notes."""

    line: int
    cells: list[str]
    text: str
    prediction: Prediction | None
    notes: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        return " / ".join(self.notes)


def _batches(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def classify_rows(table: ContactTable, model, text_columns: Sequence[int], chunk_size: int = CHUNK_SIZE,
                  explain_first: int = 0) -> Iterator[ClassifiedRow]:
    """Each row of ``table`` classified, in order, ``chunk_size`` rows per model call.

    ``model`` is anything with ``classify(texts, explain=)`` (a RoleClassifier
    or the service's LoadedModel); the first ``explain_first`` rows (rounded
    up to a chunk) come with explanations.
    """
    width = len(table.header)
    done = 0
    for chunk in _batches(table.rows, chunk_size):
        texts = [join_text(row.cells, text_columns) if row.problem not in UNREADABLE else "" for row in chunk]
        wanted = [i for i, text in enumerate(texts) if text]
        predictions = model.classify([texts[i] for i in wanted], explain=done < explain_first) if wanted else []
        by_index = dict(zip(wanted, predictions))
        for index, row in enumerate(chunk):
            notes = _notes(row, width, table.encoding, classified=index in by_index)
            yield ClassifiedRow(row.line, row.cells, texts[index], by_index.get(index), notes)
        done += len(chunk)


def _notes(row: SourceRow, width: int, encoding: str | None, classified: bool) -> tuple[str, ...]:
    notes = []
    if row.problem in ROW_NOTES:
        other = "Shift_JIS (CP932)" if encoding in ("utf-8", "utf-8-sig") else "UTF-8"
        notes.append(ROW_NOTES[row.problem].format(encoding=ENCODING_NAMES.get(encoding, encoding), other=other))
    if not classified and row.problem not in UNREADABLE:
        notes.append(EMPTY_TEXT_NOTE)
    if row.problem != NOT_CSV:
        extra = len(_extra_cells(row.cells, width))
        if extra:
            notes.append(f"ヘッダーより{extra}セル多い行です（多い分は右端の列に残しています）")
        elif len(row.cells) < width:
            notes.append(f"列が足りない行です（{len(row.cells)}列、ヘッダーは{width}列）")
    return tuple(notes)


def _extra_cells(cells: list[str], width: int) -> list[str]:
    """Cells beyond the header's width, up to the last non-empty one (trailing empty cells are not data)."""
    extra = cells[width:]
    while extra and not extra[-1].strip():
        extra.pop()
    return extra


def output_header(header: Sequence[str]) -> list[str]:
    return list(header) + list(ROLE_COLUMNS)


def output_cells(row: ClassifiedRow, width: int) -> list[str]:
    """The row's own cells (padded to the header), the role columns, then any cells beyond the header."""
    own = row.cells[:width] + [""] * (width - len(row.cells))
    prediction = row.prediction
    if prediction is None:
        roles = ["", "", "", ""]
    else:
        roles = [prediction.primary or "", role_name(prediction), f"{prediction.confidence:.3f}",
                 ";".join(prediction.roles)]
    return own + roles + [row.note] + _extra_cells(row.cells, width)


def role_name(prediction: Prediction) -> str:
    """The primary role's Japanese name, or 対象外 for a bio with no role."""
    return ROLE_BY_ID[prediction.primary].name_ja if prediction.primary else OUT_OF_SCOPE_NAME


@dataclass
class ContactsReport:
    """What happened to a list: rows in (= rows out), the role mix, and the rows with notes."""

    header: list[str]
    text_columns: list[str]
    kind: str
    encoding: str | None
    sheet: str | None = None
    rows: int = 0
    mix: RoleMix = field(default_factory=RoleMix)
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(line, note) of the first MAX_LISTED_PROBLEMS rows with notes; problem_count counts them all."""
    problem_count: int = 0

    @classmethod
    def for_table(cls, table: ContactTable, text_columns: Sequence[int]) -> "ContactsReport":
        return cls(header=list(table.header), text_columns=[table.header[i] for i in text_columns],
                   kind=table.kind, encoding=table.encoding, sheet=table.sheet)

    def record(self, row: ClassifiedRow) -> None:
        self.rows += 1
        self.mix.add(row.prediction.primary if row.prediction else None, classified=row.prediction is not None)
        if row.notes:
            self.add_problem(row.line, row.note)

    def add_problem(self, line: int, note: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append((line, note))


def write_classified(table: ContactTable, model, writer, text_columns: Sequence[int],
                     chunk_size: int = CHUNK_SIZE,
                     on_row: Callable[[ContactsReport], None] | None = None) -> ContactsReport:
    """Classify every row of ``table`` into ``writer`` (header first) and return the report."""
    report = ContactsReport.for_table(table, text_columns)
    width = len(table.header)
    writer.write_row(output_header(table.header))
    for row in classify_rows(table, model, text_columns, chunk_size):
        cells = output_cells(row, width)
        if writer.loses(cells):
            # What the writer cannot hold is a note of the row itself: in the file, and counted once.
            row = replace(row, notes=(*row.notes, writer.lossy_note))
            cells = output_cells(row, width)
        writer.write_row(cells, line=row.line)
        report.record(row)
        if on_row is not None:
            on_row(report)
    return report


# --- The command ----------------------------------------------------------------------------------

class ProgressBar:
    """A one-line progress bar on a terminal, redrawn at most every ``interval`` seconds."""

    def __init__(self, progress: Callable[[], float], stream: TextIO | None = None, interval: float = 0.2):
        self.progress = progress
        self.stream = stream or sys.stderr
        self.interval = interval
        self.started = self.last_drawn = time.monotonic()

    def update(self, report: ContactsReport, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_drawn < self.interval:
            return
        self.last_drawn = now
        fraction = self.progress()
        filled = int(fraction * 30)
        rate = report.rows / max(now - self.started, 1e-9)
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:5.1f}%  "
                          f"{report.rows:,} rows  {rate:,.0f} rows/s")
        self.stream.flush()

    def finish(self, report: ContactsReport) -> None:
        self.update(report, force=True)
        self.stream.write("\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service.contacts",
        description="Add roles to a contact list (CSV/TSV in UTF-8 or Shift_JIS, or .xlsx) and summarise the "
                    "role mix beside the study's. Every row and column comes out, in order, with the columns "
                    f"{', '.join(ROLE_COLUMNS)} added.")
    parser.add_argument("file", type=Path, help="the contact list")
    parser.add_argument("-o", "--output", type=Path,
                        help="where to write the classified list (default: FILE.jinmyaku.<ext> beside FILE); "
                             "its extension (.csv, .tsv, .xlsx) picks the format")
    parser.add_argument("--format", choices=("csv", "tsv", "xlsx"),
                        help="output format (default: from --output's extension, else the input's)")
    parser.add_argument("--encoding", choices=OUTPUT_ENCODINGS, default="utf-8-sig",
                        help="CSV/TSV output encoding (default utf-8-sig: UTF-8 with BOM, which Excel reads "
                             "correctly; cp932 for old tools)")
    parser.add_argument("--columns", action="append",
                        help="the columns holding the text to classify, comma-separated, by header or number "
                             "(default: recognised headers such as 会社名, 部署, 役職, 肩書き, プロフィール, 自己紹介)")
    parser.add_argument("--chart", type=Path, help="where to write the role-mix chart (default: OUT.summary.svg)")
    parser.add_argument("--model", type=Path, help="model directory (default: the one models/DEFAULT names)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help=argparse.SUPPRESS)
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar on stderr (default: when stderr is a terminal)")
    return parser


def default_output(source: Path, kind: str) -> Path:
    return source.with_name(f"{source.stem}.jinmyaku.{kind}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ContactFileError as exc:
        print(f"jinmyaku: {args.file}: {exc.message}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"jinmyaku: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a folder without write permission, …
        print(f"jinmyaku: {exc.filename or args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2


class CommandError(Exception):
    """A mistake in the command line, said in one sentence with the fix."""


def _run(args: argparse.Namespace) -> int:
    from training import ModelLoadError, load_model

    if not args.file.is_file():
        raise CommandError(f"{args.file} is not a file")
    if args.output and not args.format and args.output.suffix and kind_for_path(args.output) is None:
        raise CommandError(f"cannot tell the output format from {args.output.suffix!r}: name the output "
                           ".csv, .tsv or .xlsx, or pass --format")
    if args.output and not args.output.parent.is_dir():
        raise CommandError(f"the folder {args.output.parent} does not exist: create it or write elsewhere with -o")
    if args.output and args.output.is_dir():
        raise CommandError(f"the output {args.output} is a folder: name a file in it with -o")
    with open_table(args.file) as table:
        kind = args.format or (kind_for_path(args.output) if args.output else None) or table.kind
        output = args.output or default_output(args.file, kind)
        if output.resolve() == args.file.resolve():
            raise CommandError(f"the output {output} is the input file: write to another path with -o")
        chart = args.chart or output.with_suffix(".summary.svg")
        text_columns = choose_text_columns(table.header, parse_column_list(args.columns))
        try:
            model = load_model(args.model)
        except ModelLoadError as exc:
            raise CommandError(str(exc)) from None
        show_progress = sys.stderr.isatty() if args.progress is None else args.progress
        bar = ProgressBar(table.progress) if show_progress else None
        partial = output.with_name(output.name + ".part")
        try:
            with open(partial, "wb") as stream:
                writer = open_writer(stream, kind, args.encoding)
                report = write_classified(table, model, writer, text_columns, args.chunk_size,
                                          on_row=bar.update if bar else None)
                writer.close()
            os.replace(partial, output)  # a run that stops half-way never leaves a half-written OUT behind
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if bar:
            bar.finish(report)
    chart.write_text(report.mix.chart_svg(), encoding="utf-8")
    _print_report(report, output, chart)
    return 0


def _print_report(report: ContactsReport, output: Path, chart: Path) -> None:
    source = report.kind + (f", {report.encoding}" if report.encoding else "") + (
        f", sheet {report.sheet!r}" if report.sheet else "")
    print(f"classified {report.rows:,} rows ({source}) from the columns {', '.join(report.text_columns)}")
    print(report.mix.table())
    print(f"wrote {output} and {chart}")
    if report.problem_count:
        print(f"{report.problem_count:,} rows have a note in jinmyaku_note (kept, not dropped):", file=sys.stderr)
        for line, note in report.problems[:20]:
            print(f"  line {line}: {note}", file=sys.stderr)
        if report.problem_count > 20:
            print(f"  ... and {report.problem_count - 20:,} more", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
