"""HTTP routes for contact lists: POST /contacts (a file or pasted bios in; the classified file or JSON out) and the page."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from .contacts import (CHUNK_SIZE, PASTE_COLUMN, ClassifiedRow, ContactsReport, classify_rows, role_name,
                       write_classified)
from .contacts_columns import choose_text_columns, parse_column_list
from .contacts_io import OUTPUT_ENCODINGS, ContactFileError, ContactTable, open_table, open_writer, table_from_lines
from .dependencies import current_model, get_metrics, require_form_body
from .errors import ApiError
from .metrics import ServiceMetrics
from .model_holder import LoadedModel
from .schemas import ErrorResponse, Reason, RoleId

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_JSON_ROWS = 1_000
MAX_JSON_ROWS = 10_000

OutputFormat = Literal["csv", "tsv", "xlsx", "json"]
OutputEncoding = Literal[OUTPUT_ENCODINGS]  # type: ignore[valid-type]


class ContactRow(BaseModel):
    line: int = Field(description="line (CSV/TSV) or row (XLSX) of the input where the row starts")
    values: list[str] = Field(description="the row's cells, as read")
    text: str = Field(description="the text that was classified: the chosen columns, joined")
    primary: RoleId | None = Field(description="primary role; null when out of scope or not classified")
    primary_label: str | None = Field(description="the primary role's Japanese name, or 対象外")
    confidence: float | None = Field(description="null when the row was not classified")
    roles: list[RoleId]
    explanation: list[Reason] = Field(description="what drove the decision (empty for an abstention)")
    note: str = Field(description="why the row was not classified, or what was odd about it; empty when fine")

    @classmethod
    def from_row(cls, row: ClassifiedRow) -> "ContactRow":
        prediction = row.prediction
        if prediction is None:
            return cls(line=row.line, values=row.cells, text=row.text, primary=None, primary_label=None,
                       confidence=None, roles=[], explanation=[], note=row.note)
        return cls(line=row.line, values=row.cells, text=row.text, primary=prediction.primary,
                   primary_label=role_name(prediction), confidence=prediction.confidence,
                   roles=list(prediction.roles),
                   explanation=[Reason(feature=f, weight=w) for f, w in prediction.explanation], note=row.note)


class RoleCount(BaseModel):
    id: RoleId
    name_ja: str
    count: int
    share: float = Field(description="of the rows with a role (the six add up to 1, as the study's do)")
    study_share: float = Field(description="the share in the study")


class ContactsSummary(BaseModel):
    total_rows: int
    rows_with_role: int
    out_of_scope: int = Field(description="rows the model gave no role (students, empty bios ...)")
    unclassified: int = Field(description="rows that could not be read, or whose text columns were empty")
    roles: list[RoleCount]
    table: str = Field(description="the same summary as a plain-text table")


class Problem(BaseModel):
    line: int
    note: str


class ContactsResponse(BaseModel):
    model_version: str
    file: dict = Field(description="name, format, encoding and sheet of the input")
    columns: list[str] = Field(description="the input's header")
    text_columns: list[str] = Field(description="the columns whose text was classified, in the order joined")
    row_count: int = Field(description="rows in the input, which is also the rows of the classified file")
    rows: list[ContactRow] = Field(description="the first `limit` rows, with explanations")
    rows_truncated: bool = Field(description="true when the list has more rows than `limit`")
    summary: ContactsSummary
    chart_svg: str = Field(description="the role mix beside the study's, as an SVG image")
    problems: list[Problem] = Field(description="the first 100 rows with a note")
    problem_count: int


router = APIRouter(tags=["contacts"])


@router.post("/contacts", response_model=None, dependencies=[Depends(require_form_body)], responses={
    200: {"model": ContactsResponse,
          "description": "the classified list (CSV, TSV or XLSX), or with format=json this JSON",
          "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["tsv"]: {}, MEDIA_TYPES["xlsx"]: {}}},
    **{status: {"model": ErrorResponse} for status in (400, 413, 415, 422)}})
def classify_contacts(
    file: Annotated[UploadFile | None, File(
        description="a contact list: CSV/TSV (UTF-8, UTF-8 with BOM, Shift_JIS) or .xlsx")] = None,
    text: Annotated[str | None, Form(description="instead of a file: bios, one a line")] = None,
    columns: Annotated[str | None, Form(
        description="the columns to classify, comma-separated (default: the recognised headers)")] = None,
    output_format: Annotated[OutputFormat | None, Form(
        alias="format", description="csv, tsv, xlsx or json (default: the input's format)")] = None,
    encoding: Annotated[OutputEncoding | None, Form(
        description="CSV/TSV encoding: utf-8-sig (default, for Excel) or cp932")] = None,
    limit: Annotated[int, Form(
        ge=0, le=MAX_JSON_ROWS, description="with format=json: how many rows to return")] = DEFAULT_JSON_ROWS,
    model: LoadedModel = Depends(current_model),
    metrics: ServiceMetrics = Depends(get_metrics),
):
    """Classify a whole contact list: every row and column comes back, in order, with the role columns added.

    Send a `file` (multipart) or `text` (bios one a line). The answer is the classified file in the
    input's format (CSV as UTF-8 with BOM, safe to open in Excel), or with `format=json` the first
    `limit` rows with explanations, the role-mix summary beside the study's, and the chart as SVG.
    Rows that cannot be read are kept and explained in `jinmyaku_note`, never dropped.
    """
    table, name = _open_input(file, text)
    with table:
        try:
            text_columns = choose_text_columns(table.header, parse_column_list(columns))
        except ContactFileError as exc:
            raise _api_error(exc) from None
        counted = _CountingModel(model, metrics)
        if output_format == "json":
            return _json_answer(table, counted, text_columns, name, limit)
        return _file_answer(table, counted, text_columns, name, output_format or table.kind,
                            encoding or "utf-8-sig")


def _open_input(file: UploadFile | None, text: str | None) -> tuple[ContactTable, str]:
    if (file is None) == (text is None):
        raise ApiError(400, "file_or_text",
                       "send either a contact file (multipart field `file`) or bios one a line (field `text`), "
                       f"not {'both' if file is not None else 'neither'}")
    try:
        if file is not None:
            return open_table(file.file), file.filename or "contacts"
        return table_from_lines(text, PASTE_COLUMN), "pasted.csv"
    except ContactFileError as exc:
        raise _api_error(exc) from None


def _api_error(exc: ContactFileError) -> ApiError:
    return ApiError(422, exc.code, exc.message, exc.details)


class _CountingModel:
    """The request's model, counting its predictions in the service metrics as /classify does."""

    def __init__(self, model: LoadedModel, metrics: ServiceMetrics):
        self.loaded = model
        self.metrics = metrics

    def classify(self, texts: list[str], explain: bool = False):
        predictions = self.loaded.classify(texts, explain=explain)
        self.metrics.observe_predictions(predictions)
        return predictions


