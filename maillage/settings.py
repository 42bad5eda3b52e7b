"""Django settings for Maillage.

Everything that differs between a laptop and production comes from the environment:
``DATABASE_URL`` (SQLite file by default), ``MAILLAGE_SECRET_KEY``, ``MAILLAGE_DEBUG``,
``MAILLAGE_ALLOWED_HOSTS`` and the e-mail variables.
"""

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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
# bind; with day capacities binding, the best found within the limit and its proven bound.
MAILLAGE_MATCHING_TIME_LIMIT_S = float(os.environ.get("MAILLAGE_MATCHING_TIME_LIMIT_S", "2"))

# Where the region's reference data comes from (derived files are committed in the apps).
MAILLAGE_REGION_CODE = os.environ.get("MAILLAGE_REGION_CODE", "76")
