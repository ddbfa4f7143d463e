"""Reading contact tables (CSV/TSV in UTF-8, CP932 or UTF-16; XLSX) lazily, and writing them safely for Excel.

Rows are read one at a time, so a file of any length costs constant memory.
A row that cannot be read (bytes that are not text in the file's encoding,
broken CSV quoting) is still yielded, with its line number and a problem
code, so nothing the user gave is ever dropped.
"""
from __future__ import annotations

import codecs
import collections
import csv
import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 Excel .xls container
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SNIFF_BYTES = 64 * 1024
SCAN_CHUNK_BYTES = 1024 * 1024
# A file where more than half the lines are unreadable in every encoding we know is not text.
MAX_UNREADABLE_LINE_SHARE = 0.5

# Problems a single row can have; the row is kept either way. The first two leave it unreadable.
UNDECODABLE = "undecodable"
NOT_CSV = "not_csv"
OTHER_ENCODING = "other_encoding"
UNREADABLE = frozenset({UNDECODABLE, NOT_CSV})
# A file joined from two exports can hold lines in both, so each line is read in the first of these
# that decodes it; a line in neither is unreadable.
LINE_ENCODINGS = ("utf-8", "cp932")


class ContactFileError(ValueError):
    """A file that cannot be read as a contact table: a stable code, a sentence saying what to do, details."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class SourceRow:
    """One record of the input: where it starts, its cells as text, and what was wrong with it, if anything."""

    line: int
    """1-based line (CSV/TSV) or row number (XLSX) where the record starts."""
    cells: list[str]
    problem: str | None = None
    """UNDECODABLE or NOT_CSV when the row could not be read as it was meant (it is kept all the same),
    OTHER_ENCODING when it was read, but in the other encoding than the rest of the file."""


@dataclass
class ContactTable:
    """A header and a lazy iterator over the rows below it; close it (or use ``with``) when done."""

    header: list[str]
    rows: Iterator[SourceRow]
    kind: str
    """"csv", "tsv" or "xlsx": the format read, and by default the format written."""
    encoding: str | None = None
    sheet: str | None = None
    progress: Callable[[], float] = field(default=lambda: 0.0)
    """The share of the input read so far, 0..1 (for progress bars)."""
    _close: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        self._close()

    def __enter__(self) -> "ContactTable":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_table(source: str | os.PathLike | BinaryIO) -> ContactTable:
    """Open a contact file by path or seekable binary stream; the format and encoding come from its content.

    Raises ContactFileError for an empty file, a file that is not a table
    (binary, .xls, a damaged workbook), or a header with no rows under it.
    """
    if isinstance(source, (str, os.PathLike)):
        stream = open(source, "rb")
        owned = True
    else:
        stream = source
        owned = False
    try:
        table = _open_stream(stream)
    except BaseException:
        if owned:
            stream.close()
        raise
    if owned:
        close_table = table._close

        def close_both() -> None:
            close_table()
            stream.close()

        table._close = close_both
    return table


def table_from_lines(text: str, column: str) -> ContactTable:
    """Pasted text, one bio a line, as a one-column table (blank lines are not rows)."""
    rows = [SourceRow(number, [line.strip()]) for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1)
            if line.strip()]
    if not rows:
        raise ContactFileError("empty_file", "the pasted text has no lines: paste one bio a line")
    return ContactTable(header=[column], rows=iter(rows), kind="csv", encoding="utf-8")


def _open_stream(stream: BinaryIO) -> ContactTable:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head.strip():
        raise _empty_file_error()
    if head.startswith(ZIP_MAGIC):
        table = _open_xlsx(stream)
    elif head.startswith(OLE_MAGIC):
        raise ContactFileError("unsupported_format",
                               "this is an old Excel .xls workbook: save it as .xlsx or CSV (UTF-8) and try again")
    else:
        table = _open_text(stream, head, size)
    return _with_first_row(table)


def _empty_file_error() -> ContactFileError:
    return ContactFileError("empty_file", "the file is empty: export the contact list again with its header row")


def _with_first_row(table: ContactTable) -> ContactTable:
    """Refuse a table without rows now, before any output is written, by reading its first row ahead."""
    first = next(table.rows, None)
    if first is None:
        table.close()
        raise ContactFileError("no_rows", "the file has a header row but no rows under it",
                               {"headers": table.header})
    rest = table.rows

    def rows() -> Iterator[SourceRow]:
        yield first
        yield from rest

    table.rows = rows()
    return table


# --- CSV and TSV ----------------------------------------------------------------------------------

def detect_encoding(stream: BinaryIO, head: bytes) -> str:
    """utf-8-sig, utf-8, cp932 or utf-16, from the bytes; raises ContactFileError for binary data.

    UTF-8 is tried first over the whole file and strictly: Shift_JIS text is
    almost never valid UTF-8, while UTF-8 text often happens to decode as
    CP932. A file that is neither throughout (two exports joined, a damaged
    line) takes the encoding of most of its non-ASCII lines; the other lines
    are read in the other encoding or marked, never dropped.
    """
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    if b"\x00" in head:
        raise _binary_error()
    utf8 = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if _decodes_strictly(stream, utf8):
        return utf8
    # Not UTF-8 throughout: the lines vote. (Whole-file CP932 is no test: UTF-8 text with one damaged
    # byte often decodes as CP932 too, as nonsense.)
    utf8_lines = other_lines = unreadable_lines = lines = 0
    for raw in stream:
        lines += 1
        if raw.isascii():
            continue
        if _decodes(raw, "utf-8"):
            utf8_lines += 1
        else:
            other_lines += 1
            unreadable_lines += not _decodes(raw, "cp932")
    stream.seek(0)
    if unreadable_lines > MAX_UNREADABLE_LINE_SHARE * lines:
        raise _binary_error()
    return utf8 if utf8_lines >= other_lines else "cp932"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _binary_error() -> ContactFileError:
    return ContactFileError(
        "not_a_table",
        "the file is not a CSV/TSV text table in UTF-8 or Shift_JIS, nor an .xlsx workbook: "
        "save it from Excel as 'CSV UTF-8' or .xlsx and try again")


def _decodes_strictly(stream: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    stream.seek(0)
    try:
        while chunk := stream.read(SCAN_CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)


class _DecodedLines:
    """Decoded lines for csv.reader, remembering which lines the current record spans and which were broken."""

    def __init__(self, stream: BinaryIO, encoding: str):
        self.encoding = encoding
        if encoding == "utf-16":
            # UTF-16 cannot be split on b"\n"; its lines come from a text wrapper (U+FFFD marks bad bytes).
            self._text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline="")
            self._lines = iter(self._text)
        else:
            self._text = None
            self._lines = iter(stream)
        self.line_number = 0
        # Lines given back by push_back, read again before the stream: (text, undecodable, other encoding).
        self._pending: collections.deque[tuple[str, bool, bool]] = collections.deque()
        self.start_record()

    def start_record(self) -> None:
        self.first_line = self.line_number + 1
        self.record_lines: list[str] = []
        self._record_flags: list[tuple[bool, bool]] = []
        self.undecodable = False
        self.other_encoding = False

    def push_back_after_first_line(self) -> None:
        """Give back every line of the current record but its first: they are read again, as new records."""
        pending = [(text, *flags) for text, flags in zip(self.record_lines[1:], self._record_flags[1:])]
        self._pending.extendleft(reversed(pending))
        self.line_number = self.first_line
        self.record_lines, self._record_flags = self.record_lines[:1], self._record_flags[:1]
        self.undecodable, self.other_encoding = self._record_flags[0] if self._record_flags else (False, False)

    @property
    def problem(self) -> str | None:
        return UNDECODABLE if self.undecodable else OTHER_ENCODING if self.other_encoding else None

    def __iter__(self) -> "_DecodedLines":
        return self

    def __next__(self) -> str:
        if self._pending:
            text, undecodable, other_encoding = self._pending.popleft()
        else:
            line = next(self._lines)
            if self._text is not None:
                text, undecodable, other_encoding = line, "\ufffd" in line, False
            else:
                if self.line_number == 0 and self.encoding == "utf-8-sig":
                    line = line.removeprefix(codecs.BOM_UTF8)
                text, undecodable, other_encoding = self._decode_line(line)
        self.line_number += 1
        self.undecodable |= undecodable
        self.other_encoding |= other_encoding
        self.record_lines.append(text)
        self._record_flags.append((undecodable, other_encoding))
        return text

    def _decode_line(self, line: bytes) -> tuple[str, bool, bool]:
        """(text, undecodable, read in the other encoding) of one line.

        Each line is read in the first of UTF-8 and CP932 that reads it (valid
        UTF-8 is the stronger sign), except that a line of a UTF-8 file that is
        mostly valid UTF-8 is a damaged UTF-8 line: CP932 would read its bytes,
        but as nonsense, so it is kept as UTF-8 with U+FFFD and marked.
        """
        file_encoding = self.encoding.removesuffix("-sig")
        for encoding in LINE_ENCODINGS:
            try:
                text = line.decode(encoding)
            except UnicodeDecodeError:
                if encoding == "utf-8" and file_encoding == "utf-8" and _mostly_utf8(line):
                    return line.decode("utf-8", errors="replace"), True, False
                continue
            return text, False, encoding != file_encoding and not line.isascii()
        return line.decode(self.encoding, errors="replace"), True, False

    def detach(self) -> None:
        if self._text is not None:
            self._text.detach()  # leave the caller's stream open


def _mostly_utf8(line: bytes) -> bool:
    """Whether the line holds at least as many valid non-ASCII UTF-8 characters as damaged places
    (runs of undecodable bytes). Shift_JIS text read as UTF-8 gives almost no valid characters."""
    text = line.decode("utf-8", errors="replace")
    damaged = len(_DAMAGE_RE.findall(text))
    return sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd") >= damaged


_DAMAGE_RE = re.compile("\ufffd+")


def sniff_delimiter(first_line: str) -> str:
    """Tab when the header line has at least as many tabs as commas (and some), else comma."""
    tabs, commas = first_line.count("\t"), first_line.count(",")
    return "\t" if tabs and tabs >= commas else ","


def _open_text(stream: BinaryIO, head: bytes, size: int) -> ContactTable:
    encoding = detect_encoding(stream, head)
    lines = _DecodedLines(stream, encoding)
    first_line = next((line for line in lines if line.strip()), None)
    if first_line is None:  # only a byte-order mark and blank lines
        lines.detach()
        raise _empty_file_error()
    delimiter = sniff_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    records = _csv_records(lines, delimiter)
    position = stream.tell

    def progress() -> float:
        try:
            return min(position() / size, 1.0) if size else 1.0
        except (ValueError, OSError):  # closed, or a text wrapper in the way
            return 0.0

    return ContactTable(header=header, rows=records,
                        kind="tsv" if delimiter == "\t" else "csv", encoding=encoding,
                        progress=progress, _close=lines.detach)


def _csv_records(lines: _DecodedLines, delimiter: str = ",") -> Iterator[SourceRow]:
    """Rows of the CSV after the header.

    A quoted cell may hold line breaks, but a quote opened and never closed
    swallows the lines after it, up to the next quote or the end of the file.
    A record over several lines with an odd number of quotes is taken for that
    (as is one the reader gives up on): its first line is kept raw and marked,
    and the lines after it are read again as rows of their own. A stray quote
    whose swallow happens to end on an even count still merges lines, as any
    CSV reader would.
    """
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        lines.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            cells = None  # the field limit: certainly a swallow
        # Quotes come in pairs in quoted cells ("" escapes too): over several lines, an odd count means a
        # quote left open that swallowed the lines after it. (On one line, a quote inside an unquoted
        # cell, 5'11", is only a character.) Width and length are no sign: ragged rows and long cells
        # with line breaks are real.
        if cells is None or (len(lines.record_lines) > 1
                             and sum(line.count('"') for line in lines.record_lines) % 2 == 1):
            raw = lines.record_lines[0].rstrip("\r\n")
            lines.push_back_after_first_line()
            yield SourceRow(lines.first_line, [raw], NOT_CSV)
            continue
        if not cells:
            continue  # a blank line is not a row
        yield SourceRow(lines.first_line, cells, lines.problem)


# --- XLSX -----------------------------------------------------------------------------------------

def _open_xlsx(stream: BinaryIO) -> ContactTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ContactFileError(
            "unreadable_xlsx",
            f"the file looks like a zip archive but is not a readable .xlsx workbook ({type(exc).__name__}): "
            "open it in Excel and save it again as .xlsx or CSV (UTF-8)") from None
    sheet = workbook.active or workbook.worksheets[0]
    total_rows = sheet.max_row or 0
    # Read-only sheets pad every row to the sheet's width: trailing empty cells are layout, not data.
    rows = (SourceRow(number, [cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(value is not None and str(value).strip() for value in values))
    header_row = next(rows, None)
    if header_row is None:
        workbook.close()
        raise ContactFileError("empty_file", f"the sheet {sheet.title!r} is empty: put the contact list on the "
                                             "active sheet, with a header row")
    header = _without_trailing_blanks(header_row.cells)
    done = {"row": header_row.line}

    def counted() -> Iterator[SourceRow]:
        for row in rows:
            done["row"] = row.line
            # A spreadsheet row has no length of its own: it is as wide as the header.
            padding = [""] * (len(header) - len(row.cells))
            yield SourceRow(row.line, row.cells + padding)

    return ContactTable(header=header, rows=counted(), kind="xlsx",
                        sheet=sheet.title,
                        progress=lambda: min(done["row"] / total_rows, 1.0) if total_rows else 0.0,
                        _close=workbook.close)


def _without_trailing_blanks(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def cell_text(value) -> str:
    """An Excel cell value as the text a person sees (dates as ISO dates, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --- Writing --------------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
OUTPUT_ENCODINGS = ("utf-8-sig", "cp932")


def neutralise_formula(cell: str) -> str:
    """A cell Excel would run as a formula (=, +, -, @ first), made plain text with a leading apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


class CsvTableWriter:
    """CSV or TSV for Excel: formulas neutralised, UTF-8 with BOM by default (Excel then reads Japanese right).

    With cp932, characters it cannot hold (emoji, some kanji) become "?" and
    the lines where that happened are listed in ``lossy_lines``.
    """

    lossy_note = "cp932で表せない文字を「?」に置き換えました（UTF-8で出力すれば残せます）"

    def __init__(self, stream: BinaryIO, delimiter: str = ",", encoding: str = "utf-8-sig"):
        if encoding not in OUTPUT_ENCODINGS:
            raise ValueError(f"output encoding must be one of {OUTPUT_ENCODINGS}, not {encoding!r}")
        self.encoding = encoding
        self._text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        self._writer = csv.writer(self._text, delimiter=delimiter)
        self.lossy_lines: list[int] = []

    def loses(self, cells: list[str]) -> bool:
        """Whether writing these cells would lose characters (see ``lossy_note``)."""
        return self.encoding == "cp932" and not _encodes(cells, "cp932")

    def write_row(self, cells: Iterable[str], line: int | None = None) -> None:
        cells = [neutralise_formula(cell) for cell in cells]
        if line is not None and self.loses(cells):
            self.lossy_lines.append(line)
        self._writer.writerow(cells)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


def _encodes(cells: list[str], encoding: str) -> bool:
    try:
        for cell in cells:
            cell.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


XLSX_CELL_LIMIT = 32_767  # characters in one Excel cell


class XlsxTableWriter:
    """An .xlsx workbook written row by row (openpyxl write-only); every cell is stored as text, never a formula.

    A cell longer than Excel allows is cut to the limit, and its line is listed in ``lossy_lines``.
    """

    lossy_note = "Excelのセルの上限（32,767文字）を超えたセルを切り詰めました（CSVで出力すれば全文を残せます）"

    def __init__(self, stream: BinaryIO, sheet_title: str = "jinmyaku"):
        from openpyxl import Workbook

        self.lossy_lines: list[int] = []  # lines with a cell cut to Excel's limit
        self._stream = stream
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(sheet_title)

    @staticmethod
    def loses(cells: list[str]) -> bool:
        """Whether writing these cells would cut one (see ``lossy_note``)."""
        return any(len(cell) > XLSX_CELL_LIMIT for cell in cells)

    def write_row(self, cells: Iterable[str], line: int | None = None) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        cells = list(cells)
        if line is not None and self.loses(cells):
            self.lossy_lines.append(line)
        row = []
        for value in cells:
            # Excel holds no more; openpyxl would cut the cell silently.
            cell = WriteOnlyCell(self._sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value[:XLSX_CELL_LIMIT]))
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a live formula
            row.append(cell)
        self._sheet.append(row)

    def close(self) -> None:
        self._workbook.save(self._stream)


def open_writer(stream: BinaryIO, kind: str, encoding: str = "utf-8-sig"):
    """A table writer for "csv", "tsv" or "xlsx" on a binary stream."""
    if kind == "xlsx":
        return XlsxTableWriter(stream)
    if kind in ("csv", "tsv"):
        return CsvTableWriter(stream, delimiter="\t" if kind == "tsv" else ",", encoding=encoding)
    raise ValueError(f"unknown output format {kind!r}: use csv, tsv or xlsx")


def kind_for_path(path: str | os.PathLike) -> str | None:
    """"csv", "tsv" or "xlsx" from a file name's extension (.txt counts as TSV, Excel's text export)."""
    return {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".xlsx": "xlsx"}.get(Path(path).suffix.lower())
