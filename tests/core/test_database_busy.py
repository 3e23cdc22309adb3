"""A busy database never reaches a user as a 500 (issue 11, faults): reads are retried, writes get a 503 that says
nothing was saved. The write test holds SQLite's real write lock from a second connection to the file test database."""

import sqlite3

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.urls import reverse

import portal.views

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held_write_lock():
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE), and ours waiting only 100 ms for it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    connection.ensure_connection()
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout=100")
    yield
    other.execute("ROLLBACK")
    other.close()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout=20000")


def test_a_sign_up_behind_another_writer_gets_a_503_saying_nothing_was_saved_and_saves_nothing(client,
                                                                                             held_write_lock):
    response = client.post(reverse("accounts:signup"), {
        "phone": "13912340001", "name": "李明", "password1": "Qianling#2026", "password2": "Qianling#2026",
    })

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "系统繁忙，您的操作未保存，请稍后重试。" in response.content.decode()
    assert not get_user_model().objects.filter(phone="13912340001").exists()


def test_a_write_asking_for_json_behind_another_writer_gets_a_json_503(client, held_write_lock):
    response = client.post(reverse("accounts:signup"), {"phone": "13912340002", "name": "王芳", "password1": "Qianling#2026",
                                               "password2": "Qianling#2026"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json() == {"detail": "系统繁忙，您的操作未保存，请稍后重试。"}


def test_a_search_that_meets_a_busy_database_once_is_answered_by_a_retry(client, monkeypatch):
    real_search, calls = portal.views.site_search, []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_search(*args, **kwargs)

    monkeypatch.setattr(portal.views, "site_search", busy_once)
    response = client.get(reverse("search"), {"q": "养老"})

    assert response.status_code == 200
    assert len(calls) == 2
    assert "养老" in response.content.decode()


def test_a_search_that_stays_busy_gets_a_503_after_two_retries(client, monkeypatch):
    calls = []

    def always_busy(*args, **kwargs):
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(portal.views, "site_search", always_busy)
    response = client.get(reverse("search"), {"q": "养老"})

    assert response.status_code == 503
    assert len(calls) == 3
    assert "系统繁忙，请稍后重试。" in response.content.decode()


def test_other_database_errors_are_not_hidden_as_busy(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: orgs_organization")

    monkeypatch.setattr(portal.views, "site_search", broken)
    with pytest.raises(OperationalError):
        client.get(reverse("search"), {"q": "养老"})
