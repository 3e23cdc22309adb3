"""API authentication shared by every app's router: a bearer token (Wagtail's APIToken) or the session."""

from ninja.security import SessionAuth
from wagtail.api.v3.auth import BearerTokenAuth

session_or_token = [BearerTokenAuth(), SessionAuth()]
