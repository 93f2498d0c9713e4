"""Django settings. Everything that varies comes from :mod:`klantpeil.config.env`."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from klantpeil.config.env import read_environment

ENV = read_environment()
PACKAGE_DIR = Path(__file__).resolve().parent.parent

DEBUG = ENV.debug
SECRET_KEY = ENV.secret_key
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on with each organisation's own identity provider (accounts/sso).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "django_tasks",
    "django_tasks_db",
    "klantpeil.core",
    "klantpeil.accounts",
    "klantpeil.accounts.sso",
    "klantpeil.organisations",
    "klantpeil.instruments",
    "klantpeil.collection",
    "klantpeil.dashboards",
    "klantpeil.api",
    "klantpeil.dataio",
    "klantpeil.analytics",
    "klantpeil.rollups",
    "klantpeil.fieldwork",
    "klantpeil.reports",
    "klantpeil.privacy",
    "klantpeil.textanalysis",
    "klantpeil.distribution",
]

MIDDLEWARE = [
    # First: the client's address and scheme behind a trusted proxy, before the HTTPS
    # redirect or any rate limit reads them.
    "klantpeil.core.middleware.ProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "klantpeil.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside WhiteNoise, so static files stay cacheable while every page, API answer
    # and download is never stored.
    "klantpeil.core.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "klantpeil.core.security.SessionExpiryMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "klantpeil.core.security.OperatorTwoFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "klantpeil.core.middleware.TenantMiddleware",
    "klantpeil.privacy.middleware.AuditMiddleware",
]

ROOT_URLCONF = "klantpeil.config.urls"
WSGI_APPLICATION = "klantpeil.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "klantpeil.core.context_processors.tenancy",
                "klantpeil.core.deployment.deployment",
            ],
        },
    },
]


def _database() -> dict:
    if ENV.database_url:
        return dj_database_url.parse(ENV.database_url, conn_max_age=60, conn_health_checks=True)
    ENV.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ENV.sqlite_path,
        # WAL lets the web server read while the demo generator or a worker writes;
        # IMMEDIATE transactions avoid "database is locked" on lock upgrades.
        # secure_delete zeroes what a DELETE or UPDATE frees, so a forgotten respondent's
        # old row versions do not stay readable in the file (Debian's default already).
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA secure_delete=ON;"
            ),
        },
        "TEST": {"NAME": ""},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts are created by operators and analysts, never by self sign-up.
ACCOUNT_ADAPTER = "klantpeil.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# Login throttling and lockout (allauth's rate limits, kept in the cache): at most
# 10 failed logins a minute from one address, and an account is locked for
# 15 minutes after 5 failed attempts. Reset requests are limited the same way.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/15m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
# Two-factor authentication with an authenticator app (TOTP) and recovery codes.
# Optional for everyone; required for operators in production (see core/security.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Klantpeil"
KLANTPEIL_OPERATOR_MFA_REQUIRED = ENV.production
# Single sign-on: one allauth app per organisation, built from its identity-provider
# settings (accounts/sso/adapter.py); nobody signs up on their own, a first sign-in
# through the organisation's provider makes the member (at the provider's default role).
SOCIALACCOUNT_ADAPTER = "klantpeil.accounts.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking an existing account: the adapter decides
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
# An identity provider is reached over https; plain http only on this machine while
# developing or testing (the tests start a real provider on loopback).
KLANTPEIL_SSO_ALLOW_LOOPBACK_HTTP = ENV.debug or ENV.name == "test"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/app/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ENV.data_dir / "static"
if not ENV.production:
    # WhiteNoise serves from the package through finders; the folder only has to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the installed package so `klantpeil demo` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A session ends after 30 minutes without a request and 12 hours after the login,
# whichever comes first (core/security.py SessionExpiryMiddleware), and with the browser.
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_IDLE_SECONDS = 60 * 30
SESSION_ABSOLUTE_SECONDS = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = ENV.secure_cookies
CSRF_COOKIE_SECURE = ENV.secure_cookies
LANGUAGE_COOKIE_SECURE = ENV.secure_cookies
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy and Permissions-Policy: core/security.py. Scripts only from
# our own origin (no inline script, no eval: charts use vega's expression interpreter).

# Behind a reverse proxy: only the proxies listed here are believed about the client's
# address and scheme (core/middleware.py ProxyMiddleware; no SECURE_PROXY_SSL_HEADER,
# which would believe any client).
KLANTPEIL_TRUSTED_PROXIES = ENV.trusted_proxies
KLANTPEIL_TRUSTED_PROXY_HOPS = ENV.trusted_proxy_hops
KLANTPEIL_PROXY_HEADERS = ENV.proxy_headers

# E-mail (password reset, later invitations): one URL, KLANTPEIL_EMAIL_URL.
EMAIL_BACKEND = ENV.email.backend
EMAIL_HOST = ENV.email.host
EMAIL_PORT = ENV.email.port
EMAIL_HOST_USER = ENV.email.user
EMAIL_HOST_PASSWORD = ENV.email.password
EMAIL_USE_TLS = ENV.email.use_tls
EMAIL_USE_SSL = ENV.email.use_ssl
EMAIL_TIMEOUT = ENV.email.timeout
if ENV.email.file_path:
    EMAIL_FILE_PATH = ENV.email.file_path
KLANTPEIL_EMAIL_URL = ENV.email.url  # without its password: for the operator's log
DEFAULT_FROM_EMAIL = SERVER_EMAIL = ENV.email_from

# Survey distribution: SMS provider, public address for links, contact-hash key.
KLANTPEIL_SMS_URL = ENV.sms_url
KLANTPEIL_SMS_KEY = ENV.sms_key
KLANTPEIL_PUBLIC_URL = ENV.public_url
KLANTPEIL_CONTACT_HASH_KEY = ENV.contact_hash_key
# Connections one dispatcher opens at once to the mail server / SMS provider.
KLANTPEIL_SMTP_CONNECTIONS = ENV.smtp_connections

# `klantpeil demo` (or KLANTPEIL_DEMO=1): every page says it is a demo.
KLANTPEIL_DEMO = ENV.demo

if ENV.production:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

if ENV.name == "test":
    # Argon2 at full cost makes a suite of hundreds of logins crawl.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Privacy: respondents' contact data (e-mail, phone on invitations) is removed this
# many days after the invitation was made, unless the organisation sets its own period.
KLANTPEIL_CONTACT_RETENTION_DAYS = 90

# Background work (rollup refreshes) queues in the database the product already
# has: no broker to run, and a task is written in the same transaction as the data.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django_tasks_db": {"level": "INFO"}},
}
