"""Reading and writing resident registers (CSV and xlsx), built in memory; no database."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from services.residents.imports import sheets
from services.residents.imports.sheets import RowError, SheetRow, SheetUnreadable, read_sheet, write_sheet
from tests.residents.ids import bad_check_digit

pytestmark = pytest.mark.no_db

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: str, sequence: int = 123, region: str = "110105") -> str:
    """A valid ID number: region + birth date (YYYYMMDD) + 3-digit sequence + GB 11643 MOD 11-2 check."""
    first17 = f"{region}{birth}{sequence:03d}"
    assert len(first17) == 17
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


MAN = id_number("19450312", 123)  # 17th digit 3: odd → M
WOMAN = id_number("19800101", 124)  # 4: even → F

HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "小区",
    "楼栋",
    "单元",
    "门牌号",
    "与户主关系",
    "居住类型",
    "户籍地",
    "原籍乡镇",
    "就业状态",
    "技能",
    "标签",
    "网格编码",
]


def person(**overrides: object) -> list[object]:
    values: dict[str, object] = {
        "姓名": "张三",
        "身份证号": MAN,
        "手机号": "13900001234",
        "小区": "幸福里",
        "楼栋": "3",
        "单元": "2",
        "门牌号": " 501 ",
        "与户主关系": "户主",
        "居住类型": "户籍",
        "户籍地": "北京市朝阳区",
        "原籍乡镇": "",
        "就业状态": "退休",
        "技能": "电工、木工,厨师",
        "标签": "党员，veteran、楼长",
        "网格编码": "110105001001001",
    }
    values.update(overrides)
    return [values[column] for column in HEADER]


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def errors_at(errors: list[RowError], row: int) -> dict[str, str]:
    return {error.column: error.reason for error in errors if error.row == row}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_clean_csv_parses_into_typed_rows(encoding: str) -> None:
    data = csv_bytes(
        [
            HEADER,
            person(),
            person(
                姓名="李四",
                身份证号=WOMAN.lower(),
                手机号="",
                楼栋="3号楼",
                单元="2单元",
                与户主关系="spouse",
                居住类型="易地搬迁安置",
                原籍乡镇="石门乡",
                就业状态="",
                技能="",
                标签="",
                网格编码="",
            ),
        ],
        encoding,
    )
    rows, errors = read_sheet(data, "名册.csv", "text/csv")
    assert errors == []
    assert rows == [
        SheetRow(
            row=2,
            name="张三",
            id_number=MAN,
            gender="M",
            birth_date=date(1945, 3, 12),
            phone="13900001234",
            compound="幸福里",
            building="3号楼",
            unit="2单元",
            room="501",
            relation="head",
            residence_type="registered",
            registered_residence="北京市朝阳区",
            origin_township=None,
            employment="retired",
            skills=["电工", "木工", "厨师"],
            tags=["party_member", "veteran", "楼长"],
            grid_code="110105001001001",
        ),
        SheetRow(
            row=3,
            name="李四",
            id_number=WOMAN,
            gender="F",
            birth_date=date(1980, 1, 1),
            phone=None,
            compound="幸福里",
            building="3号楼",
            unit="2单元",
            room="501",
            relation="spouse",
            residence_type="relocated",
            registered_residence="北京市朝阳区",
            origin_township="石门乡",
            employment=None,
        ),
    ]


def test_utf16_tab_separated_text_as_excel_saves_unicode_text() -> None:
    table: list[list[object]] = [list(HEADER), person()]
    text = "\r\n".join("\t".join(str(value) for value in row) for row in table) + "\r\n"
    rows, errors = read_sheet(text.encode("utf-16"), "名册.txt", "text/plain")
    assert errors == []
    assert [(row.name, row.id_number, row.tags) for row in rows] == [("张三", MAN, ["party_member", "veteran", "楼长"])]


def test_headers_with_spaces_and_stars_and_unknown_columns() -> None:
    header = [" 姓名* ", "身份证号 *", "备注", "小区＊", "楼栋", " 单元", "门牌号*", "与户主关系*", "居住类型*", "网格"]
    row = ["王五", MAN, "随便写", "幸福里", "5", "1", "101", "户主", "常住", "110105001001002"]
    rows, errors = read_sheet(csv_bytes([header, row, [], ["", " ", ""]]), None, None)
    assert errors == []
    assert len(rows) == 1
    assert rows[0].name == "王五"
    assert rows[0].building == "5号楼"
    assert rows[0].residence_type == "permanent"
    assert rows[0].grid_code == "110105001001002"
    assert rows[0].phone is None


def test_every_error_is_reported_with_row_and_column_without_personal_data() -> None:
    bad_id = bad_check_digit(MAN)
    bad_phone = "12345678901"
    other = id_number("19900505", 456)
    data = csv_bytes(
        [
            HEADER,
            person(身份证号=bad_id, 手机号=bad_phone),  # row 2: two errors in one row
            person(身份证号=other, 与户主关系="表哥"),  # row 3
            person(身份证号=WOMAN, 居住类型="暂住"),  # row 4
            person(身份证号=id_number("19700101", 11), 居住类型="易地搬迁安置", 原籍乡镇=""),  # row 5
            person(身份证号=id_number("19700101", 13), 姓名=""),  # row 6
            person(身份证号=other),  # row 7: same ID as row 3
            person(身份证号=id_number("19600101", 15)),  # row 8: fine
            person(身份证号=other),  # row 9: same ID as row 3 again
        ]
    )
    rows, errors = read_sheet(data, "x.csv", "text/csv")
    assert [row.row for row in rows] == [8]
    assert set(errors_at(errors, 2)) == {"身份证号", "手机号"}
    assert "check digit" in errors_at(errors, 2)["身份证号"]
    assert set(errors_at(errors, 3)) == {"与户主关系"}
    assert set(errors_at(errors, 4)) == {"居住类型"}
    assert set(errors_at(errors, 5)) == {"原籍乡镇"}
    assert set(errors_at(errors, 6)) == {"姓名"}
    assert errors_at(errors, 7) == {"身份证号": "the same ID number as row 3"}
    assert errors_at(errors, 9) == {"身份证号": "the same ID number as row 3"}
    assert len(errors) == 8
    for error in errors:
        for secret in (bad_id, bad_phone, other, WOMAN, MAN, "13900001234"):
            assert secret not in error.reason


def test_missing_required_column_is_an_error_on_row_1() -> None:
    header = [column for column in HEADER if column not in ("身份证号", "门牌号")]
    row = [value for column, value in zip(HEADER, person(), strict=True) if column not in ("身份证号", "门牌号")]
    rows, errors = read_sheet(csv_bytes([header, row]), None, None)
    assert rows == []
    assert {(error.row, error.column) for error in errors} == {(1, "身份证号"), (1, "门牌号")}


def test_empty_sheet_with_header_only() -> None:
    assert read_sheet(csv_bytes([HEADER]), None, None) == ([], [])


def test_xlsx_with_typed_cells() -> None:
    good = person()
    good[HEADER.index("门牌号")] = 501
    good[HEADER.index("楼栋")] = 3
    good[HEADER.index("手机号")] = 13900001234
    numeric_id = person(身份证号=1.10105198001011e17)  # typed as a number: the last digits are gone
    dated = person(身份证号=id_number("19880808", 77))
    dated[HEADER.index("门牌号")] = date(2024, 5, 1)
    data = xlsx_bytes([HEADER, good, [None] * len(HEADER), numeric_id, dated])
    rows, errors = read_sheet(data, "名册.csv", "text/csv")  # the name and type are ignored
    assert [(row.row, row.room, row.building, row.phone) for row in rows] == [(2, "501", "3号楼", "13900001234")]
    assert errors_at(errors, 4) == {
        "身份证号": "the ID number is stored as a number and has lost digits; store ID numbers as text"
    }
    assert set(errors_at(errors, 5)) == {"门牌号"}
    assert len(errors) == 2


def test_id_number_saved_by_excel_as_scientific_notation_in_csv() -> None:
    rows, errors = read_sheet(csv_bytes([HEADER, person(身份证号="1.10105E+17")]), None, None)
    assert rows == []
    assert [(error.row, error.column) for error in errors] == [(2, "身份证号")]
    assert "as text" in errors[0].reason


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04 this is not really a zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        bytes(range(256)),
        b"\xff\x80\xff\x80",
        b"",
    ],
)
def test_non_sheet_bytes_are_unreadable(data: bytes) -> None:
    with pytest.raises(SheetUnreadable):
        read_sheet(data, "x.xlsx", None)


def test_zip_that_is_not_a_workbook_is_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SheetUnreadable):
        read_sheet(out.getvalue(), None, None)


def test_damaged_workbook_is_unreadable() -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, person()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # cut off in the middle of the rows
            archive.writestr(item.filename, content)
    with pytest.raises(SheetUnreadable):
        read_sheet(out.getvalue(), None, None)


def test_too_many_rows_is_a_single_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    rows = [person(身份证号=id_number("19700101", index)) for index in range(4)]
    result, errors = read_sheet(csv_bytes([HEADER, *rows]), None, None)
    assert result == []
    assert len(errors) == 1
    assert (errors[0].row, errors[0].column) == (0, "")


def test_write_sheet_round_trips() -> None:
    headers = ["姓名", "身份证号", "手机号", "门牌号", "年龄", "生日", "标签", "备注"]
    written: list[list[object]] = [
        ["张三", "110105********1234", "139****1234", "0501", 79, date(1945, 3, 12), ["党员", "志愿者"], "=1+1"],
        ["李四", "110105198001011248", None, "501", 44.5, None, [], "#N/A"],
        ["王\x07五", "1", "2", "3", 0, datetime(2024, 5, 1, 8, 30, tzinfo=UTC), ("a", "b"), "=SUM(A1:A2)"],
    ]
    data = write_sheet(headers, written)
    assert data.startswith(b"PK\x03\x04")
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    sheet = workbook.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    workbook.close()
    assert values[0] == tuple(headers)
    first = values[1]
    assert first[:5] == ("张三", "110105********1234", "139****1234", "0501", 79)
    assert isinstance(first[5], datetime) and first[5].date() == date(1945, 3, 12)
    assert first[6] == "党员、志愿者"
    assert first[7] == "=1+1"  # a string, not a formula
    second = values[2]
    assert second[:5] == ("李四", "110105198001011248", None, "501", 44.5)
    assert second[7] == "#N/A"
    third = values[3]
    assert third == ("王五", "1", "2", "3", 0, "2024-05-01 08:30:00+00:00", "a、b", "=SUM(A1:A2)")


def test_write_then_read_again() -> None:
    data = write_sheet(HEADER, [person(), person(身份证号=WOMAN, 与户主关系="配偶")])
    rows, errors = read_sheet(data, None, None)
    assert errors == []
    assert [(row.id_number, row.relation) for row in rows] == [(MAN, "head"), (WOMAN, "spouse")]


def test_100k_rows_csv() -> None:
    start = date(1950, 1, 1)
    lines: list[list[object]] = [list(HEADER)]
    for index in range(100_000):
        birth = (start + timedelta(days=index // 1000)).strftime("%Y%m%d")
        lines.append(person(身份证号=id_number(birth, index % 1000), 门牌号=str(index)))
    data = csv_bytes(lines)
    began = time.perf_counter()
    rows, errors = read_sheet(data, None, None)
    elapsed = time.perf_counter() - began
    print(f"\n100,000-row CSV ({len(data) / 1e6:.1f} MB) parsed in {elapsed:.2f} s")
    assert errors == []
    assert len(rows) == 100_000
