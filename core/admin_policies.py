"""Wagtail permission policies by role rather than by Django model permission: officers may look at what their
jurisdiction holds; changes go through the portal's own decision views and services, never the generic
add/edit/delete views."""

from wagtail.permission_policies import ModelPermissionPolicy

from .models import Role


class OfficerViewPolicy(ModelPermissionPolicy):
    """Officers and superusers may view; nobody may add, change or delete through the admin's generic views.
    Row scoping is the views' job (core.permissions.visible_to)."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return user.is_active and (user.is_superuser or user.has_role(Role.OFFICER))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)
