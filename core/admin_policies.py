"""Wagtail permission policies by role rather than by Django model permission: officers may look at what their
jurisdiction holds; changes go through the portal's own decision views and services, never the generic
add/edit/delete views."""

from wagtail.permission_policies import ModelPermissionPolicy

from .models import Role


def is_officer(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_role(Role.OFFICER))


class ByRolePolicy(ModelPermissionPolicy):
    """A policy by role: ``actions`` maps each allowed action to who may do it ("officer" or "superuser");
    anything else (delete in particular) is refused. Row scoping is the views' job (core.permissions)."""

    actions: dict[str, str] = {}

    def user_has_permission(self, user, action):
        who = self.actions.get(action)
        if who == "superuser":
            return user.is_active and user.is_superuser
        if who == "officer":
            return is_officer(user)
        return False

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)


class OfficerViewPolicy(ByRolePolicy):
    """Officers and superusers may view; nobody may add, change or delete through the admin's generic views."""

    actions = {"view": "officer"}
