"""The two national codes the registry checks.

统一社会信用代码 (GB 32100-2015), the 18-character code of every registered organization: 1 registration
authority (5 = civil affairs), 1 organization type (1 社会团体, 2 民办非企业单位/社会服务机构, 3 基金会, 9 其他),
6 the division code of the registering authority (GB/T 2260), 9 the organization code, 1 check character.
Characters come from ``0-9`` and ``A-Y`` without I, O, S, V, Z; the check character makes the weighted sum
(weights 3^(i-1) mod 31) a multiple of 31.

公民身份号码 (GB 11643-1999): 6 division digits, 8 birth-date digits, 3 sequence digits, 1 check character
(ISO 7064 MOD 11-2, ``X`` standing for 10).
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17

# First two digits of a GB/T 2260 code: the provinces, autonomous regions, municipalities and SARs, and 10 for
# organizations registered by the Ministry of Civil Affairs itself (100000). A full list of every county is not
# shipped; the province prefix and six digits are what can be checked offline.
PROVINCE_PREFIXES = {
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}
# The civil-affairs type character for each organization kind (positions 1–2 of the code: 51, 52, 53, 59).
KIND_TYPE_CHAR = {"social_group": "1", "service_institution": "2", "foundation": "3"}


def credit_code_check_char(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str, kind: str | None = None) -> str | None:
    """Why ``code`` is not a valid civil-affairs credit code (for ``kind`` when given), or None if it is."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return _("统一社会信用代码应为 18 位。")
    bad = [ch for ch in code if ch not in CHARSET]
    if bad:
        return _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。") % {"chars": "".join(bad)}
    if credit_code_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不正确，请核对后重新输入。")
    if code[0] != "5" or code[1] not in "1239":
        return _("统一社会信用代码不是民政部门登记的代码（应以 51、52、53 或 59 开头）。")
    division = code[2:8]
    if not division.isdigit() or division[:2] not in PROVINCE_PREFIXES:
        return _("统一社会信用代码第 3–8 位不是有效的行政区划代码。")
    if kind in KIND_TYPE_CHAR and code[1] != KIND_TYPE_CHAR[kind]:
        expected = "5" + KIND_TYPE_CHAR[kind]
        return _("统一社会信用代码以 %(prefix)s 开头，与组织类型不符（应以 %(expected)s 开头）。") % {
            "prefix": code[:2], "expected": expected,
        }
    return None


def is_valid_credit_code(code: str, kind: str | None = None) -> bool:
    return credit_code_problem(code, kind) is None


def validate_credit_code(value: str) -> None:
    """Django validator: a well-formed civil-affairs credit code (the kind is checked by the form or model)."""
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_credit_code")


def make_credit_code(type_char: str, division: str, body: str) -> str:
    """Build a code from its parts and append the check character (used by demo data and tests)."""
    first17 = f"5{type_char}{division}{body}"
    if len(first17) != 17:
        raise ValueError("the parts must make 17 characters")
    return first17 + credit_code_check_char(first17)


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """The 18th character of a 公民身份号码 (GB 11643, ISO 7064 MOD 11-2) for its first seventeen digits."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def make_id_number(division: str, born: datetime.date, sequence: int) -> str:
    """Build an ID number from its parts with its check character (used by demo data and tests)."""
    first17 = f"{division}{born:%Y%m%d}{sequence:03d}"
    if len(first17) != 17:
        raise ValueError("the parts must make 17 digits")
    return first17 + id_check_char(first17)


def id_number_problem(value: str, today: datetime.date | None = None) -> str | None:
    """Why ``value`` is not a valid 18-digit 公民身份号码, or None if it is."""
    value = (value or "").strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _("公民身份号码应为 18 位，前 17 位为数字，最后一位为数字或 X。")
    if value[:2] not in PROVINCE_PREFIXES - {"10"}:
        return _("公民身份号码前 6 位不是有效的行政区划代码。")
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("公民身份号码中的出生日期无效。")
    if born.year < 1900 or born > (today or datetime.date.today()):
        return _("公民身份号码中的出生日期无效。")
    if id_check_char(value[:17]) != value[17]:
        return _("公民身份号码校验位不正确，请核对后重新输入。")
    return None


def is_valid_id_number(value: str) -> bool:
    return id_number_problem(value) is None


def validate_id_number(value: str) -> None:
    problem = id_number_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_id_number")


def mask_id_number(value: str) -> str:
    """5201**********123X — how an ID number is shown to anyone but its owner and authorized officers."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return "******"
    return f"{value[:4]}{'*' * 10}{value[-4:]}"
