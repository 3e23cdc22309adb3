"""个人信息保护法 (issue 11 item 4): ID and phone numbers masked for everyone but their owner and authorized officers,
every unmasked view audited; a person downloads everything the portal holds about them; a volunteer's erasure
pseudonymizes them while their records and the ledger keep balancing."""

import datetime
import io
import json
import zipfile

import pytest
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse
from django.utils import timezone

from core import invariants, privacy
from core.models import AuditEntry, Notification, User
from core.notify import notify
from core.services import create_api_token
from grants import services as grants
from grants.models import GrantApplication, Review
from tests.factories import PASSWORD, UserFactory
from tests.grants.helpers import make_call, submitted
from tests.orgs.test_applications import attach_all, service_institution
from tests.volunteers.helpers import credit, make_activity, make_merchant, make_reward, make_shift, register
from volunteers import services as bank
from volunteers.models import Account, ServiceRecord, Transfer, Volunteer, Voucher


@pytest.fixture
def world(nanming, applicant, org_a):
    """A 南明区 volunteer with 20 points earned on an activity of organization A, 5 spent on a voucher that was
    used (核销), a certificate, and a merchant."""
    user = UserFactory(name="孙志愿", phone="13912345678", email="sun@example.cn")
    volunteer = register(user, real_name="孙志愿", region=nanming)
    activity = make_activity(applicant, org_a)
    record = credit(volunteer, 20, organizer=applicant, activity=activity)
    merchant_user = UserFactory(name="周商家")
    merchant = make_merchant(merchant_user)
    reward = make_reward(merchant, merchant_user, points_price=5)
    voucher = bank.redeem(reward, volunteer=volunteer, acting_user=user, idempotency_key="privacy-1")
    bank.complete_voucher(voucher.code, acting_user=merchant_user)
    certificate = bank.issue_certificate(volunteer, acting_user=user)
    return {"user": user, "volunteer": volunteer, "activity": activity, "record": record, "merchant": merchant_user,
            "voucher": voucher, "certificate": certificate, "organizer": applicant}