def _json_answer(table: ContactTable, model: _CountingModel, text_columns: list[int], name: str,
                 limit: int) -> ContactsResponse:
    report = ContactsReport.for_table(table, text_columns)
    rows = []
    for row in classify_rows(table, model, text_columns, CHUNK_SIZE, explain_first=limit):
        report.record(row)
        if len(rows) < limit:
            rows.append(ContactRow.from_row(row))
    mix = report.mix
    return ContactsResponse(
        model_version=model.loaded.version,
        file={"name": name, "format": report.kind, "encoding": report.encoding, "sheet": report.sheet},
        columns=report.header, text_columns=report.text_columns, row_count=report.rows, rows=rows,
        rows_truncated=report.rows > len(rows),
        summary=ContactsSummary(**mix.to_dict(), table=mix.table()),
        chart_svg=mix.chart_svg(),
        problems=[Problem(line=line, note=note) for line, note in report.problems],
        problem_count=report.problem_count)


def _file_answer(table: ContactTable, model: _CountingModel, text_columns: list[int], name: str, kind: str,
                 encoding: str) -> FileResponse:
    # The classified list goes to a temporary file, not memory: a long list costs disk, not RAM.
    handle, path = tempfile.mkstemp(prefix="jinmyaku-", suffix=f".{kind}")
    try:
        with os.fdopen(handle, "wb") as stream:
            writer = open_writer(stream, kind, encoding)
            report = write_classified(table, model, writer, text_columns)
            writer.close()
    except BaseException:
        os.unlink(path)
        raise
    media_type = MEDIA_TYPES[kind]
    if kind != "xlsx" and encoding == "cp932":
        media_type = media_type.replace("utf-8", "shift_jis")
    return FileResponse(path, media_type=media_type, filename=f"{Path(name).stem}.jinmyaku.{kind}",
                        headers={"X-Jinmyaku-Rows": str(report.rows),
                                 "X-Jinmyaku-Problems": str(report.problem_count)},
                        background=BackgroundTask(os.unlink, path))


# --- The web page ---------------------------------------------------------------------------------

def _static_file(name: str) -> FileResponse:
    path = STATIC_DIR / name
    media_type = STATIC_TYPES.get(path.suffix)
    if media_type is None or path.parent != STATIC_DIR or not path.is_file():
        raise ApiError(404, "not_found", f"no such file: /static/{name}")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    """The page where people paste bios or drop a contact file (Japanese UI, works offline)."""
    return _static_file("index.html")


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    return _static_file(name)
