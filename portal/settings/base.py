"""Settings shared by every environment.

Everything that differs between a laptop and a bureau's servers comes from the environment:
``DATABASE_URL`` (default: SQLite under ``var/``), ``REDIS_URL`` (optional cache), ``SECRET_KEY`` and
``ALLOWED_HOSTS`` (required in production), ``EMAIL_URL``-style settings below.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Which settings module is in force; seed_demo refuses to run when this is "production".
PORTAL_ENV = "base"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


INSTALLED_APPS = [
    # Domain apps first so their templates override Wagtail's and Django's.
    "core",
    "orgs",
    "grants",
    "volunteers",
    "evaluations",
    "dashboards",
    "django_tasks",
    "django_tasks_db",
    "portal.apps.PortalConfig",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "core.apps.PortalUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "csp",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache, so that a cached page (stored without it) gets the policy in force on every hit as
    # on every miss; after WhiteNoise, so static files carry none (they are not documents). See core/csp.py.
    "core.csp.PortalCSPMiddleware",
    # Before the session: a cached page for an anonymous visitor is served without touching the database.
    "portal.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AuditContextMiddleware",
    # A busy database (SQLite's "database is locked", PostgreSQL's serialization failures) is retried for reads and
    # answered 503 for writes, never 500.
    "core.middleware.DatabaseBusyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a sign-in that its backend refused (too many failures) into the
    # lockout page (core.views.signin_locked_out).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# SQLite is the embedded default (DESIGN.md §6). WAL lets readers run beside the one writer;
# IMMEDIATE transactions take the write lock at BEGIN, so two writers queue on the busy timeout
# instead of deadlocking when a read lock would have to be upgraded mid-transaction.
SQLITE_PATH = VAR_DIR / "portal.sqlite3"
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}


def database_from_env(default_sqlite: Path = SQLITE_PATH) -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            "TIMEOUT": 300,
            # Room for the anonymous page cache's whole pages beside renditions and figures (Django's default is 300).
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# The anonymous page cache (portal.cache): whole public pages for visitors who are not signed in, for this many
# seconds (0 turns it off). Wagtail pages are always eligible; these Django views too.
PORTAL_PAGE_CACHE_SECONDS = int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "300"))
PORTAL_PAGE_CACHE_VIEWS = [
    "robots_txt", "sitemap", "sitemap_section",
    "evaluations:campaigns", "evaluations:campaign",
]
# Saving or deleting a row of these models makes every cached page stale (portal.signals); page changes always do.
PORTAL_PAGE_CACHE_INVALIDATED_BY = [
    "wagtailcore.Site", "wagtailcore.PageViewRestriction", "wagtailimages.Image", "wagtaildocs.Document",
    "portal.PortalSettings",
    "core.Region", "orgs.ServiceField",  # the choices of the cached filter forms (portal/templatetags/fragments.py)
    "orgs.Organization", "orgs.CreditListing",
    "grants.FundingCall", "grants.ProcurementProject", "grants.Contract",
    "volunteers.Activity",
    "evaluations.Campaign", "evaluations.Result",
]

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
# The model whose rows say "this user belongs to that organization". core reads it by name so that
# it never imports the orgs app (DESIGN.md §3: dependencies point one way).
PORTAL_MEMBERSHIP_MODEL = "orgs.Membership"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (the public form, Wagtail's /admin/login/, /django-admin/) while the phone number
    # and address are locked out, before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Applied at sign-up, password change and reset and in the admin's user forms, each message in Chinese. The
# similarity rule compares with this model's own fields (Django's defaults name username/first_name/last_name, which
# core.User does not have); Django's minimum-length message has no Chinese translation, hence core.passwords.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("phone", "name", "email")},
    },
    {"NAME": "core.passwords.ChineseMinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# --- Language and time ----------------------------------------------------------------------------
# The public site is Simplified Chinese for everybody, whatever the browser asks for, so there is no
# LocaleMiddleware; strings stay translatable, and the Wagtail admin lets each user pick a language.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Private uploads (application documents, ID scans) live outside MEDIA_ROOT and are served only by
# permission-checked views (DESIGN.md §5).
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "社会组织管理门户 <noreply@localhost>")

# --- Wagtail --------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "社会组织与购买服务管理门户"
WAGTAILADMIN_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "xlsx", "zip", "odt", "ods"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_PASSWORD_RESET_ENABLED = True

# --- Tasks ----------------------------------------------------------------------------------------
# Wagtail's own small jobs (search and reference index updates) run inline on "default", as Wagtail ships.
# The portal's heavy work (computing campaign results, reports) goes to "background": the database queue
# of django-tasks-db, worked by `manage.py db_worker --backend background` (started by `make run`).
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}

# --- Text messages ------------------------------------------------------------------------------------
# core.sms: the default writes messages to the "portal.sms" log; a deployment names its gateway's class here.
PORTAL_SMS_BACKEND = os.environ.get("PORTAL_SMS_BACKEND", "core.sms.LogBackend")

# --- Portal ---------------------------------------------------------------------------------------
# Annual reports on year Y are due by this day of year Y+1 (month, day); the credit sweep runs after it.
PORTAL_ANNUAL_REPORT_DEADLINE = (5, 31)
# Seconds the home page's live figures are cached; they are recomputed from the database after that.
PORTAL_FIGURES_CACHE_SECONDS = 60

# --- Security (docs/security.md) ------------------------------------------------------------------------
# Cookies: never readable by scripts (no script of ours or Wagtail's reads them: the admin takes the CSRF token from
# the page), sent on top-level navigation from other sites (Lax) so that a link into the portal keeps the visitor
# signed in. production.py adds Secure (HTTPS only) and HSTS; a developer's http://127.0.0.1 needs them off.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Officers' avatars are not fetched from gravatar.com: it leaks a hash of their e-mail to a foreign service, it is
# unreachable from many government networks, and the Content-Security-Policy below allows no third-party images.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# Content-Security-Policy (django-csp 4 format; core.csp.PortalCSPMiddleware). One static policy for every page, no
# nonces: the anonymous page cache replays stored pages, and a nonce must never be replayed. Scripts only from our
# own origin, never inline (templates load static files; the countdown is static/js/countdown.js). Inline style=""
# attributes remain in templates and in Wagtail's admin, so style-src keeps 'unsafe-inline' (styles cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The Wagtail admin (below /admin/, but not its sign-in and password-reset pages) gets these additions: Wagtail 8
# still renders inline <script> in its date/time widgets, InlinePanel, MultipleChooserPanel and chooser modals;
# image upload previews are blob: URLs; the page preview is an iframe of the admin's own preview URL.
PORTAL_CSP_ADMIN_PREFIX = "/admin/"
PORTAL_CSP_ADMIN_STRICT_PATHS = ("/admin/login/", "/admin/password_reset/")
PORTAL_CSP_ADMIN_UPDATE = {
    "script-src": ["'unsafe-inline'"],
    "img-src": ["blob:"],
}
PORTAL_CSP_ADMIN_REPLACE = {"frame-ancestors": ["'self'"]}

# Sign-in throttling (django-axes): five wrong passwords for one phone number from one address lock that pair out
# for 15 minutes, on the public sign-in form, Wagtail's /admin/login/ and /django-admin/ alike. A successful sign-in
# clears the count. Attempts are rows in the database, so every web process sees them. An officer unlocks with
# `manage.py axes_reset_username <phone>` (docs/security.md).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The phone number as typed ("138 0000 0001", "+86 138…") and as stored are one key; the address as core.middleware
# reads it (the first X-Forwarded-For hop behind the load balancer).
AXES_USERNAME_FORM_FIELD = "username"  # every sign-in form posts, and authenticate() is called with, "username"
AXES_USERNAME_CALLABLE = "core.ratelimit.signin_username"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.signin_client_ip"
# The sign-in form again, with the reason, status 429 (core.views.signin_locked_out).
AXES_LOCKOUT_CALLABLE = "core.views.signin_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts are still logged
AXES_COOLOFF_MESSAGE = "登录失败次数过多，该账号已暂时锁定，请 15 分钟后再试。"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# 爱心银行 (issue 4). Points expiry is off unless a number of months is set (then a daily task moves points
# earned before the cutoff and not spent since to the expiry account; hours are never touched).
PORTAL_POINTS_EXPIRE_MONTHS = int(os.environ["PORTAL_POINTS_EXPIRE_MONTHS"]) if os.environ.get("PORTAL_POINTS_EXPIRE_MONTHS") else None
# Who issues a 志愿服务证明 covering all of a volunteer's records (the platform operator).
PORTAL_VOLUNTEER_CERTIFICATE_ISSUER = {
    "name": os.environ.get("PORTAL_CERT_ISSUER_NAME", "贵阳市爱心银行服务中心"),
    "head": os.environ.get("PORTAL_CERT_ISSUER_HEAD", "王志明"),
    "handler": os.environ.get("PORTAL_CERT_ISSUER_HANDLER", "爱心银行自助服务"),
    "contact": os.environ.get("PORTAL_CERT_ISSUER_CONTACT", "0851-12345"),
}

# 360Giving open data (incubator grants, /api/v1/grants.360giving.json). Every grant and funder identifier starts
# with "360G-" and this publisher prefix; 360Giving assigns the real prefix to a publisher when it registers
# (https://standard.threesixtygiving.org/en/latest/technical/identifiers/). "zcgy" (筑城公益) is the demo's.
PORTAL_360GIVING_PREFIX = os.environ.get("PORTAL_360GIVING_PREFIX", "zcgy").strip() or "zcgy"
# Open Contracting Data Standard: the ocid prefix registered for this publisher ("ocds-" + six lowercase letters or
# digits; register one at the OCDS Data Support Team before publishing for real) and the publisher's name.
PORTAL_OCDS_PREFIX = os.environ.get("PORTAL_OCDS_PREFIX", "ocds-zcgy52").strip() or "ocds-zcgy52"
PORTAL_OCDS_PUBLISHER = os.environ.get("PORTAL_OCDS_PUBLISHER", "贵阳市民政局")
