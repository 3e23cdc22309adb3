"""The 爱心银行 API for the mini-program: activities, sign-up and cancel, balance and statement, redemption with
an Idempotency-Key; no ID number or full phone number in any response."""

import json

import pytest
from django.urls import reverse

from volunteers.models import SignUp, Transfer, Voucher

from .helpers import balance, credit, make_activity, make_merchant, make_reward, make_shift, register

pytestmark = pytest.mark.django_db

API = "/api/v1/volunteers"


@pytest.fixture
def setup(applicant, org_a, volunteer, merchant):
    activity = make_activity(applicant, org_a)
    shift = make_shift(activity, applicant, capacity=1)
    me = register(volunteer, real_name="孙志愿")
    credit(me, 25, organizer=applicant, activity=activity)
    reward = make_reward(make_merchant(merchant), merchant, points_price=10, stock=5, per_person_limit=5)
    return {"activity": activity, "shift": shift, "me": me, "reward": reward}


def post(client, path, body=None, **headers):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json", **headers)


def test_the_activity_list_is_public_and_rejects_an_unknown_district(client, setup):
    response = client.get(f"{API}/activities")
    assert response.status_code == 200 and response.json()["items"][0]["title"] == "花果园社区助老服务"
    assert client.get(f"{API}/activities", {"district": "999999"}).status_code == 422


def test_a_volunteer_signs_up_and_cancels_through_the_api(client, setup, volunteer):
    client.force_login(volunteer)
    response = post(client, f"{API}/shifts/{setup['shift'].pk}/signup")
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    again = post(client, f"{API}/shifts/{setup['shift'].pk}/signup")
    assert again.status_code == 400 and "已报名" in again.json()["detail"]
    response = post(client, f"{API}/signups/{response.json()['id']}/cancel")
    assert response.json()["status"] == "cancelled" and SignUp.objects.get().status == SignUp.Status.CANCELLED


def test_the_balance_and_statement_match_the_ledger(client, setup, volunteer):
    client.force_login(volunteer)
    me = client.get(f"{API}/me").json()
    items = client.get(f"{API}/me/statement").json()["items"]
    assert me["balance"] == 25 == sum(item["amount"] for item in items)


def test_the_same_idempotency_key_returns_the_same_voucher(client, setup, volunteer):
    client.force_login(volunteer)
    first = post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Voucher.objects.count() == 1 and balance(setup["me"]) == 15
    assert Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count() == 1


def test_the_same_key_with_a_different_body_is_a_conflict(client, setup, volunteer, merchant):
    other = make_reward(setup["reward"].merchant, merchant, points_price=5, title="爱心午餐")
    client.force_login(volunteer)
    post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}, HTTP_IDEMPOTENCY_KEY="abc-2")
    response = post(client, f"{API}/redemptions", {"reward_id": other.pk}, HTTP_IDEMPOTENCY_KEY="abc-2")
    assert response.status_code == 409
    assert Voucher.objects.count() == 1


def test_a_redemption_without_a_key_or_beyond_the_balance_is_refused(client, setup, volunteer):
    client.force_login(volunteer)
    assert post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}).status_code == 422
    for key in ("a", "b"):
        post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}, HTTP_IDEMPOTENCY_KEY=key)
    response = post(client, f"{API}/redemptions", {"reward_id": setup["reward"].pk}, HTTP_IDEMPOTENCY_KEY="c")
    assert response.status_code == 400 and "积分余额不足" in response.json()["detail"]
    assert balance(setup["me"]) == 5


def test_a_person_who_is_not_a_volunteer_gets_403_and_anonymous_401(client, setup, outsider):
    assert client.get(f"{API}/me").status_code == 401
    client.force_login(outsider)
    assert client.get(f"{API}/me").status_code == 403


def test_no_api_response_contains_an_id_number_or_a_full_phone(client, setup, volunteer):
    me = setup["me"]
    client.force_login(volunteer)
    bodies = [client.get(path).text for path in (
        f"{API}/activities", f"{API}/activities/{setup['activity'].pk}", f"{API}/me", f"{API}/me/statement",
        f"{API}/rewards", f"{API}/me/vouchers",
    )]
    for body in bodies:
        assert me.id_number not in body and me.phone not in body
    assert "Idempotency-Key" in client.get(reverse("api-v1:openapi-json")).text  # the header is documented
