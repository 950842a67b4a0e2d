"""Resident ID numbers, mobile numbers, name search keys and ages (pure functions, no database)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import pytest

from services.residents.people import (
    IdNumber,
    InvalidValue,
    age_on,
    check_id_number,
    check_phone,
    name_keys,
    search_key,
)

pytestmark = pytest.mark.no_db

TODAY = date(2024, 6, 15)


def mod11_2_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 written out independently of stdnum: the pure recursive form,
    then the complement that makes the whole number ≡ 1 (mod 11)."""
    assert len(first17) == 17 and first17.isdigit()
    p = 0
    for ch in first17:
        p = ((p + int(ch)) * 2) % 11
    check = (12 - p) % 11
    return "X" if check == 10 else str(check)


def with_check(first17: str) -> str:
    return first17 + mod11_2_check(first17)


def wrong_check(first17: str) -> str:
    right = mod11_2_check(first17)
    return first17 + ("0" if right != "0" else "1")


def test_the_independent_check_digit_agrees_with_published_examples() -> None:
    assert with_check("11010519491231002") == "11010519491231002X"
    assert with_check("44052418800101001") == "440524188001010014"


@pytest.mark.parametrize(
    ("raw", "birth", "gender"),
    [
        ("11010519491231002X", date(1949, 12, 31), "F"),
        (with_check("11010519900307123"), date(1990, 3, 7), "M"),
        (with_check("31010420000229456"), date(2000, 2, 29), "F"),
        (with_check("51010719851120031"), date(1985, 11, 20), "M"),
    ],
)
def test_valid_id_numbers(raw: str, birth: date, gender: Literal["M", "F"]) -> None:
    checked = check_id_number(raw, today=TODAY)
    assert checked == IdNumber(value=raw, birth_date=birth, gender=gender)


def test_lower_case_x_and_spaces_are_accepted() -> None:
    assert check_id_number("11010519491231002x", today=TODAY).value == "11010519491231002X"
    assert check_id_number(" 110105 19491231 002x ", today=TODAY).value == "11010519491231002X"


def test_the_repr_does_not_show_the_number() -> None:
    assert "11010519491231002X" not in repr(check_id_number("11010519491231002X", today=TODAY))


def test_a_region_code_newer_than_the_birth_year_is_accepted() -> None:
    # 通州区 (110112) exists since 1997; people born before then who got their first card there carry it.
    assert check_id_number(with_check("11011219900101123"), today=TODAY).birth_date == date(1990, 1, 1)


def test_the_default_today_is_the_current_date() -> None:
    assert check_id_number("11010519491231002X").birth_date == date(1949, 12, 31)


def test_exactly_130_years_is_accepted() -> None:
    number = with_check("11010518940615123")
    assert check_id_number(number, today=TODAY).birth_date == date(1894, 6, 15)


REJECTED_IDS = [
    pytest.param(wrong_check("11010519491231002"), "the check digit does not match", id="check-digit"),
    pytest.param(wrong_check("11010519900307123"), "the check digit does not match", id="check-digit-2"),
    pytest.param("11010519491231002", "an ID number has 18 characters", id="17-chars"),
    pytest.param("11010519491231002X1", "an ID number has 18 characters", id="19-chars"),
    pytest.param("", "an ID number has 18 characters", id="empty"),
    pytest.param(with_check("11010519900231123"), "the birth date in the ID number is not a real date", id="31-feb"),
    pytest.param(with_check("11010519901301123"), "the birth date in the ID number is not a real date", id="month-13"),
    pytest.param(with_check("11010520240616123"), "the birth date in the ID number is in the future", id="future"),
    pytest.param(
        with_check("11010518940614123"), "the birth date in the ID number is more than 130 years ago", id="too-old"
    ),
    pytest.param(with_check("99010119900101123"), "the region code is unknown", id="unknown-province"),
    pytest.param(with_check("11999919900101123"), "the region code is unknown", id="unknown-county"),
    pytest.param("11010519491231002A", "an ID number is 17 digits followed by a digit or X", id="letter-last"),
    pytest.param("1101051949123100XX", "an ID number is 17 digits followed by a digit or X", id="x-inside"),
    pytest.param("110105-9491231002X", "an ID number is 17 digits followed by a digit or X", id="dash"),
    pytest.param(
        "１１０１０５１９４９１２３１００２X", "an ID number is 17 digits followed by a digit or X", id="full-width"
    ),
    pytest.param("ABCDEFGHIJKLMNOPQR", "an ID number is 17 digits followed by a digit or X", id="letters"),
]


@pytest.mark.parametrize(("raw", "reason"), REJECTED_IDS)
def test_invalid_id_numbers(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_id_number(raw, today=TODAY)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("raw", "reason"), REJECTED_IDS)
def test_id_errors_never_contain_the_number(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_id_number(raw, today=TODAY)
    for text in (str(caught.value), repr(caught.value), caught.value.reason):
        assert re.search(r"\d{4}", text) is None
        digits = re.sub(r"\D", "", raw)
        assert not digits or digits not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


@pytest.mark.parametrize(
    "raw", ["13812341234", "+86 138-1234-1234", "8613812341234", "+8613812341234", "199 0000 1111"]
)
def test_valid_phones(raw: str) -> None:
    expected = re.sub(r"\D", "", raw)[-11:]
    assert check_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12812341234",
        "1381234123",
        "abc",
        "",
        "138123412345",
        "+8612812341234",
        "8712812341234",
        "１３８１２３４１２３４",
    ],
)
def test_invalid_phones_are_rejected_without_echo(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_phone(raw)
    message = str(caught.value)
    assert message == "not a mainland mobile number (11 digits, starting 13-19)"
    assert re.search(r"\d{4}", message) is None
    assert raw not in message or raw == ""


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("张三", ("zhangsan", "zs")),
        ("欧阳娜娜", ("ouyangnana", "oynn")),
        ("李·Tom", ("litom", "lt")),
        ("王小明", ("wangxiaoming", "wxm")),
        ("绿 小 叶", ("lvxiaoye", "lxy")),
        ("Tom Lee 2", ("tomlee2", "tl2")),
        ("买买提·Ａｌｉ", ("maimaitiali", "mmta")),
        ("张三!", ("zhangsan", "zs")),
        ("", ("", "")),
    ],
)
def test_name_keys(name: str, keys: tuple[str, str]) -> None:
    assert name_keys(name) == keys


@pytest.mark.parametrize(
    ("q", "key"),
    [
        ("Zhang San", "zhangsan"),
        ("xi'an", "xian"),
        ("Xi’an", "xian"),
        ("ou-yang", "ouyang"),
        ("  ZS ", "zs"),
        ("ＺＨＡＮＧ", "zhang"),
        ("lü", "lv"),
        ("张 三", "张三"),
    ],
)
def test_search_key(q: str, key: str) -> None:
    assert search_key(q) == key


def test_search_keys_match_name_keys() -> None:
    full, initials = name_keys("欧阳娜娜")
    assert search_key("Ou'Yang Na-Na") == full
    assert search_key("O Y N N") == initials


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1990, 3, 7), date(2020, 3, 6), 29),
        (date(1990, 3, 7), date(2020, 3, 7), 30),
        (date(1990, 3, 7), date(2020, 3, 8), 30),
        (date(1990, 3, 7), date(1990, 3, 7), 0),
        (date(2000, 2, 29), date(2021, 2, 28), 20),
        (date(2000, 2, 29), date(2021, 3, 1), 21),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_on_a_day_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))
