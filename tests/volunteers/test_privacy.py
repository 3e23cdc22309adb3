"""No public page, ranking, export or API response of the portal contains a volunteer's ID number or full phone
number — whoever asks: an anonymous visitor, an unrelated signed-in person, a merchant reading its vouchers.
Where a volunteer must be recognizable (the certificate verification page, the rankings, the merchant's voucher
list) the masked forms appear instead, so that removing the masking fails these tests rather than passing them."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import UserFactory
from volunteers import services

from .helpers import credit, id_number, make_activity, make_merchant, make_reward, make_shift, register

pytestmark = pytest.mark.django_db

OTHER_PHONE = "13712345678"  # a volunteer whose contact phone is not their account's phone


@pytest.fixture
def world(applicant, org_a, merchant, nanming):
    """Four registered volunteers of 南明区 (two consent to their names being shown), each with approved service
    records and signed up for an open shift; a certificate; vouchers issued and completed at a merchant."""
    activity = make_activity(applicant, org_a, title="花果园社区助老服务")
    shift = make_shift(activity, applicant, capacity=10)
    volunteers = [
        register(real_name="孙志愿"),
        register(real_name="李不公开"),
        register(real_name="王愿公开", public_name_consent=True),
        services.register_volunteer(
            UserFactory(name="赵两号"), real_name="赵两号", id_number=id_number(), phone=OTHER_PHONE, region=nanming,
            public_name_consent=True,
        ),
    ]
    records = []
    for points, volunteer in zip([12, 8, 6, 4], volunteers, strict=True):
        records.append(credit(volunteer, points, organizer=applicant, activity=activity))
        services.sign_up(shift, volunteer=volunteer, acting_user=volunteer.user)
    certificate = services.issue_certificate(volunteers[0], acting_user=volunteers[0].user)
    shop = make_merchant(merchant, name="花果园爱心理发店")
    reward = make_reward(shop, merchant, points_price=4, stock=10)
    vouchers = [
        services.redeem(reward, volunteer=volunteer, acting_user=volunteer.user, idempotency_key=f"privacy-{i}")
        for i, volunteer in enumerate(volunteers[:3])
    ]
    services.complete_voucher(vouchers[0].code, acting_user=merchant)
    return {"activity": activity, "shift": shift, "volunteers": volunteers, "records": records,
            "certificate": certificate, "merchant": shop, "reward": reward, "vouchers": vouchers, "org": org_a}


def secrets(world) -> list[tuple[str, str]]:
    """Every value that must never be public: each volunteer's ID number, contact phone and account phone."""
    values = []
    for volunteer in world["volunteers"]:
        assert len(volunteer.id_number) == 18 and len(volunteer.phone) == 11 and len(volunteer.user.phone) == 11
        values += [
            (f"{volunteer.real_name} 的公民身份号码", volunteer.id_number),
            (f"{volunteer.real_name} 的联系电话", volunteer.phone),
            (f"{volunteer.real_name} 的账号手机号", volunteer.user.phone),
        ]
    assert OTHER_PHONE in {value for _, value in values}  # the contact phone that differs from the account's
    return values


def assert_no_secrets(body: str, world, where: str) -> None:
    squeezed = re.sub(r"[\s\-]", "", body)  # a number split by spaces or hyphens is still the number
    for label, value in secrets(world):
        assert value not in body and value not in squeezed, f"{where} 显示了{label}"
        assert value.lower() not in body.lower(), f"{where} 显示了{label}"


def public_urls(world) -> list[str]:
    activity, certificate = world["activity"], world["certificate"]
    year = world["records"][0].served_on.year
    rankings = reverse("volunteers:rankings")
    return [
        "/",
        reverse("volunteers:activities"),
        reverse("volunteers:activities") + "?district=520102&open_only=on",
        reverse("volunteers:activity", args=[activity.pk]),
        reverse("volunteers:rewards"),
        rankings,
        f"{rankings}?year={year}",
        f"{rankings}?year={year}&by=points",
        f"{rankings}?year={year}&by=points&district=520102",
        f"{rankings}?year={year}&by=hours&district=520102&month={world['records'][0].served_on.month}",
        reverse("volunteers:verify", args=[certificate.token]),
        "/api/v1/volunteers/activities",
        "/api/v1/volunteers/activities?district=520102",
        f"/api/v1/volunteers/activities/{activity.pk}",
        "/api/v1/volunteers/rewards",
        "/api/v1/orgs/",
        f"/api/v1/orgs/{world['org'].pk}/",
        reverse("orgs:directory"),
        reverse("orgs:export", kwargs={"fmt": "csv"}),
        reverse("orgs:profile", args=[world["org"].pk]),
        reverse("evaluations:campaigns"),
    ]


