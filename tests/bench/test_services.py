"""bench.services.measure on a small dataset: one entry per budget of issue 10, each well formed, the ledger
left balanced and everything meant to be rolled back rolled back."""

import datetime

import pytest
from django.utils import timezone

from bench import services as bench
from core import invariants
from evaluations.models import Rating, Result
from grants.models import OcdsRelease
from orgs.models import Application, Certificate
from tests.evaluations.helpers import public_campaign, values, verified_user
from tests.grants.procurement_helpers import signed
from volunteers.models import Merchant, Reward, Transfer, Volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(city_officer, city, org_a, org_b, applicant):
    """A signed contract (with its OCDS releases), a campaign with a few ratings, a registration certificate."""
    contract, _officer = signed()
    campaign = public_campaign(city_officer, city)
    for organization, value in ((org_a, 4), (org_b, 5), (org_a, 3)):
        Rating.objects.create(campaign=campaign, organization=organization, user=verified_user(),
                              values=values(campaign, value))
    application = Application.objects.create(kind=Application.Kind.ESTABLISH, applicant=applicant, organization=org_a,
                                             region=org_a.region, name=org_a.name, org_kind=org_a.kind)
    Certificate.objects.create(organization=org_a, application=application, kind=Certificate.Kind.REGISTRATION,
                               number="民证字第 520102000001 号", issued_on=timezone.localdate(),
                               valid_until=timezone.localdate() + datetime.timedelta(days=1826), issuer="南明区民政局")
    return campaign


def entry(entries, prefix: str) -> dict:
    (found,) = [e for e in entries if e["name"].startswith(prefix)]
    return found


def test_measure_gives_one_sane_entry_per_budget_and_keeps_only_the_switched_off_ledger_rows(dataset):
    releases = OcdsRelease.objects.count()
    results = list(Result.objects.order_by("pk").values_list("pk", "computed_at", "total"))
    scope = Result.objects.filter(campaign=dataset).count()

    entries = bench.measure(redemptions=30, small=10, big=200, reads=20, contracts=4, pdfs=2)

    # One well-formed entry per budget of issue 10; pass is the budget applied to the figure.
    names = [e["name"] for e in entries]
    for prefix in ("积分入账", "积分兑换", "余额读取", "名录 XLSX", "名录 CSV", "OCDS 发布包", "OCDS 记录包",
                   "360Giving", "评价结果计算", "2 份证书 PDF"):
        assert sum(name.startswith(prefix) for name in names) == 1, prefix
    for e in entries:
        assert isinstance(e["pass"], bool) and e["value"] is not None and e["value"] > 0 and e["unit"] and e["budget"]
        if e.get("budget_s") is not None:
            assert e["pass"] == (e["seconds"] <= e["budget_s"])
        if e.get("min_rate_per_s"):
            assert e["pass"] == (e["rate_per_s"] >= e["min_rate_per_s"])
    assert entry(entries, "积分兑换")["min_rate_per_s"] == 1000
    assert entry(entries, "OCDS 发布包")["budget_s"] == 2 and entry(entries, "评价结果计算")["budget_s"] == 30

    # The ledger runs spend what they credit; the throwaway rows stay (append-only) but are switched off.
    credits, redemptions = entry(entries, "积分入账"), entry(entries, "积分兑换")
    assert credits["count"] == redemptions["count"] == 30 and redemptions["balance_after"] == 0
    assert credits["budget"] == bench.REPORT_ONLY and credits["pass"] is True
    ceiling = entry(entries, "数据库单行更新并提交")  # the database's own one-at-a-time commit rate, for reference
    assert ceiling["count"] == 30 and ceiling["budget"] == bench.REPORT_ONLY and ceiling["rate_per_s"] > 0
    assert invariants.ledger() == []
    assert not Volunteer.objects.filter(number__startswith="BENCH", user__is_active=True).exists()
    assert not Reward.objects.filter(title="压测回馈", active=True).exists()
    assert not Merchant.objects.filter(name__startswith="压测商家", active=True).exists()

    # The balance read compares a 200-transfer account with a 10-transfer one, and neither is kept.
    balance = entry(entries, "余额读取")
    assert balance["name"] == "余额读取（200 笔 对 10 笔流水）"
    assert balance["ratio"] == pytest.approx(balance["big_read_ms"] / balance["small_read_ms"], rel=0.05)
    assert Transfer.objects.count() == 60  # only the ledger run's 30 credits and 30 redemptions

    # The OCDS copies and the recomputed results are rolled back.
    assert entry(entries, "OCDS 发布包")["name"].startswith("OCDS 发布包（4 份合同")
    assert OcdsRelease.objects.count() == releases
    assert list(Result.objects.order_by("pk").values_list("pk", "computed_at", "total")) == results
    assert entry(entries, "评价结果计算")["name"] == f"评价结果计算（3 条评价，{scope} 家）"


def test_a_budget_that_cannot_be_measured_fails_instead_of_disappearing(db):
    (ocds,) = bench.measure_ocds(300)
    assert ocds["pass"] is False and ocds["value"] is None and "未测" in ocds["budget"]
