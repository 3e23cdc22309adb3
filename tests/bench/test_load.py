"""bench.load against Django's live server: a few clients for a few seconds read, redeem, cancel, 核销, approve and
sign up without a server error, and the books balance afterwards (the 50-client run is `python bench/load.py`)."""

import contextlib
import sqlite3

import pytest
from django.db import connection

from bench import load
from core import invariants
from core.services import create_api_token
from tests.factories import UserFactory
from tests.volunteers.helpers import (
    credit,
    make_activity,
    make_merchant,
    make_reward,
    make_shift,
    pending_record,
    register,
)
from volunteers.models import Reward, Volunteer, Voucher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_world(admin_user, applicant, org_a):
    """Three volunteers with 30 points each, a merchant's reward, a shift to sign up for, records to approve."""
    activity = make_activity(applicant, org_a)
    make_shift(activity, applicant)
    shop_member = UserFactory(name="店员")
    make_reward(make_merchant(shop_member), shop_member, points_price=5, stock=40, per_person_limit=3)
    for _ in range(3):
        credit(register(), 30, organizer=applicant, activity=activity)
    for _ in range(3):
        pending_record(register(), activity, 60)
    return applicant


def test_three_clients_for_three_seconds_get_no_server_error_and_leave_every_invariant_holding(live_server, small_world):
    data = load.prepare(volunteers=10, organizer_phone=small_world.phone)

    result = load.drive(live_server.url, data, clients=3, seconds=3)

    assert result["requests"] > 0
    assert result["5xx"] == 0 and result["errors"] == 0
    issued = result["by_action"].get("redeem_api", {}).get("201", 0)
    assert issued > 0
    assert Voucher.objects.count() == issued  # a retried key returned its voucher, never a second one
    assert invariants.check_all() == []


@contextlib.contextmanager
def held_write_lock():
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE), and ours waiting only 100 ms for it."""
    connection.ensure_connection()
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout=100")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout=20000")


def test_an_api_redemption_behind_another_writer_gets_a_json_503_not_a_500(client, small_world):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    volunteer = Volunteer.objects.select_related("user").first()
    token = create_api_token(volunteer.user, name="load")
    reward = Reward.objects.get()

    with held_write_lock():
        response = client.post("/api/v1/volunteers/redemptions", {"reward_id": reward.pk},
                               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                               HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 503
    assert response.json() == {"detail": "系统繁忙，您的操作未保存，请稍后重试。"}
    assert response["Retry-After"] == "2"
    assert not Voucher.objects.exists()