def text_of(response) -> str:
    """The body as text; an .xlsx export is read cell by cell."""
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                 for value in row if value is not None]
        return "\n".join(cells)
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_no_public_page_ranking_or_api_list_shows_an_id_number_or_a_full_phone_number(client, world, persona, request):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secrets(text_of(response), world, url)


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_the_registry_export_in_csv_and_xlsx_carries_no_volunteer_id_number_or_phone(client, world, persona, request):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("orgs:export", kwargs={"fmt": fmt}))
        assert response.status_code == 200
        body = text_of(response)
        assert world["org"].name in body  # the export was read, not an empty file
        assert_no_secrets(body, world, f"名录导出（{fmt}）")


def test_the_public_activity_pages_and_api_show_the_activity_but_no_volunteer(client, world):
    activity = world["activity"]
    page = client.get(reverse("volunteers:activity", args=[activity.pk])).text
    detail = client.get(f"/api/v1/volunteers/activities/{activity.pk}").json()
    assert activity.title in page and detail["title"] == activity.title
    assert detail["shifts"][0]["confirmed"] == len(world["volunteers"])
    for volunteer in world["volunteers"]:
        assert volunteer.real_name not in page and volunteer.real_name not in str(detail)
        assert volunteer.number not in page and volunteer.number not in str(detail)


def test_the_verification_page_shows_the_id_number_and_the_name_masked(client, world, outsider):
    sun = world["volunteers"][0]
    url = reverse("volunteers:verify", args=[world["certificate"].token])
    for signed_in in (False, True):
        if signed_in:
            client.force_login(outsider)
        page = client.get(url).text
        assert re.search(rf"{sun.id_number[:4]}\*{{10}}{re.escape(sun.id_number[-4:])}", page)
        assert sun.masked_id_number in page and sun.masked_name == "孙**" and "孙**" in page
        assert sun.real_name not in page
        assert_no_secrets(page, world, "证明核验页")


def test_the_rankings_mask_names_without_consent_and_show_no_id_numbers_or_phones(client, world):
    year = world["records"][0].served_on.year
    for query in ({"year": year}, {"year": year, "by": "points", "district": "520102"}):
        page = client.get(reverse("volunteers:rankings"), query).text
        assert "孙**" in page and "李***" in page  # no consent: the surname and stars
        assert "孙志愿" not in page and "李不公开" not in page
        assert "王愿公开" in page and "赵两号" in page  # consent: the name, and still nothing else
        assert page.index("孙**") < page.index("李***") < page.index("王愿公开") < page.index("赵两号")
        assert_no_secrets(page, world, f"好市民榜 {query}")


def test_the_merchants_voucher_list_shows_masked_names_and_no_id_number_or_phone(client, world, merchant):
    client.force_login(merchant)
    for url in (reverse("volunteers:merchant"), reverse("volunteers:merchant") + "?status=redeemed",
                reverse("volunteers:merchant_complete") + f"?code={world['vouchers'][1].code}"):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_secrets(response.text, world, url)
    page = client.get(reverse("volunteers:merchant")).text
    assert all(voucher.code in page for voucher in world["vouchers"])
    assert "孙**" in page and "李***" in page and "王***" in page  # the merchant's list masks even consenting names
    assert "孙志愿" not in page and "王愿公开" not in page


def test_the_search_is_for_real_values_the_owner_sees_their_own_full_number(client, world):
    """The check above is not vacuous: the volunteer's own profile page (not public) does show the full ID number
    and the contact phone, and assert_no_secrets rejects it."""
    zhao = world["volunteers"][3]
    client.force_login(zhao.user)
    page = client.get(reverse("volunteers:profile")).text
    assert zhao.id_number in page and OTHER_PHONE in page
    with pytest.raises(AssertionError):
        assert_no_secrets(page, world, "本人的志愿者信息页")
