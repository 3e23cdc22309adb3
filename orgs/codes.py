"""统一社会信用代码 (GB 32100-2015): the 18-character code of every registered organization.

Layout: 1 registration authority (5 = civil affairs), 1 organization type (1 社会团体, 2 民办非企业单位 /
社会服务机构, 3 基金会, 9 其他), 6 the division code of the registering authority, 9 the organization code,
1 check character. Characters come from ``0-9`` and ``A-Y`` without I, O, S, V, Z.
"""

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17


def credit_code_check_char(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    if len(code) != 18 or any(ch not in CHARSET for ch in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def make_credit_code(type_char: str, division: str, body: str) -> str:
    """Build a code from its parts and append the check character (used by demo data and tests)."""
    first17 = f"5{type_char}{division}{body}"
    if len(first17) != 17:
        raise ValueError("the parts must make 17 characters")
    return first17 + credit_code_check_char(first17)
