"""Settings for a developer's machine and `make run`: DEBUG on, e-mail printed to the console."""

import os

from .base import *  # noqa: F403

PORTAL_ENV = "dev"
DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-never-use-in-production-0123456789")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
