"""Reading and writing the resident registers community staff keep in Excel (xlsx or CSV).

``read_sheet`` turns an uploaded register into typed, validated ``SheetRow`` objects and a list of
``RowError`` (spreadsheet row, Chinese column header, reason). Reasons never repeat a cell's value, so
an error list can be shown or logged without leaking ID numbers or phone numbers. ``write_sheet``
produces an xlsx from header and value rows, keeping strings as strings.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from openpyxl.cell.cell import WriteOnlyCell

# openpyxl (15 MiB) is imported by the functions that read or write a workbook, when a register is first
# imported or exported, not when the residents service starts.

from services.residents.people import InvalidValue, check_id_number, check_phone
from services.residents.vocab import (
    EMPLOYMENT,
    RELATIONS,
    RESIDENCE_TYPES,
    STANDARD_TAGS,
    Employment,
    Gender,
    Relation,
    ResidenceType,
    code_of,
)

__all__ = [
    "HEADERS",
    "MAX_ROWS",
    "REQUIRED",
    "RowError",
    "SheetRow",
    "SheetUnreadable",
    "read_sheet",
    "write_sheet",
]

# The Chinese column headers staff use, and the field each fills.
HEADERS: dict[str, str] = {
    "姓名": "name",
    "身份证号": "id_number",
    "手机号": "phone",
    "小区": "compound",
    "楼栋": "building",
    "单元": "unit",
    "门牌号": "room",
    "与户主关系": "relation",
    "居住类型": "residence_type",
    "户籍地": "registered_residence",
    "原籍乡镇": "origin_township",
    "就业状态": "employment",
    "技能": "skills",
    "标签": "tags",
    "网格": "grid_code",
    "网格编码": "grid_code",
}

# Required fields, with the header named when the column is missing.
REQUIRED: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "compound": "小区",
    "building": "楼栋",
    "unit": "单元",
    "room": "门牌号",
    "relation": "与户主关系",
    "residence_type": "居住类型",
}

MAX_ROWS = 200_000  # data rows (non-empty rows after the header)

# Longest text each field may hold (the database column sizes).
_MAX_LENGTH: dict[str, int] = {
    "name": 50,
    "compound": 100,
    "building": 50,
    "unit": 20,
    "room": 20,
    "registered_residence": 200,
    "origin_township": 100,
}
_MAX_SKILL = 50
_MAX_LOCAL_TAG = 20

_SEPARATORS = re.compile(r"[、,，]")
_GRID_CODE = re.compile(r"[0-9]{15}")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]*)?[eE]\+?[0-9]+")  # how Excel saves a numeric ID to CSV
_HEADER_TRIM = " \t\r\n\u3000*＊"

_TAG_CODE: dict[str, str] = {name: code for code, (name, _sensitive) in STANDARD_TAGS.items()}
_TAG_CODE.update({code: code for code in STANDARD_TAGS})

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other Office 97 documents)


class SheetUnreadable(ValueError):
    """The upload is neither a readable xlsx workbook nor a text CSV."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class SheetRow:
    """One validated resident row of a register."""

    row: int  # spreadsheet row number; the header is row 1
    name: str
    id_number: str  # normalised: 18 characters, upper-case X
    gender: Gender  # from the ID number
    birth_date: date  # from the ID number
    phone: str | None  # normalised 11 digits
    compound: str
    building: str  # "3号楼"
    unit: str  # "2单元"
    room: str  # "501"
    relation: Relation
    residence_type: ResidenceType
    registered_residence: str | None = None
    origin_township: str | None = None
    employment: Employment | None = None
    skills: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # standard tag codes, local tags as written
    grid_code: str | None = None


@dataclass
class RowError:
    """A problem with one cell (or a whole column, on row 1; or the whole sheet, on row 0)."""

    row: int
    column: str  # the Chinese header as written in the sheet, "" for the whole sheet
    reason: str  # never contains the cell's value


