"""Django settings for Maillage.

Everything that differs between a laptop and production comes from the environment:
``DATABASE_URL`` (SQLite file by default), ``MAILLAGE_SECRET_KEY``, ``MAILLAGE_DEBUG``,
``MAILLAGE_ALLOWED_HOSTS`` and the e-mail variables.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("MAILLAGE_DEBUG", "1") == "1"
# The development key is only accepted with DEBUG on; production must set its own.
SECRET_KEY = os.environ.get("MAILLAGE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("MAILLAGE_SECRET_KEY must be set when MAILLAGE_DEBUG=0")
    SECRET_KEY = "dev-only-insecure-key-maillage-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = os.environ.get("MAILLAGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "maillage.core",
    "maillage.geography",
    "maillage.competences",
    "maillage.organisations",
    "maillage.people",
    "maillage.calls",
    "maillage.applications",
    "maillage.directory",
    "maillage.review",
    "maillage.pairing",
    "maillage.privacy",
    "maillage.transfers",
    "maillage.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "maillage.people.two_factor.SecondFactorMiddleware",
    "maillage.core.security.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maillage.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.core.context_processors.navigation",
                "maillage.people.context_processors.second_factor",
            ],
        },
    },
]

WSGI_APPLICATION = "maillage.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'maillage.sqlite3'}",
        conn_max_age=int(os.environ.get("MAILLAGE_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; IMMEDIATE avoids "database is locked"
    # upgrades from read to write transactions under concurrent requests.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
# AxesBackend first: it refuses a locked-out (e-mail, IP address) pair before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

# --- Authentication (docs/security.md, "Authentication") ---
# Argon2id for new hashes; PBKDF2 stays second so that older hashes still verify and are
# rehashed with Argon2 at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Length and blocklists only, no composition rule ("a digit, an uppercase letter…"): long
# passphrases are the advice, as in NIST SP 800-63B and OWASP ASVS 5.0 (V6.2).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "maillage.people.auth.ContextWordsValidator"},
    {"NAME": "maillage.people.auth.TrivialSequenceValidator"},
]
# Login throttling per (e-mail, IP address) pair: N failures lock that pair out for a while;
# the same answer whether the account exists or not.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = int(os.environ.get("MAILLAGE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("MAILLAGE_LOGIN_LOCKOUT_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "maillage.people.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "maillage.people.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A lock-out lasts the cool-off time from the last counted failure, no longer.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful logins are in the audit log already (maillage.privacy); no second journal.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
AXES_VERBOSE = False
# Second factor (TOTP + single-use recovery codes) for the staff roles; see people/two_factor.py.
MAILLAGE_REQUIRE_2FA = os.environ.get("MAILLAGE_REQUIRE_2FA", "1") == "1"
OTP_TOTP_ISSUER = "Maillage"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_ROOT = Path(os.environ.get("MAILLAGE_MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Applicants' attachments: per-file size and count limits (checked by content too).
MAILLAGE_UPLOAD_MAX_BYTES = int(os.environ.get("MAILLAGE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
MAILLAGE_MAX_ATTACHMENTS = int(os.environ.get("MAILLAGE_MAX_ATTACHMENTS", "5"))
# Spreadsheet imports (maillage.imports): size and data rows of one file.
MAILLAGE_IMPORT_MAX_BYTES = int(os.environ.get("MAILLAGE_IMPORT_MAX_BYTES", 5 * 1024 * 1024))
MAILLAGE_IMPORT_MAX_ROWS = int(os.environ.get("MAILLAGE_IMPORT_MAX_ROWS", "5000"))
# Uploads (docs/security.md, "Uploads"): files above 2.5 MB go to a temporary file, and the
# first handler stops writing past the largest size a form accepts; form bodies without
# files stay small; one file per form is enough. Stored files are private to the process.
FILE_UPLOAD_HANDLERS = [
    "maillage.applications.uploads.SizeCapUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("MAILLAGE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get(
    "MAILLAGE_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("MAILLAGE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MAILLAGE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MAILLAGE_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MAILLAGE_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("MAILLAGE_EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get(
    "MAILLAGE_DEFAULT_FROM_EMAIL", "Maillage <ne-pas-repondre@maillage.invalid>"
)
# E-mail outbox (core.emails): a hung SMTP connection gives up long before the sweeper takes a
# "sending" claim back (10 min); retries 1 min, 5, 25, 125, then every 6 h until the maximum;
# sent and failed e-mails are deleted after the retention period (they hold personal data).
EMAIL_TIMEOUT = int(os.environ.get("MAILLAGE_EMAIL_TIMEOUT", "30"))
MAILLAGE_EMAIL_MAX_ATTEMPTS = int(os.environ.get("MAILLAGE_EMAIL_MAX_ATTEMPTS", "8"))
MAILLAGE_RETENTION_DAYS_EMAILS = int(os.environ.get("MAILLAGE_RETENTION_DAYS_EMAILS", "30"))

# --- Security headers and production settings (docs/security.md) ---


def _env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0") == "1"


# HTTPS only in production; plain http://127.0.0.1:8000 keeps working with DEBUG on.
# MAILLAGE_SECURE_COOKIES=0 is for a plain-HTTP loopback benchmark only (check --deploy warns).
SECURE_SSL_REDIRECT = _env_flag("MAILLAGE_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_flag("MAILLAGE_SECURE_COOKIES", not DEBUG)
if _env_flag("MAILLAGE_SECURE_PROXY_SSL_HEADER", False):
    # Only behind a TLS-terminating proxy that always sets (never forwards) this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("MAILLAGE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("MAILLAGE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_flag("MAILLAGE_HSTS_PRELOAD", True)
# Turning these off is an operator's documented choice (a proxy redirects to HTTPS; the domain
# must not be preloaded), not a forgotten setting: silence only the matching deploy check.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, chosen_off in [
        ("security.W008", "MAILLAGE_SECURE_SSL_REDIRECT" in os.environ and not SECURE_SSL_REDIRECT),
        ("security.W021", not SECURE_HSTS_PRELOAD),
    ]
    if chosen_off
]
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms and htmx requests send the token from the form field.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Enforced in development too, so that an inline script or style fails in tests, not in
# production. htmx is configured in base.html not to inject styles nor to evaluate code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MAILLAGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Where replies from applicants go, and the site's address for links in e-mails sent outside
# a request (background tasks, management commands).
MAILLAGE_COORDINATION_EMAIL = os.environ.get(
    "MAILLAGE_COORDINATION_EMAIL", "coordination@maillage.invalid"
)
MAILLAGE_SITE_URL = os.environ.get("MAILLAGE_SITE_URL", "http://127.0.0.1:8000")

# Solver time limit for a matching run (seconds): proven optimal when only transfer counts
# bind; with day capacities binding, the best found within the limit and its proven bound
# (0.4 s: a 2,000-need call runs in about a second; more time, a smaller gap: docs/matching.md).
MAILLAGE_MATCHING_TIME_LIMIT_S = float(os.environ.get("MAILLAGE_MATCHING_TIME_LIMIT_S", "0.4"))

# Where the region's reference data comes from (derived files are committed in the apps).
MAILLAGE_REGION_CODE = os.environ.get("MAILLAGE_REGION_CODE", "76")
