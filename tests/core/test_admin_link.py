"""The header's 管理后台 link (and Wagtail's userbar) show for editors only, decided in one query
(core.templatetags.portal_tags.can_open_admin)."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.templatetags.portal_tags import can_open_admin
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def admin_link_shown(client, user) -> bool:
    client.force_login(user)
    return 'href="/admin/"' in client.get("/accounts/").text


def test_the_admin_link_shows_for_officers_superusers_and_holders_of_the_permission_only(
        client, officer_nanming, admin_user, volunteer, outsider):
    editor = UserFactory(name="编辑")
    editor.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    inactive = UserFactory(name="停用", is_superuser=True)

    assert admin_link_shown(client, officer_nanming)  # officers hold access_admin through their role's group
    assert admin_link_shown(client, admin_user) and admin_link_shown(client, editor)
    assert not admin_link_shown(client, volunteer) and not admin_link_shown(client, outsider)
    inactive.is_active = False
    assert can_open_admin(inactive) is False


def test_a_signed_in_page_of_someone_without_the_admin_asks_for_permissions_once(client, outsider):
    client.force_login(outsider)
    client.get("/accounts/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/").status_code == 200
    assert sum("auth_permission" in q["sql"] for q in queries.captured_queries) == 1
