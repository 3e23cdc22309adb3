"""A redemption replayed with its Idempotency-Key neither loses nor doubles points: not after the server restarted
(the replay comes from a fresh Python process with its own Django, connections and cache), and not when the
replay arrives while the first request is still inside its transaction.

Transactional on the file SQLite test database (or PostgreSQL with DATABASE_URL): the other process and the other
thread must see what the first request committed.
"""

import json
import os
import subprocess  # nosec B404 - runs this project's own Python on the test database
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from core.services import create_api_token
from tests.threads import run_in_threads
from volunteers import services
from volunteers.models import Reward, Transfer, Voucher

from .helpers import balance, credit, make_merchant, make_reward, recomputed, register

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/volunteers/redemptions"

# A restarted server: a new interpreter sets Django up from scratch on the same database and sends the request.
REPLAY = r"""
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["REPLAY_DATABASE"]
import django
django.setup()
from django.test import Client
response = Client().post(
    os.environ["REPLAY_URL"], data=os.environ["REPLAY_BODY"], content_type="application/json",
    headers={"Authorization": "Bearer " + os.environ["REPLAY_TOKEN"], "Idempotency-Key": os.environ["REPLAY_KEY"]},
)
print(json.dumps({"status": response.status_code, "body": response.json()}, ensure_ascii=False))
"""


@pytest.fixture
def world(volunteer, applicant, activity, merchant):
    """A volunteer with 25 points and a bearer token; a reward of 10 points with 5 in stock."""
    member = register(volunteer)
    credit(member, 25, organizer=applicant, activity=activity)
    reward = make_reward(make_merchant(merchant), merchant, points_price=10, stock=5, per_person_limit=3)
    return {"member": member, "reward": reward, "token": create_api_token(volunteer, name="小程序")}


def redeem(world, key: str, client: Client | None = None):
    return (client or Client()).post(
        URL, data=json.dumps({"reward_id": world["reward"].pk}), content_type="application/json",
        headers={"Authorization": f"Bearer {world['token']}", "Idempotency-Key": key},
    )


def replay_in_a_new_process(world, key: str) -> dict:
    env = {**os.environ, "REPLAY_DATABASE": str(connection.settings_dict["NAME"]), "REPLAY_URL": URL,
           "REPLAY_BODY": json.dumps({"reward_id": world["reward"].pk}), "REPLAY_TOKEN": world["token"],
           "REPLAY_KEY": key}
    done = subprocess.run([sys.executable, "-c", REPLAY], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180, check=False)  # nosec B603 - fixed argv
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_redeemed_once(world):
    member = world["member"]
    assert Voucher.objects.count() == 1
    assert Transfer.objects.filter(source=Transfer.Source.REDEMPTION).count() == 1
    assert balance(member) == recomputed(member) == 15
    assert Reward.objects.get(pk=world["reward"].pk).stock == 4


def test_a_replay_after_a_server_restart_returns_the_same_voucher_and_moves_no_points(world):
    first = redeem(world, "mp-7f3a-0001")
    assert first.status_code == 201
    connection.close()  # this "server" is gone; the replay comes from a new process

    replay = replay_in_a_new_process(world, "mp-7f3a-0001")

    assert replay == {"status": 201, "body": first.json()}
    assert_redeemed_once(world)
    assert services.statement(world["member"]).filter(source=Transfer.Source.REDEMPTION).count() == 1


def test_a_replay_after_a_restart_with_another_body_is_refused_and_moves_nothing(world, merchant):
    other = make_reward(world["reward"].merchant, merchant, points_price=5, title="爱心午餐")
    assert redeem(world, "mp-7f3a-0002").status_code == 201
    world_other = {**world, "reward": other}

    replay = replay_in_a_new_process(world_other, "mp-7f3a-0002")

    assert replay["status"] == 409
    assert_redeemed_once(world)
    assert Reward.objects.get(pk=other.pk).stock == 5


def test_a_replay_while_the_first_request_is_still_in_flight_gets_the_same_voucher(world, monkeypatch):
    """The first request stops inside its transaction right after the voucher row is written; the replay is sent
    then, waits for the first to commit (SQLite's write lock, PostgreSQL's row lock on the reward) and returns the
    voucher the first one made."""
    in_flight, release = threading.Event(), threading.Event()
    original = services.ledger.post

    def slow_post(*args, **kwargs):
        if threading.current_thread().name == "first":
            in_flight.set()
            assert release.wait(timeout=60)
        return original(*args, **kwargs)

    monkeypatch.setattr(services.ledger, "post", slow_post)
    responses = {}

    def send(name):
        def job():
            threading.current_thread().name = name
            if name == "replay":
                assert in_flight.wait(timeout=60)
                # Let the replay reach the database before the first is released.
                threading.Timer(0.5, release.set).start()
            responses[name] = redeem(world, "mp-7f3a-0003")
            return responses[name].status_code
        return job

    statuses = run_in_threads(send("first"), send("replay"))

    assert statuses == [201, 201], statuses
    assert responses["first"].json() == responses["replay"].json()
    assert_redeemed_once(world)
