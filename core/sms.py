"""Text messages to mobile phones (verification codes). The backend is a setting, like Django's e-mail
backends: ``PORTAL_SMS_BACKEND``.

No gateway ships with the portal, because each bureau contracts its own (the government SMS platform or a
carrier's). The default backend writes the message to the ``portal.sms`` log — on ``make run`` the code
appears in the terminal, as Django's console e-mail backend does; tests use the in-memory outbox. A
deployment plugs its gateway in with a class that has ``send(phone, text)``.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")

outbox: list[tuple[str, str]] = []


class LogBackend:
    def send(self, phone: str, text: str) -> None:
        logger.warning("短信 → %s：%s", phone, text)


class LocmemBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


def send(phone: str, text: str) -> None:
    backend = import_string(getattr(settings, "PORTAL_SMS_BACKEND", "core.sms.LogBackend"))()
    backend.send(phone, text)