def read_sheet(data: bytes, filename: str | None, content_type: str | None) -> tuple[list[SheetRow], list[RowError]]:
    """Parse and validate a register; return the good rows and every problem found.

    The format is decided by content, not by ``filename`` or ``content_type`` (kept for the
    caller's logs): an xlsx is a zip; anything else must be CSV text in UTF-8 (with or without BOM),
    GB18030/GBK or UTF-16 with BOM. A row with any error is not among the returned rows. A sheet
    with more than ``MAX_ROWS`` data rows gives no rows and a single error on row 0.

    Raises ``SheetUnreadable`` when the data is neither a readable workbook nor text.
    """
    del filename, content_type  # the bytes decide
    if not data:
        raise SheetUnreadable("the file is empty")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    return _read_rows(_csv_rows(data), trusted_types=False)


def write_sheet(headers: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An xlsx workbook with one sheet: a bold header row, then ``rows``.

    Values are written as given: strings stay strings (also ones that look like numbers, formulas or
    error codes, so masked ID numbers are not converted and a name starting with "=" is not run as a
    formula); numbers, dates and booleans keep their types; None is an empty cell. Lists and tuples
    are joined with "、" (as ``read_sheet`` splits them), timezone-aware datetimes and other objects are
    written as text, and control characters that xlsx cannot hold are dropped.
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    if isinstance(rows, Sequence):
        # A streamed sheet has no <dimension> unless the size is known before the first row. Without it a
        # read-only openpyxl (ours included) parses the whole sheet once more just to look for one.
        width = max([len(headers), *(len(values) for values in rows)])
        reference = f"A1:{get_column_letter(max(width, 1))}{len(rows) + 1}"
        sheet.calculate_dimension = lambda: reference  # read by openpyxl's WorksheetWriter.write_dimensions
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = _text_cell(sheet, header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for values in rows:
        sheet.append([_excel_value(sheet, value) for value in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading -----------------------------------------------------------------------------------------


def _read_xlsx(data: bytes) -> tuple[list[SheetRow], list[RowError]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile, XML and openpyxl errors: all mean "not a workbook we can read"
        raise SheetUnreadable("the file is not a readable xlsx workbook") from error
    try:
        if not workbook.worksheets:
            raise SheetUnreadable("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the stored dimension may be stale; read what is there
        return _read_rows(_xlsx_rows(sheet.iter_rows(values_only=True)), trusted_types=True)
    finally:
        workbook.close()


def _xlsx_rows(rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    """The rows, with a damaged sheet (which shows only while it is read) reported as unreadable."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, SyntaxError, EOFError, OSError) as error:
            # ParseError is a SyntaxError; zlib.error and openpyxl's conversion errors are among the others
            raise SheetUnreadable("the workbook is damaged and cannot be read") from error
        yield row


def _decode(data: bytes) -> str:
    if data.startswith(_OLE2_MAGIC):
        raise SheetUnreadable("legacy .xls files are not supported; save the sheet as .xlsx or CSV")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise SheetUnreadable("the file is neither an xlsx workbook nor CSV text") from error
    if b"\x00" in data:
        raise SheetUnreadable("the file is neither an xlsx workbook nor CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise SheetUnreadable("the file is neither an xlsx workbook nor CSV text (UTF-8 or GBK)") from error


def _csv_rows(data: bytes) -> Iterator[Sequence[object]]:
    text = _decode(data)
    if "\x00" in text:
        raise SheetUnreadable("the file is neither an xlsx workbook nor CSV text")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise SheetUnreadable("the CSV text cannot be parsed") from error


def _header_name(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip(_HEADER_TRIM)


@dataclass
class _Columns:
    """Where each field is, and the header it was found under."""

    index: dict[str, int]
    header: dict[str, str]


def _columns(header_row: Sequence[object] | None) -> tuple[_Columns, list[RowError]]:
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    errors: list[RowError] = []
    for position, value in enumerate(header_row or ()):
        name = _header_name(value)
        field_name = HEADERS.get(name)
        if field_name is None:
            continue  # unknown columns are ignored
        if field_name in index:
            errors.append(RowError(1, name, f"the column repeats 「{header[field_name]}」; keep only one of them"))
            continue
        index[field_name] = position
        header[field_name] = name
    for field_name, chinese in REQUIRED.items():
        if field_name not in index:
            errors.append(RowError(1, chinese, "the required column is missing"))
    return _Columns(index, header), errors


def _read_rows(rows: Iterable[Sequence[object]], *, trusted_types: bool) -> tuple[list[SheetRow], list[RowError]]:
    """Validate the rows of a sheet whose first row is the header.

    ``trusted_types`` is True for xlsx, whose cells carry types (numbers, dates); CSV cells are text.
    """
    iterator = iter(rows)
    header_row = next(iterator, None)
    columns, errors = _columns(header_row)
    if errors and any(error.reason == "the required column is missing" for error in errors):
        return [], errors
    checker = _RowChecker(columns, trusted_types=trusted_types)
    result: list[SheetRow] = []
    count = 0
    for number, cells in enumerate(iterator, start=2):
        if _is_empty(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            return [], [RowError(0, "", f"the sheet has more than {MAX_ROWS:,} data rows; split it into smaller files")]
        checked = checker.check(number, cells, errors)
        if checked is not None:
            result.append(checked)
    return result, errors


def _is_empty(cells: Sequence[object]) -> bool:
    for value in cells:
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return False
    return True


def _split(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text):
        item = part.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def _numbered(text: str, suffix: str) -> str:
    """ "3" → "3号楼", "２" → "2单元"; anything else stays as written."""
    if text.isdecimal():
        return f"{int(text)}{suffix}"
    return text


class _RowChecker:
    """Checks data rows one by one, remembering ID numbers to find duplicates."""

    def __init__(self, columns: _Columns, *, trusted_types: bool) -> None:
        self._index = columns.index
        self._header = columns.header
        self._trusted = trusted_types
        self._first_row_of_id: dict[str, int] = {}

    def _cell(self, cells: Sequence[object], field_name: str) -> object:
        position = self._index.get(field_name)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def _text(self, cells: Sequence[object], field_name: str, errors: list[RowError], row: int) -> str:
        """The cell as stripped text ("" when empty); dates and times are errors in text fields."""
        position = self._index.get(field_name)
        if position is None or position >= len(cells):
            return ""
        value = cells[position]
        if type(value) is str:  # the common case first
            return value.strip()
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else str(value)
        if isinstance(value, datetime | date | time):
            errors.append(
                RowError(row, self._header[field_name], "the cell holds a date, not text; format the column as text")
            )
            return ""
        return str(value).strip()

    def check(self, row: int, cells: Sequence[object], errors: list[RowError]) -> SheetRow | None:
        """The row as a SheetRow, or None after appending its errors to ``errors``."""
        before = len(errors)
        header = self._header

        def fail(field_name: str, reason: str) -> None:
            errors.append(RowError(row, header[field_name], reason))

        def required(field_name: str) -> str:
            mark = len(errors)
            text = self._text(cells, field_name, errors, row)
            if not text and len(errors) == mark:
                fail(field_name, "the cell is empty")
            return text

        def optional(field_name: str) -> str:
            return self._text(cells, field_name, errors, row) if field_name in self._index else ""

        # name, compound, building, unit, room: required text with a length limit
        texts: dict[str, str] = {}
        for field_name in ("name", "compound", "building", "unit", "room"):
            text = required(field_name)
            if len(text) > _MAX_LENGTH[field_name]:
                fail(field_name, f"longer than {_MAX_LENGTH[field_name]} characters")
            texts[field_name] = text

        # ID number: gender and birth date come from it
        id_number = ""
        gender: Gender = "M"
        birth_date = date.min
        raw_id = self._cell(cells, "id_number")
        if self._trusted and isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            fail("id_number", "the ID number is stored as a number and has lost digits; store ID numbers as text")
        else:
            text = required("id_number")
            if text and _SCIENTIFIC.fullmatch(text):
                fail("id_number", "the ID number was saved as a number and has lost digits; store ID numbers as text")
            elif text:
                try:
                    parsed = check_id_number(text)
                except InvalidValue as error:
                    fail("id_number", _safe_reason(error, "not a valid ID number", text))
                else:
                    id_number = parsed.value
                    gender = parsed.gender
                    birth_date = parsed.birth_date
                    first = self._first_row_of_id.setdefault(id_number, row)
                    if first != row:
                        fail("id_number", f"the same ID number as row {first}")

        # phone
        phone: str | None = None
        text = optional("phone")
        if text:
            try:
                phone = check_phone(text)
            except InvalidValue as error:
                fail("phone", _safe_reason(error, "not a valid mobile number", text))

        # relation, residence type, employment: Chinese or code
        text = required("relation")
        relation = code_of(RELATIONS, text) if text else None
        if text and relation is None:
            fail("relation", "unknown relation; use one of " + "、".join(RELATIONS.values()))

        text = required("residence_type")
        residence_type = code_of(RESIDENCE_TYPES, text) if text else None
        if text and residence_type is None:
            fail("residence_type", "unknown residence type; use one of " + "、".join(RESIDENCE_TYPES.values()))

        text = optional("employment")
        employment = code_of(EMPLOYMENT, text) if text else None
        if text and employment is None:
            fail("employment", "unknown employment status; use one of " + "、".join(EMPLOYMENT.values()))

        # optional text
        registered_residence = optional("registered_residence")
        if len(registered_residence) > _MAX_LENGTH["registered_residence"]:
            fail("registered_residence", f"longer than {_MAX_LENGTH['registered_residence']} characters")
        origin_township = optional("origin_township")
        if len(origin_township) > _MAX_LENGTH["origin_township"]:
            fail("origin_township", f"longer than {_MAX_LENGTH['origin_township']} characters")
        if residence_type == "relocated" and not origin_township:
            reason = f"required when 居住类型 is {RESIDENCE_TYPES['relocated']}"
            if "origin_township" in self._index:
                fail("origin_township", reason)
            else:
                errors.append(RowError(row, "原籍乡镇", reason + " (add the column)"))

        grid_code = optional("grid_code")
        if grid_code and not _GRID_CODE.fullmatch(grid_code):
            fail("grid_code", "a grid code is 15 digits")

        # lists
        skills = _split(optional("skills"))
        if any(len(skill) > _MAX_SKILL for skill in skills):
            fail("skills", f"each skill at most {_MAX_SKILL} characters")
        tags: list[str] = []
        for item in _split(optional("tags")):
            code = _TAG_CODE.get(item)
            if code is None:
                if len(item) > _MAX_LOCAL_TAG:
                    fail("tags", f"a local tag is at most {_MAX_LOCAL_TAG} characters")
                    continue
                code = item
            if code not in tags:
                tags.append(code)

        if len(errors) != before or relation is None or residence_type is None:
            return None
        return SheetRow(
            row=row,
            name=texts["name"],
            id_number=id_number,
            gender=gender,
            birth_date=birth_date,
            phone=phone,
            compound=texts["compound"],
            building=_numbered(texts["building"], "号楼"),
            unit=_numbered(texts["unit"], "单元"),
            room=texts["room"],
            relation=cast(Relation, relation),
            residence_type=cast(ResidenceType, residence_type),
            registered_residence=registered_residence or None,
            origin_township=origin_township or None,
            employment=cast(Employment | None, employment),
            skills=skills,
            tags=tags,
            grid_code=grid_code or None,
        )


def _safe_reason(error: InvalidValue, fallback: str, value: str) -> str:
    """The validator's reason, unless it would repeat the value."""
    reason = error.reason.strip()
    if not reason or value in reason:
        return fallback
    return reason


# --- writing -----------------------------------------------------------------------------------------


def _text_cell(sheet: object, text: str) -> WriteOnlyCell:
    """A cell that holds ``text`` as a string whatever it looks like."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # not a formula ("=…") or an error code ("#N/A")
    return cell


def _excel_value(sheet: object, value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

        if value.startswith("=") or value in ERROR_CODES or ILLEGAL_CHARACTERS_RE.search(value):
            return _text_cell(sheet, value)
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.isoformat(sep=" ", timespec="seconds")
        return value
    if isinstance(value, time) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, date | time):
        return value
    if isinstance(value, list | tuple):
        return _excel_value(sheet, "、".join(str(item) for item in value))
    return _excel_value(sheet, str(value))
