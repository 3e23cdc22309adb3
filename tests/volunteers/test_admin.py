"""The officers' 爱心银行 pages in the Wagtail admin: scoped to the jurisdiction, ID numbers masked (the full number
on request, audited), merchants and their members, 好市民 awards with bonus points credited once."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Role
from tests.factories import UserFactory
from volunteers.models import Award, Merchant, ServiceCategory, Transfer

from .helpers import balance, make_merchant, register


def test_an_officer_sees_a_volunteer_of_the_district_and_another_district_gets_404(
        client, officer_nanming, officer_yunyan, nanming):
    volunteer = register(region=nanming, real_name="孙志愿")
    url = reverse("volunteer_admin:inspect", args=[volunteer.pk])

    client.force_login(officer_nanming)
    page = client.get(url)
    assert page.status_code == 200
    assert volunteer.number in page.content.decode() and "孙志愿" in page.content.decode()

    client.force_login(officer_yunyan)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert volunteer.number not in client.get(reverse("volunteer_admin:index")).content.decode()
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


def test_the_index_shows_the_masked_id_number_never_the_full_one(client, officer_nanming, nanming):
    volunteer = register(region=nanming)
    client.force_login(officer_nanming)
    for name in ("volunteer_admin:index", "volunteer_admin:index_results"):
        page = client.get(reverse(name)).content.decode()
        assert volunteer.number in page
        assert volunteer.masked_id_number in page
        assert volunteer.id_number not in page
    inspect = client.get(reverse("volunteer_admin:inspect", args=[volunteer.pk])).content.decode()
    assert volunteer.masked_id_number in inspect and volunteer.id_number not in inspect
    assert "查看完整证件号码" in inspect


def test_revealing_the_id_number_shows_it_once_and_writes_one_audit_row(client, officer_nanming, nanming):
    volunteer = register(region=nanming)
    url = reverse("volunteer_admin:inspect", args=[volunteer.pk])
    client.force_login(officer_nanming)

    revealed = client.post(url)
    assert revealed.status_code == 200
    assert volunteer.id_number in revealed.content.decode()
    entries = AuditEntry.objects.filter(action="personal_data.view")
    assert entries.count() == 1
    assert entries.get().object_id == str(volunteer.pk)

    again = client.get(url).content.decode()  # the next page shows the masked number again
    assert volunteer.id_number not in again
    assert entries.count() == 1


def test_the_volunteer_page_shows_balance_records_and_transfers(client, officer_nanming, nanming):
    volunteer = register(region=nanming)
    client.force_login(officer_nanming)
    client.post(reverse("volunteer_awards:add"), award_data(volunteer, nanming, bonus_points=30))
    page = client.get(reverse("volunteer_admin:inspect", args=[volunteer.pk])).content.decode()
    assert "积分余额：<strong>30</strong>" in page
    assert "好市民奖励" in page and "+30" in page
    assert "已确认服务记录 0 条" in page


def merchant_data(region, **overrides):
    return {"name": "花果园爱心理发店", "region": region.pk, "address": "南明区花果园大街 8 号",
            "contact_phone": "0851-85551234", "introduction": "为志愿者免费理发", "active": "on", **overrides}


def test_an_officer_adds_a_merchant_in_the_jurisdiction_but_not_in_another_district(
        client, officer_nanming, nanming, yunyan):
    client.force_login(officer_nanming)

    refused = client.post(reverse("volunteer_merchants:add"), merchant_data(yunyan, name="云岩区爱心超市"))
    assert refused.status_code == 200
    assert "只能选择本人辖区内的区划" in refused.content.decode()
    assert not Merchant.objects.filter(name="云岩区爱心超市").exists()

    created = client.post(reverse("volunteer_merchants:add"), merchant_data(nanming))
    assert created.status_code == 302
    merchant = Merchant.objects.get(name="花果园爱心理发店")
    assert merchant.region == nanming
    assert AuditEntry.objects.filter(action="volunteers.merchant.create", object_id=str(merchant.pk)).exists()


def test_another_districts_officer_cannot_see_or_edit_a_merchant(client, officer_yunyan, nanming, applicant):
    merchant = make_merchant(applicant, region=nanming)
    client.force_login(officer_yunyan)
    assert client.get(reverse("volunteer_merchants:inspect", args=[merchant.pk])).status_code == 404
    assert client.get(reverse("volunteer_merchants:edit", args=[merchant.pk])).status_code == 404
    assert client.post(reverse("volunteer_merchants:edit", args=[merchant.pk]),
                       merchant_data(nanming, name="改名")).status_code == 404
    assert client.post(reverse("volunteer_merchants:inspect", args=[merchant.pk]), {"phone": "13900000000"}).status_code == 404
    merchant.refresh_from_db()
    assert merchant.name != "改名"


def test_adding_a_member_by_phone_grants_the_merchant_role(client, officer_nanming, nanming, applicant):
    merchant = make_merchant(applicant, region=nanming)
    shopkeeper = UserFactory(name="周店长")
    url = reverse("volunteer_merchants:inspect", args=[merchant.pk])
    client.force_login(officer_nanming)

    unknown = client.post(url, {"phone": "19999999999"})
    assert unknown.status_code == 200
    assert "没有使用该手机号码注册的用户" in unknown.content.decode()

    added = client.post(url, {"phone": shopkeeper.phone})
    assert added.status_code == 302
    assert merchant.members.filter(pk=shopkeeper.pk).exists()
    shopkeeper.refresh_from_db()
    shopkeeper.__dict__.pop("_active_roles", None)
    assert shopkeeper.has_role(Role.MERCHANT)
    assert "周店长" in client.get(url).content.decode()


def award_data(volunteer, region, **overrides):
    return {"volunteer_number": volunteer.number, "year": str(timezone.localdate().year), "region": region.pk,
            "title": "好市民", "citation": "常年在社区开展助老服务", "bonus_points": "50", **overrides}


def test_conferring_an_award_credits_the_bonus_points_once(client, officer_nanming, nanming):
    volunteer = register(region=nanming)
    client.force_login(officer_nanming)

    response = client.post(reverse("volunteer_awards:add"), award_data(volunteer, nanming))
    assert response.status_code == 302, response.content.decode()[:2000]
    award = Award.objects.get(volunteer=volunteer)
    assert award.bonus_points == 50 and award.conferred_by == officer_nanming
    assert balance(volunteer) == 50

    again = client.post(reverse("volunteer_awards:add"), award_data(volunteer, nanming))
    assert again.status_code == 200
    assert "已获" in again.content.decode()
    assert balance(volunteer) == 50
    assert Transfer.objects.filter(source=Transfer.Source.AWARD).count() == 1
    assert volunteer.number in client.get(reverse("volunteer_awards:index")).content.decode()


def test_an_award_for_a_volunteer_of_another_district_is_a_field_error(client, officer_yunyan, nanming, yunyan):
    volunteer = register(region=nanming)
    client.force_login(officer_yunyan)
    response = client.post(reverse("volunteer_awards:add"), award_data(volunteer, yunyan))
    assert response.status_code == 200
    assert "未找到该志愿者编号，或该志愿者不在您的辖区" in response.content.decode()
    refused = client.post(reverse("volunteer_awards:add"), award_data(volunteer, nanming))
    assert "只能选择本人辖区内的区划" in refused.content.decode()
    assert not Award.objects.exists()
    assert balance(volunteer) == 0


def test_officers_see_the_points_rules_and_only_a_superuser_changes_them(client, officer_nanming, admin_user):
    category = ServiceCategory.objects.get(code="general")
    client.force_login(officer_nanming)
    assert "一般志愿服务" in client.get(reverse("volunteer_categories:index")).content.decode()
    home = reverse("wagtailadmin_home")  # Wagtail answers a refused permission by sending the officer home
    assert client.get(reverse("volunteer_categories:add"))["Location"] == home
    refused = client.post(reverse("volunteer_categories:edit", args=[category.pk]),
                          {"name": "一般志愿服务", "code": "general", "points_per_hour": "9", "order": "10"})
    assert refused.status_code == 302 and refused["Location"] == home
    category.refresh_from_db()
    assert category.points_per_hour == 1

    client.force_login(admin_user)
    response = client.post(reverse("volunteer_categories:edit", args=[category.pk]),
                           {"name": "一般志愿服务", "code": "general", "points_per_hour": "2", "description": "",
                            "order": "10"})
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.points_per_hour == 2
    entry = AuditEntry.objects.get(action="volunteers.category.edit")
    assert entry.after["points_per_hour"] == 2 and entry.actor == admin_user


def test_people_without_the_officer_role_cannot_open_the_admin_pages(client, volunteer, merchant, outsider, nanming):
    registered = register(region=nanming)
    urls = [reverse(name) for name in ("volunteer_admin:index", "volunteer_merchants:index", "volunteer_merchants:add",
                                       "volunteer_awards:index", "volunteer_awards:add", "volunteer_categories:index")]
    urls.append(reverse("volunteer_admin:inspect", args=[registered.pk]))
    for person in (volunteer, merchant, outsider, registered.user):
        client.force_login(person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"], (person, url)
        assert client.post(urls[-1]).status_code == 302
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()


def test_the_love_bank_admin_has_no_delete_copy_history_or_usage_pages():
    from django.urls import NoReverseMatch

    for namespace in ("volunteer_admin", "volunteer_merchants", "volunteer_awards", "volunteer_categories"):
        for name in ("delete", "copy", "history", "usage"):
            with pytest.raises(NoReverseMatch):
                reverse(f"{namespace}:{name}", args=[1])


def test_the_menu_groups_the_pages_under_love_bank(client, officer_nanming):
    client.force_login(officer_nanming)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert json.dumps("爱心银行")[1:-1] in page  # the sidebar's menu is JSON, non-ASCII escaped
    for name in ("volunteer_admin:index", "volunteer_awards:index", "volunteer_merchants:index",
                 "volunteer_categories:index"):
        assert f'"url": "{reverse(name)}"' in page
