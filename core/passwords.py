"""Password rules in Chinese where Django's own catalogue has no translation.

Django 5.2's zh_Hans catalogue translates the common, numeric and similarity validators' messages but not the
minimum-length one, so a short password was refused in English at sign-up, password change and reset, and in the
Wagtail admin's user forms. AUTH_PASSWORD_VALIDATORS (portal/settings/base.py) names this class instead.
"""

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import gettext as _


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    """Django's minimum-length rule with its message and help text in Chinese."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
