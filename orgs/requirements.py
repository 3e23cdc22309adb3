"""What each application must carry (documents) and meet (conditions), with the rule quoted when it fails."""

from decimal import Decimal

from .models.organizations import Organization

DOCUMENTS = {
    "application_form": "登记申请书",
    "charter": "章程草案",
    "capital_proof": "验资证明",
    "domicile_proof": "住所证明",
    "leader_id": "负责人身份证明",
    "member_list": "会员名单",
    "filing_form": "备案申请表",
    "change_form": "变更登记申请书",
    "change_proof": "变更事项证明材料",
    "board_resolution": "理事会（会员大会）决议",
    "deregister_form": "注销登记申请书",
    "liquidation_report": "清算报告",
}


def required_documents(application) -> list[tuple[str, str]]:
    kind = application.kind
    if kind == "establish":
        codes = ["application_form", "charter", "capital_proof", "domicile_proof", "leader_id"]
        if application.org_kind == Organization.Kind.SOCIAL_GROUP:
            codes.append("member_list")
    elif kind == "filing":
        codes = ["filing_form", "charter", "leader_id"]
    elif kind == "change":
        codes = ["change_form", "change_proof", "board_resolution"]
    else:
        codes = ["deregister_form", "liquidation_report", "board_resolution"]
    return [(code, DOCUMENTS[code]) for code in codes]


RESERVED_PREFIXES = ("中国", "全国", "中华")


def condition_problems(application) -> dict[str, str]:
    """Field name → the rule the application breaks, quoted, for 成立登记 and 备案."""
    problems: dict[str, str] = {}
    if application.kind not in ("establish", "filing"):
        return problems
    if application.name.startswith(RESERVED_PREFIXES):
        problems["name"] = "地方登记的社会组织名称不得冠以“中国”“全国”“中华”等字样（《社会团体登记管理条例》第十条）。"
    kind = application.org_kind
    funds = application.funds or Decimal(0)
    if kind == Organization.Kind.SOCIAL_GROUP:
        if application.individual_members < 50 and application.unit_members < 30:
            problems["individual_members"] = (
                "社会团体应有 50 个以上的个人会员或者 30 个以上的单位会员（《社会团体登记管理条例》第十条）。"
            )
        if funds < Decimal("30000"):
            problems["funds"] = "地方性的社会团体和跨行政区域的社会团体应有 3 万元以上活动资金（《社会团体登记管理条例》第十条）。"
    elif kind == Organization.Kind.FOUNDATION:
        if application.foundation_type == "local_public" and funds < Decimal("4000000"):
            problems["funds"] = "地方性公募基金会的原始基金不低于 400 万元人民币（《基金会管理条例》第八条）。"
        elif application.foundation_type != "local_public" and funds < Decimal("2000000"):
            problems["funds"] = "非公募基金会的原始基金不低于 200 万元人民币（《基金会管理条例》第八条）。"
        if not application.foundation_type:
            problems["foundation_type"] = "请选择基金会类型（非公募或地方性公募）。"
    if kind == Organization.Kind.COMMUNITY and application.kind != "filing":
        problems["org_kind"] = "社区社会组织实行备案管理，请选择“备案”事项提交。"
    if application.kind == "filing" and kind != Organization.Kind.COMMUNITY:
        problems["org_kind"] = "备案仅适用于社区社会组织；社会团体、社会服务机构、基金会请申请成立登记。"
    return problems
