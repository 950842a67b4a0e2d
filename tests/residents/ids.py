"""ID numbers (居民身份证号) for the residents tests: valid ones of the demo county, and the same with
a wrong check digit."""

from __future__ import annotations

from stdnum.cn import ric

from shared.demo import COUNTY


def id_number(birth: str, sequence: str = "123", region: str = COUNTY) -> str:
    """A valid ID number: region + birth date (YYYYMMDD) + 3-digit sequence + its check digit."""
    body = f"{region}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def bad_check_digit(number: str) -> str:
    """The number with another check digit (no longer valid)."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")
