"""Cached filter-form fragments (portal/templatetags/fragments.py): the same HTML as a fresh render, one entry per
query string, and stale as soon as the page cache's generation moves."""

from django.urls import reverse

from orgs.models import ServiceField


def form_html(response) -> str:
    html = response.content.decode()
    start = html.index("filter-form")
    return html[start:html.index("</form>", start)]


def test_a_cached_filter_form_is_the_html_a_fresh_render_gives(client, nanming, settings):
    url = reverse("orgs:directory")
    cached = [form_html(client.get(url, {"q": "养老"})) for _ in range(2)]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    fresh = form_html(client.get(url, {"q": "养老"}))
    assert cached[0] == cached[1] == fresh
    assert 'value="养老"' in fresh


def test_each_query_string_keeps_its_own_values_and_errors(client, nanming):
    url = reverse("orgs:directory")
    first = form_html(client.get(url, {"q": "养老"}))
    bad = client.get(url, {"kind": "no-such-kind"})
    second = form_html(client.get(url, {"q": "助残"}))
    assert 'value="养老"' in first and 'value="助残"' not in first
    assert 'value="助残"' in second and 'value="养老"' not in second
    assert "errorlist" in form_html(bad) and "errorlist" not in second


def test_a_new_service_field_shows_in_the_cached_form_after_it_is_saved(client, nanming):
    url = reverse("volunteers:activities")
    assert "海洋保护" not in form_html(client.get(url))
    ServiceField.objects.create(code="ocean", name="海洋保护", order=99)  # a save bumps the generation
    assert "海洋保护" in form_html(client.get(url))
