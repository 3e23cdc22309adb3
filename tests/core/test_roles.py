import pytest
from django.urls import reverse

from core.exceptions import PermissionDenied
from core.models import AuditEntry, Role
from core.services import RoleError, grant_role, revoke_role
from tests.factories import UserFactory


def test_an_officer_role_needs_a_jurisdiction(db):
    with pytest.raises(RoleError, match="辖区"):
        grant_role(UserFactory(), Role.OFFICER, acting_user=None)


def test_granting_the_same_role_twice_is_a_domain_error(volunteer):
    with pytest.raises(RoleError, match="已拥有"):
        grant_role(volunteer, Role.VOLUNTEER, acting_user=None)


def test_a_district_officer_cannot_grant_roles_in_another_district(officer_nanming, yunyan, nanming):
    with pytest.raises(PermissionDenied):
        grant_role(UserFactory(), Role.OFFICER, acting_user=officer_nanming, region=yunyan)
    colleague = UserFactory()
    grant_role(colleague, Role.OFFICER, acting_user=officer_nanming, region=nanming)
    assert colleague.has_role(Role.OFFICER)


def test_grant_and_revoke_are_audited_and_move_the_admin_access(client, nanming, admin_user):
    officer = UserFactory()
    assignment = grant_role(officer, Role.OFFICER, acting_user=admin_user, region=nanming)
    assert AuditEntry.objects.filter(action="role.grant", actor=admin_user, object_id=str(officer.pk)).exists()
    client.force_login(officer)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200

    revoke_role(assignment, acting_user=admin_user, reason="调岗")
    assert AuditEntry.objects.filter(action="role.revoke", reason="调岗").exists()
    officer.refresh_from_db()
    assert not officer.groups.exists()
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def test_roles_other_than_officer_do_not_open_the_admin(client, volunteer, merchant):
    for user in (volunteer, merchant):
        client.force_login(user)
        assert client.get(reverse("wagtailadmin_home")).status_code == 302
