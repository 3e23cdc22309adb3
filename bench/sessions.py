"""A signed-in session made directly in the database, for load tools that send its key as a cookie (wrk in
bench/run.py, the clients of bench/load.py). Call inside a set-up Django with the server's SECRET_KEY."""


def signed_session(user) -> str:
    """A session for ``user`` as a sign-in through the model backend would make it; returns its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
