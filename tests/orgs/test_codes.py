import datetime

import pytest
from django.core.exceptions import ValidationError

from orgs.codes import (
    credit_code_problem,
    id_number_problem,
    is_valid_credit_code,
    is_valid_id_number,
    make_credit_code,
    mask_id_number,
    validate_credit_code,
    validate_id_number,
)


def test_the_published_example_code_passes_the_check_character_algorithm():
    # 91350100M000100Y43 is the example printed with GB 32100 explanations (a company, not civil affairs):
    # its check character is right, and the civil-affairs rule then rejects its 91 prefix.
    assert credit_code_problem("91350100M000100Y43") == "统一社会信用代码不是民政部门登记的代码（应以 51、52、53 或 59 开头）。"
    assert "校验位" in credit_code_problem("91350100M000100Y44")


@pytest.mark.parametrize("type_char,kind", [("1", "social_group"), ("2", "service_institution"), ("3", "foundation")])
def test_a_civil_affairs_code_is_valid_for_its_kind(type_char, kind):
    code = make_credit_code(type_char, "520102", "MJ0000012")
    assert is_valid_credit_code(code, kind)


def test_the_prefix_must_match_the_organization_kind():
    code = make_credit_code("1", "520102", "MJ0000012")  # 51: a 社会团体
    assert credit_code_problem(code, "foundation") == "统一社会信用代码以 51 开头，与组织类型不符（应以 53 开头）。"


@pytest.mark.parametrize(
    "code,message",
    [
        ("5252010", "统一社会信用代码应为 18 位。"),
        ("52520102MJ000001IO", "不允许的字符"),
        (make_credit_code("2", "990102", "MJ0000012"), "第 3–8 位不是有效的行政区划代码"),
    ],
)
def test_bad_codes_say_what_is_wrong_in_chinese(code, message):
    assert message in credit_code_problem(code)


def test_a_single_changed_character_is_caught_by_the_check_character():
    code = make_credit_code("2", "520102", "MJ0000012")
    tampered = code[:10] + ("1" if code[10] != "1" else "2") + code[11:]
    assert not is_valid_credit_code(tampered)


def test_credit_code_validator_raises_a_django_validation_error():
    with pytest.raises(ValidationError) as error:
        validate_credit_code("123")
    assert error.value.messages == ["统一社会信用代码应为 18 位。"]
    validate_credit_code(make_credit_code("3", "100000", "MJ0000999"))


def test_the_standards_own_id_number_example_is_valid():
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")  # lower-case x is accepted


@pytest.mark.parametrize(
    "value,message",
    [
        ("110105194912310021", "校验位不正确"),
        ("11010519491331002X", "出生日期无效"),
        ("1101051949123100", "应为 18 位"),
        ("99010519491231002X", "行政区划代码"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(value, message):
    assert message in id_number_problem(value)


def test_an_id_number_born_in_the_future_is_invalid():
    assert "出生日期无效" in id_number_problem("11010519491231002X", today=datetime.date(1949, 12, 30))


def test_id_number_validator_and_mask():
    with pytest.raises(ValidationError):
        validate_id_number("110105194912310021")
    assert mask_id_number("11010519491231002X") == "1101**********002X"
