"""The anonymous page cache (portal.cache): whole public pages served without queries to visitors who are not
signed in, made stale by every publish and by changes to the domain rows the pages show."""

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import transaction
from django.middleware.csrf import get_token
from django.test import override_settings
from wagtail import hooks

from portal import cache as page_cache
from tests.factories import OrganizationFactory
from tests.grants.helpers import officer_for

from .factories import StandardPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide():
    return StandardPageFactory(title="办事指南", slug="guide", intro="第一版导语")


def x_cache(response):
    return response.headers.get("X-Cache")


def test_the_second_anonymous_request_is_served_from_the_cache_without_queries(client, guide, django_assert_num_queries):
    first = client.get(guide.url)
    assert first.status_code == 200 and x_cache(first) == "miss"
    with django_assert_num_queries(0):
        second = client.get(guide.url)
    assert second.status_code == 200 and x_cache(second) == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_the_home_page_is_cached_too(client, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert x_cache(client.get("/")) == "hit"


def test_a_head_request_is_answered_from_the_cache(client, guide):
    client.get(guide.url)
    assert x_cache(client.head(guide.url)) == "hit"


def test_publishing_a_new_revision_shows_on_the_next_request(client, guide):
    assert "第一版导语" in client.get(guide.url).content.decode()
    guide.intro = "第二版导语"
    guide.save_revision().publish()
    response = client.get(guide.url)
    assert x_cache(response) == "miss"
    assert "第二版导语" in response.content.decode() and "第一版导语" not in response.content.decode()


def test_unpublishing_a_page_takes_it_off_at_once(client, guide):
    client.get(guide.url)
    guide.unpublish()
    assert client.get(guide.url).status_code == 404


def test_deleting_or_moving_a_page_makes_the_cache_stale(client, guide):
    other = StandardPageFactory(title="关于我们", slug="about")
    client.get("/")
    before = page_cache.generation()
    other.move(guide, pos="last-child")
    moved = page_cache.generation()
    assert moved != before
    other.refresh_from_db()
    other.delete()
    assert page_cache.generation() != moved


def test_a_new_page_appears_in_its_parents_cached_listing(client, guide):
    # The home page lists the pages shown in menus; a page added after the home page was cached shows at once.
    client.get("/")
    StandardPageFactory(title="新办事指南", slug="new-guide", show_in_menus=True)
    response = client.get("/")
    assert x_cache(response) == "miss" and "新办事指南" in response.content.decode()


def test_saving_domain_data_shown_on_public_pages_makes_the_cache_stale(client, guide):
    client.get(guide.url)
    OrganizationFactory()
    assert x_cache(client.get(guide.url)) == "miss"


def test_query_string_variations_are_separate_entries(client, guide):
    assert x_cache(client.get(guide.url, {"page": "1"})) == "miss"
    assert x_cache(client.get(guide.url, {"page": "2"})) == "miss"
    assert x_cache(client.get(guide.url, {"page": "1"})) == "hit"
    assert x_cache(client.get(guide.url)) == "miss"


def test_signed_in_users_neither_get_cached_pages_nor_fill_the_cache(client, guide, outsider):
    client.get(guide.url)  # cached for anonymous visitors
    client.force_login(outsider)
    response = client.get(guide.url)
    assert x_cache(response) is None
    assert "郑公众" in response.content.decode() and "退出" in response.content.decode()

    client.get(f"{guide.url}?signed-in-first")
    client.logout()
    anonymous = client.get(f"{guide.url}?signed-in-first")
    assert x_cache(anonymous) == "miss" and "郑公众" not in anonymous.content.decode()


def test_a_visitor_with_pending_messages_is_not_served_from_the_cache(client, guide):
    client.get(guide.url)
    client.cookies[CookieStorage.cookie_name] = "pending"
    assert x_cache(client.get(guide.url)) is None


def _page_hook(action):
    def hook(next_serve):
        def serve(page, request, args, kwargs):
            response = next_serve(page, request, args, kwargs)
            action(request, response)
            return response
        return serve
    return hook


def test_a_response_that_sets_a_cookie_is_not_cached(client, guide):
    with hooks.register_temporarily("on_serve_page", _page_hook(lambda request, response: response.set_cookie("seen", "1"))):
        assert x_cache(client.get(guide.url)) == "miss"
        client.cookies.clear()
        assert x_cache(client.get(guide.url)) == "miss"


def test_a_page_with_a_csrf_token_is_not_cached(client, guide):
    with hooks.register_temporarily("on_serve_page", _page_hook(lambda request, response: get_token(request))):
        client.get(guide.url)
        client.cookies.clear()
        assert x_cache(client.get(guide.url)) == "miss"


def test_a_private_response_is_not_cached(client, guide):
    def private(request, response):
        response["Cache-Control"] = "private"

    with hooks.register_temporarily("on_serve_page", _page_hook(private)):
        client.get(guide.url)
        assert x_cache(client.get(guide.url)) == "miss"


def test_not_found_pages_and_posts_are_not_cached(client, guide):
    assert x_cache(client.get("/no-such-page/")) == "miss"
    assert x_cache(client.get("/no-such-page/")) == "miss"
    client.post(guide.url)
    assert x_cache(client.get(guide.url)) == "miss"


def test_listed_django_views_are_cached_and_others_are_not(client, django_assert_num_queries):
    client.get("/evaluations/")
    with django_assert_num_queries(0):
        assert x_cache(client.get("/evaluations/")) == "hit"
    assert x_cache(client.get("/orgs/")) is None  # the directory is not in PORTAL_PAGE_CACHE_VIEWS


def test_publishing_campaign_results_makes_the_cached_campaign_pages_stale(client, city):
    from tests.evaluations.helpers import public_campaign

    client.get("/evaluations/")
    public_campaign(officer_for(city), city)
    response = client.get("/evaluations/")
    assert x_cache(response) == "miss" and "2026年度五比五看" in response.content.decode()


@override_settings(PORTAL_PAGE_CACHE_SECONDS=0)
def test_a_zero_ttl_turns_the_cache_off(client, guide):
    client.get(guide.url)
    assert x_cache(client.get(guide.url)) is None


def test_a_change_inside_a_transaction_makes_the_cache_stale_again_when_it_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        start = page_cache.generation()
        OrganizationFactory()
        OrganizationFactory()
        assert page_cache.generation() == start + 2
    assert len(callbacks) == 1  # one bump after the commit, however many rows changed
    callbacks[0]()
    assert page_cache.generation() == start + 3


def test_a_cleared_cache_never_reuses_an_earlier_generation():
    from django.core.cache import cache

    first = page_cache.generation()
    page_cache.bump_generation()
    cache.clear()
    assert page_cache.generation() > first + 1
