"""The floor of the benchmark: the smallest Django that answers a request, served the same way as the portal."""

SECRET_KEY = "bench-floor-only"  # noqa: S105 - a local benchmark process, never deployed  # nosec B105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.hello.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