def page(client, user, url, method="get"):
    client.force_login(user)
    response = getattr(client, method)(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- masking ----------------------------------------------------------------------------------------------------
def test_no_page_a_non_owner_sees_shows_the_volunteers_id_number_or_phone(client, world, officer_nanming):
    volunteer, id_number, phone = world["volunteer"], world["volunteer"].id_number, world["user"].phone
    shift = make_shift(world["activity"], world["organizer"])
    bank.sign_up(shift, volunteer=volunteer, acting_user=world["user"])
    views = [
        (world["organizer"], reverse("volunteers:manage_activity", args=[world["activity"].pk])),
        (world["organizer"], reverse("volunteers:roster", args=[shift.pk])),
        (world["merchant"], reverse("volunteers:merchant")),
        (UserFactory(), reverse("volunteers:verify", args=[world["certificate"].token])),
        (officer_nanming, reverse("volunteer_admin:index")),
        (officer_nanming, reverse("volunteer_admin:inspect", args=[volunteer.pk])),
        (world["user"], reverse("volunteers:centre")),  # the owner's own overview is masked too
    ]
    for viewer, url in views:
        html = page(client, viewer, url)
        assert id_number not in html, url
        assert phone not in html, url
    assert volunteer.masked_id_number in page(client, UserFactory(), reverse("volunteers:verify",
                                                                               args=[world["certificate"].token]))
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


def test_the_owner_sees_their_full_id_number_without_an_audit_row_and_an_officer_only_on_request_with_one(
        client, world, officer_nanming):
    volunteer = world["volunteer"]
    assert volunteer.id_number in page(client, world["user"], reverse("volunteers:profile"))
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()

    revealed = page(client, officer_nanming, reverse("volunteer_admin:inspect", args=[volunteer.pk]), method="post")
    assert volunteer.id_number in revealed
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert (entry.actor, entry.object_id, entry.region_id) == (officer_nanming, str(volunteer.pk), volunteer.region_id)


def test_an_officer_of_another_district_cannot_reveal_the_id_number(client, world, officer_yunyan):
    client.force_login(officer_yunyan)
    assert client.post(reverse("volunteer_admin:inspect", args=[world["volunteer"].pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


def test_the_review_page_shows_the_applicants_phone_and_the_id_number_to_the_officer_and_audits_both(
        client, officer_nanming, nanming):
    founder = UserFactory(phone="13811112222")
    application = service_institution(founder, nanming)
    attach_all(application, founder)
    from orgs import applications

    applications.submit(application, acting_user=founder)
    html = page(client, officer_nanming, reverse("org_applications:inspect", args=[application.pk]))
    assert "13811112222" in html and application.legal_representative_id_number in html
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.actor == officer_nanming
    assert entry.after == {"fields": ["applicant.phone", "legal_representative_id_number"]}


def test_a_reviewer_sees_the_grant_contacts_phone_masked_and_the_applicant_sees_it_whole(client, city):
    call = make_call(region=city)
    application = submitted(call)
    GrantApplication.objects.filter(pk=application.pk).update(contact_name="吴联系", contact_phone="13700001234")
    officer = UserFactory()
    from core.models import Role
    from core.services import grant_role

    grant_role(officer, Role.OFFICER, acting_user=None, region=city)
    reviewer = UserFactory()
    grant_role(reviewer, Role.REVIEWER, acting_user=None)
    grants.screen(application, acting_user=officer, passed=True)
    grants.assign_reviewers(application, [reviewer], acting_user=officer)
    review = Review.objects.get(application=application)
    grants.declare_conflict(review, acting_user=reviewer, has_conflict=False)

    html = page(client, reviewer, reverse("grants:review", args=[review.pk]))
    assert "137****1234" in html and "13700001234" not in html
    admin_html = page(client, officer, reverse("grant_applications:inspect", args=[application.pk]))
    assert "13700001234" not in admin_html
    assert "13700001234" in page(client, application.applicant, reverse("grants:application", args=[application.pk]))


# --- own-data download -----------------------------------------------------------------------------------------
def download(client, user, fmt="json"):
    client.force_login(user)
    response = client.post(reverse("accounts:my_data_download"), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return response


def test_a_volunteer_downloads_everything_the_portal_holds_about_them_as_json_and_it_is_audited(client, world):
    user, volunteer = world["user"], world["volunteer"]
    create_api_token(user, name="我的脚本")
    response = download(client, user)
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(response.content)
    sections = data["sections"]
    assert sections["account"][0]["phone"] == "13912345678" and sections["account"][0]["email"] == "sun@example.cn"
    assert [r["role"] for r in sections["roles"]] == ["volunteer"]
    profile = sections["volunteer_profile"][0]
    assert profile["id_number"] == volunteer.id_number  # their own number, unmasked
    assert profile["points_balance"] == 15
    assert [r["id"] for r in sections["service_records"]] == [world["record"].pk]
    assert sorted(e["change"] for e in sections["ledger_entries"]) == [-5, 20]
    assert [(v["code"], v["status"]) for v in sections["redemptions"]] == [(world["voucher"].code, "redeemed")]
    assert [c["number"] for c in sections["certificates"]] == [world["certificate"].number]
    assert "token" not in sections["certificates"][0]
    assert sections["api_tokens"][0]["name"] == "我的脚本" and "key_hash" not in sections["api_tokens"][0]
    entry = AuditEntry.objects.get(action="personal_data.export")
    assert entry.actor == user and entry.after["sections"]["service_records"] == 1


def test_the_download_lists_memberships_applications_and_ratings_and_masks_anothers_id_number(
        client, nanming, city, city_officer, applicant, org_a):
    from evaluations.services import submit_rating
    from tests.evaluations.helpers import public_campaign, values, verified_user

    application = service_institution(applicant, nanming)
    campaign = public_campaign(city_officer, city)
    rater = verified_user()
    rating = submit_rating(campaign, org_a, acting_user=rater, values=values(campaign, 4))

    data = json.loads(download(client, applicant).content)["sections"]
    assert [(m["organization"], m["role"]) for m in data["memberships"]] == [(org_a.name, "handler")]
    assert [a["id"] for a in data["org_applications"]] == [application.pk]
    # the legal representative's ID number is another person's: masked even in the applicant's own export
    assert data["org_applications"][0]["legal_representative_id_number"] == "1101**********002X"
    assert "volunteer_profile" not in data and data["ratings"] == []
    rated = json.loads(download(client, rater).content)["sections"]["ratings"]
    assert [(r["id"], r["organization_id"]) for r in rated] == [(rating.pk, org_a.pk)]


def test_the_zip_holds_the_json_and_a_csv_with_a_bom_per_section(client, world):
    response = download(client, world["user"], fmt="zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"data.json", "account.csv", "service_records.csv", "ledger_entries.csv"} <= names
    csv_text = archive.read("volunteer_profile.csv").decode("utf-8")
    assert csv_text.startswith("\ufeff") and world["volunteer"].id_number in csv_text


def test_the_data_page_shows_the_sections_and_a_get_of_the_download_is_refused(client, world):
    html = page(client, world["user"], reverse("accounts:my_data"))
    assert "service_records" in html and "下载" in html
    assert client.get(reverse("accounts:my_data_download")).status_code == 405
    bad = client.post(reverse("accounts:my_data_download"), {"format": "exe"})
    assert bad.status_code == 400 and "请选择 JSON 或 ZIP" in bad.content.decode()
    assert not AuditEntry.objects.filter(action="personal_data.export").exists()


def test_nobody_downloads_another_persons_data_through_the_service(world):
    with pytest.raises(privacy.DomainError):
        privacy.export(world["user"], acting_user=world["merchant"])


# --- erasure --------------------------------------------------------------------------------------------------
def erase(client, user, password=PASSWORD, confirm=True):
    client.force_login(user)
    data = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return client.post(reverse("accounts:erase"), data)


def test_erasure_pseudonymizes_the_volunteer_and_the_books_still_balance(client, world, officer_nanming):
    user, volunteer = world["user"], world["volunteer"]
    notify(user, title="候补转正", body="孙志愿，您已转正")
    transfers_before = Transfer.objects.count()
    balance_before = Account.objects.get(volunteer=volunteer).balance
    assert invariants.check_all() == []

    response = erase(client, user)
    assert response.status_code == 302

    user.refresh_from_db()
    volunteer.refresh_from_db()
    assert user.name.startswith("已注销志愿者#") and volunteer.real_name == user.name
    assert user.phone != "13912345678" and user.phone.startswith("0") and len(user.phone) == 11
    assert user.email == "" and not user.is_active and not user.has_usable_password()
    assert volunteer.id_number is None and volunteer.phone == "" and volunteer.pseudonymized_at is not None
    assert not Notification.objects.filter(user=user).exists()
    # the records, the ledger and the balance are untouched and every invariant holds
    assert ServiceRecord.objects.get(pk=world["record"].pk).volunteer_id == volunteer.pk
    assert Transfer.objects.count() == transfers_before
    assert Account.objects.get(volunteer=volunteer).balance == balance_before == 15
    assert invariants.check_all() == []
    # nobody can sign in with the old number, and the session ended
    backend = ModelBackend()
    assert backend.authenticate(None, username="13912345678", password=PASSWORD) is None
    assert backend.authenticate(None, username=user.phone, password=PASSWORD) is None
    assert client.get(reverse("accounts:profile")).status_code == 302
    # the region's officer sees that it happened, with the pseudonym only
    entry = AuditEntry.objects.get(action="personal_data.erase")
    assert entry.region_id == volunteer.region_id and entry.after["pseudonym"] == user.name
    assert entry.after["points_balance_kept"] == 15 and "孙志愿" not in json.dumps(entry.after, ensure_ascii=False)
    client.force_login(officer_nanming)
    assert client.get(reverse("audit:inspect", args=[entry.pk])).status_code == 200


def test_the_pseudonymized_volunteer_is_shown_by_the_pseudonym_everywhere(client, world, officer_nanming):
    erase(client, world["user"])
    html = page(client, officer_nanming, reverse("volunteer_admin:inspect", args=[world["volunteer"].pk]))
    assert "孙志愿" not in html and "已注销志愿者#" in html and "匿名化" in html
    verify = page(client, UserFactory(), reverse("volunteers:verify", args=[world["certificate"].token]))
    assert "孙志愿" not in verify


def test_two_erasures_get_different_pseudonyms_and_placeholders(client, nanming):
    first, second = register(region=nanming).user, register(region=nanming).user
    for user in (first, second):
        privacy.erase(user, acting_user=user, password=PASSWORD)
        user.refresh_from_db()
    assert first.name != second.name and first.phone != second.phone
    assert Volunteer.objects.filter(id_number__isnull=True).count() == 2


def test_a_wrong_password_is_refused_next_to_the_field_and_nothing_changes(client, world):
    response = erase(client, world["user"], password="wrong")
    assert response.status_code == 400
    assert 'id="id_password_error"' in response.content.decode() and "密码不正确" in response.content.decode()
    world["user"].refresh_from_db()
    assert world["user"].is_active and world["user"].name == "孙志愿"
    assert not AuditEntry.objects.filter(action="personal_data.erase").exists()


def test_erasure_needs_the_confirmation_box(client, world):
    response = erase(client, world["user"], confirm=False)
    assert response.status_code == 400 and "请勾选确认" in response.content.decode()
    assert User.objects.get(pk=world["user"].pk).is_active


def test_an_unused_voucher_or_an_open_sign_up_must_be_settled_first(client, world):
    user, volunteer = world["user"], world["volunteer"]
    other_merchant = UserFactory()
    reward = make_reward(make_merchant(other_merchant), other_merchant, points_price=5, title="爱心早餐")
    voucher = bank.redeem(reward, volunteer=volunteer, acting_user=user, idempotency_key="privacy-2")
    shift = make_shift(world["activity"], world["organizer"])
    bank.sign_up(shift, volunteer=volunteer, acting_user=user)

    form = page(client, user, reverse("accounts:erase"))
    assert "1 张未使用的兑换券" in form and "1 个尚未结束的活动报名" in form
    response = erase(client, user)
    assert response.status_code == 400 and "未使用的兑换券" in response.content.decode()
    assert User.objects.get(pk=user.pk).is_active

    bank.cancel_voucher(voucher, acting_user=user)
    bank.cancel_signup(volunteer.signups.get(shift=shift), acting_user=user)
    assert erase(client, user).status_code == 302
    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.CANCELLED
    assert invariants.check_all() == []


@pytest.mark.parametrize("persona", ["officer_nanming", "reviewer", "merchant", "applicant", "admin_user"])
def test_officers_reviewers_merchants_members_and_administrators_are_refused_in_chinese(db, client, request, persona):
    user = request.getfixturevalue(persona)
    if persona == "merchant":
        make_merchant(user)
    assert privacy.erasure_obstacles(user)
    response = erase(client, user)
    assert response.status_code == 400
    assert "请先" in response.content.decode() or "不能自助注销" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active and user.has_usable_password()


def test_a_member_of_the_public_without_obligations_can_erase_too(client, outsider):
    assert erase(client, outsider).status_code == 302
    outsider.refresh_from_db()
    assert outsider.name.startswith("已注销用户#") and not outsider.is_active


def test_a_past_sign_up_does_not_block_erasure(client, world):
    shift = make_shift(world["activity"], world["organizer"], starts_at=timezone.now() - datetime.timedelta(days=2))
    from volunteers.models import SignUp

    SignUp.objects.create(shift=shift, volunteer=world["volunteer"], status=SignUp.Status.CONFIRMED, position=1)
    assert privacy.erasure_obstacles(world["user"]) == []


def test_the_my_data_page_names_each_section_in_chinese(client, django_user_model):
    user = django_user_model.objects.create_user(phone="13911112222", password="Xy7!pass-word", name="李明")
    client.force_login(user)
    html = client.get("/accounts/my-data/").content.decode()
    assert "账户资料" in html and "积分流水" in html and "我的操作日志" in html
