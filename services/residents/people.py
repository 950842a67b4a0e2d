"""A person's identifiers and names: resident ID numbers (居民身份证号码, GB 11643), mainland mobile numbers
and pinyin search keys for Chinese names.

Pure functions, no I/O. pypinyin (55 MiB of dictionaries) and python-stdnum are imported when a name or an
ID number is first checked, not when the process starts: most processes serve reads only for long stretches.
Errors are :class:`InvalidValue` with a short English reason that never repeats the
value it is about, so a reason can go into a response or a log line without leaking personal data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from shared.pii import is_mainland_mobile

Gender = Literal["M", "F"]

MAX_AGE_YEARS = 130

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
# What people put between syllables when they type pinyin: ASCII and typographic apostrophes, hyphens and dashes.
_SEARCH_NOISE = re.compile(r"[\s'\u2018\u2019\u02bc\-\u2010\u2011\u2012\u2013\u2014]+")


class InvalidValue(ValueError):
    """A value a person gave is not acceptable. ``reason`` is safe to show: it never contains the value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A checked resident ID number. ``value`` is left out of the repr so the number cannot reach a log by way
    of an f-string or a traceback."""

    value: str = field(repr=False)
    birth_date: date
    gender: Gender


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _region_ever_existed(number: str) -> bool:
    """Whether the first six digits are a county code in stdnum's table for *any* period.

    stdnum also requires the county to have existed in the birth year, but the code on a card is where it was
    first issued, not where the person was born: someone born in 1990 who got a card in 通州区 after 1997 has
    110112, which stdnum rejects. We accept a code that has existed at some time."""
    from stdnum import numdb

    props = {key: value for _, part in numdb.get("cn/loc").info(number[:6]) for key, value in part.items()}
    return bool(props.get("county"))


def check_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Check an 18-character resident ID number: shape, GB 11643 check digit, birth date, region code.

    Spaces are ignored and a trailing ``x`` is accepted for ``X``. The birth date must not be after ``today``
    (default: the current date) nor more than 130 years before it. Gender comes from the 17th character:
    odd for men, even for women."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

    number = "".join(raw.split())
    if number.endswith("x"):
        number = number[:-1] + "X"
    if len(number) != 18:
        raise InvalidValue("an ID number has 18 characters")
    if not _ID_SHAPE.fullmatch(number):
        raise InvalidValue("an ID number is 17 digits followed by a digit or X")
    try:
        ric.validate(number)
    except InvalidLength:
        raise InvalidValue("an ID number has 18 characters") from None
    except InvalidFormat:
        raise InvalidValue("an ID number is 17 digits followed by a digit or X") from None
    except InvalidChecksum:
        raise InvalidValue("the check digit does not match") from None
    except InvalidComponent:
        try:
            ric.get_birth_date(number)
        except InvalidComponent:
            raise InvalidValue("the birth date in the ID number is not a real date") from None
        if not _region_ever_existed(number):
            raise InvalidValue("the region code is unknown") from None
    except KeyError:
        # stdnum 2.2 raises KeyError('county') for a known province with an unknown county.
        raise InvalidValue("the region code is unknown") from None
    except ValidationError:
        raise InvalidValue("not a valid ID number") from None

    birth = ric.get_birth_date(number)
    day = today if today is not None else date.today()
    if birth > day:
        raise InvalidValue("the birth date in the ID number is in the future")
    if birth < _years_before(day, MAX_AGE_YEARS):
        raise InvalidValue(f"the birth date in the ID number is more than {MAX_AGE_YEARS} years ago")
    gender: Gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(value=number, birth_date=birth, gender=gender)


def check_phone(raw: str) -> str:
    """A mainland mobile number as its 11 digits. Spaces and dashes are ignored, and so is a leading ``+86``
    or ``86`` when 11 digits follow it."""
    digits = "".join(raw.split()).replace("-", "")
    for prefix in ("+86", "86"):
        if digits.startswith(prefix) and _ELEVEN_DIGITS.fullmatch(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
            break
    # is_mainland_mobile uses \d, which also matches full-width and other non-ASCII digits.
    if not (digits.isascii() and is_mainland_mobile(digits)):
        raise InvalidValue("not a mainland mobile number (11 digits, starting 13-19)")
    return digits


def _latin_words(chunk: str) -> str:
    """pypinyin's ``errors`` hook for text without pinyin: keep latin words and digits, lower-cased, separated
    by spaces (split again in :func:`_name_tokens`); drop spaces, ``·`` and punctuation."""
    return " ".join(_LATIN_WORD.findall(chunk.lower()))


def _name_tokens(name: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", name)  # full-width latin letters and digits become ASCII
    converted = lazy_pinyin(text, style=Style.NORMAL, errors=_latin_words)
    return [token for item in converted for token in item.split()]


def name_keys(name: str) -> tuple[str, str]:
    """Search keys for a name: the full pinyin without tones or separators, and the initials.

    ``"张三"`` → ``("zhangsan", "zs")``; ``"欧阳娜娜"`` → ``("ouyangnana", "oynn")``; ``"李·Tom"`` →
    ``("litom", "lt")``. Latin words and digits are kept lower-cased, each counting as one syllable for the
    initials; other characters are dropped. ü is written ``v`` (绿 → ``lv``), as pinyin keyboards type it.

    A character with several readings (多音字) gets pypinyin's default reading, which for surnames is sometimes
    wrong: 单 (Shàn), 曾 (Zēng), 仇 (Qiú), 解 (Xiè), 区 (Ōu) come out as dan, ceng, chou, jie, qu. pypinyin 0.55
    has no surname mode (no such ``Style``, nothing in ``pypinyin.contrib``), so a search for such a person by
    the surname's proper reading will miss; a surname table applied to the first character would fix that.

    The initials are the first letters of the same syllables as the full key (what ``Style.FIRST_LETTER``
    gives), taken from one conversion so the two keys always agree."""
    tokens = _name_tokens(name)
    return "".join(tokens), "".join(token[0] for token in tokens)


def search_key(q: str) -> str:
    """Normalise search text for matching against :func:`name_keys`: full-width forms folded to ASCII,
    lower-cased, without spaces, apostrophes or dashes, and ü written ``v``. ``"Xi'an"`` → ``"xian"``."""
    text = unicodedata.normalize("NFKC", q).lower().replace("ü", "v")
    return _SEARCH_NOISE.sub("", text)


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``. Someone born on 29 February turns a year older on 1 March in other
    years."""
    if day < birth:
        raise ValueError("the day is before the birth date")
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
