import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from klantpeil.config.env import ConfigurationError, parse_email_url, read_environment

STRONG_KEY = "a-strong-and-varied-secret-key-" + "0123456789" * 3


def test_development_defaults_to_sqlite_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KLANTPEIL_DEBUG", raising=False)
    monkeypatch.setenv("KLANTPEIL_DATA_DIR", str(tmp_path))
    env = read_environment()
    # Issue 21: no debug pages (tracebacks, URL lists) unless a developer asks for them.
    assert env.name == "development" and not env.debug
    assert env.database_url is None
    assert env.sqlite_path == tmp_path / "klantpeil.sqlite3"
    assert not env.secure_cookies


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("KLANTPEIL_ENV", "production")
    monkeypatch.delenv("KLANTPEIL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="KLANTPEIL_SECRET_KEY"):
        read_environment()
    for weak in ("short", "k" * 64):
        monkeypatch.setenv("KLANTPEIL_SECRET_KEY", weak)
        with pytest.raises(ConfigurationError):
            read_environment()


def test_production_is_secure_by_default(monkeypatch):
    monkeypatch.setenv("KLANTPEIL_ENV", "production")
    monkeypatch.setenv("KLANTPEIL_SECRET_KEY", STRONG_KEY)
    monkeypatch.delenv("KLANTPEIL_DEBUG", raising=False)
    monkeypatch.delenv("KLANTPEIL_ALLOWED_HOSTS", raising=False)
    env = read_environment()
    assert not env.debug
    assert env.secure_cookies
    assert env.allowed_hosts == []


def test_an_unknown_environment_name_is_an_error(monkeypatch):
    monkeypatch.setenv("KLANTPEIL_ENV", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        read_environment()


def test_production_settings_pass_the_deploy_checks_that_do_not_need_tls_infrastructure(tmp_path):
    env = {
        "KLANTPEIL_ENV": "production",
        "KLANTPEIL_SECRET_KEY": secrets.token_urlsafe(64),
        "KLANTPEIL_ALLOWED_HOSTS": "klantpeil.example.org",
        "KLANTPEIL_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings",
            "klantpeil.config.settings",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_harden_accounts_and_responses(tmp_path):
    env = {
        "KLANTPEIL_ENV": "production",
        "KLANTPEIL_SECRET_KEY": secrets.token_urlsafe(64),
        "KLANTPEIL_ALLOWED_HOSTS": "klantpeil.example.org",
        "KLANTPEIL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "klantpeil.config.settings",
        "PATH": "/usr/bin:/bin",
    }
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hashers': s.PASSWORD_HASHERS[0], 'mfa': s.KLANTPEIL_OPERATOR_MFA_REQUIRED, "
        "'middleware': s.MIDDLEWARE, 'secure': [s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.SECURE_SSL_REDIRECT], "
        "'hsts': s.SECURE_HSTS_SECONDS, 'idle': s.SESSION_IDLE_SECONDS, "
        "'absolute': s.SESSION_ABSOLUTE_SECONDS, 'lockout': s.ACCOUNT_RATE_LIMITS['login_failed'], "
        "'mfa_types': s.MFA_SUPPORTED_TYPES}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["hashers"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings["mfa"] is True
    assert settings["mfa_types"] == ["totp", "recovery_codes"]
    assert settings["secure"] == [True, True, True, True]
    assert settings["hsts"] == 60 * 60 * 24 * 365
    assert (settings["idle"], settings["absolute"]) == (30 * 60, 12 * 60 * 60)
    assert settings["lockout"] == "10/m/ip,5/15m/key"
    for middleware in (
        "klantpeil.core.security.SecurityHeadersMiddleware",
        "klantpeil.core.security.SessionExpiryMiddleware",
        "klantpeil.core.security.OperatorTwoFactorMiddleware",
        "klantpeil.privacy.middleware.AuditMiddleware",
    ):
        assert middleware in settings["middleware"]


def test_debug_only_when_a_developer_asks(monkeypatch):
    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("KLANTPEIL_DEBUG", value)
        assert read_environment().debug is expected


def test_trusted_proxies_are_addresses_and_networks(monkeypatch):
    from ipaddress import ip_network

    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    monkeypatch.setenv("KLANTPEIL_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    monkeypatch.setenv("KLANTPEIL_TRUSTED_PROXY_HOPS", "2")
    monkeypatch.setenv("KLANTPEIL_PROXY_HEADERS", "Forwarded")
    env = read_environment()
    assert env.trusted_proxies == (
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("::1/128"),
    )
    assert (env.trusted_proxy_hops, env.proxy_headers) == (2, "forwarded")
    monkeypatch.delenv("KLANTPEIL_TRUSTED_PROXY_HOPS")
    monkeypatch.delenv("KLANTPEIL_PROXY_HEADERS")
    assert read_environment().trusted_proxy_hops is None
    assert read_environment().proxy_headers == "x-forwarded"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"KLANTPEIL_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "'proxy.local' is not an IP"),
        ({"KLANTPEIL_TRUSTED_PROXY_HOPS": "1"}, "needs KLANTPEIL_TRUSTED_PROXIES"),
        (
            {"KLANTPEIL_TRUSTED_PROXIES": "10.0.0.1", "KLANTPEIL_TRUSTED_PROXY_HOPS": "0"},
            "KLANTPEIL_TRUSTED_PROXY_HOPS='0'",
        ),
        ({"KLANTPEIL_PROXY_HEADERS": "x-real-ip"}, "KLANTPEIL_PROXY_HEADERS='x-real-ip'"),
        ({"KLANTPEIL_EMAIL_URL": "smtp://mail.example.org:99999"}, "the port must be"),
    ],
)
def test_a_bad_proxy_or_mail_setting_is_a_clear_error(monkeypatch, variables, message):
    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        read_environment()


def test_mail_goes_to_the_console_in_development_and_the_local_server_in_production(
    monkeypatch,
):
    monkeypatch.delenv("KLANTPEIL_EMAIL_URL", raising=False)
    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    assert read_environment().email.backend == "django.core.mail.backends.console.EmailBackend"
    monkeypatch.setenv("KLANTPEIL_ENV", "production")
    monkeypatch.setenv("KLANTPEIL_SECRET_KEY", STRONG_KEY)
    email = read_environment().email
    assert (email.backend, email.host, email.port, email.url) == (
        "django.core.mail.backends.smtp.EmailBackend",
        "localhost",
        25,
        "smtp://localhost:25",
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user%40example.org:p%40ss@mail.example.org:587?tls=1",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "user@example.org",
                "EMAIL_HOST_PASSWORD": "p@ss",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
                "EMAIL_TIMEOUT": 10,
            },
        ),
        (
            "smtps://mail.example.org?timeout=3",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 3},
        ),
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "file:///var/tmp/klantpeil-mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/var/tmp/klantpeil-mail",
            },
        ),
        ("memory://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
    ],
)
def test_email_urls(url, expected):
    settings = parse_email_url(url).django_settings()
    assert {key: settings[key] for key in expected} == expected


def test_the_logged_mail_address_hides_the_password():
    email = parse_email_url("smtp://mailer:very-secret@mail.example.org:587?tls=1")
    assert email.url == "smtp://mailer:***@mail.example.org:587?tls=1"
    assert "very-secret" not in repr(email)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://mail.example.org", "the scheme must be one of smtp://, smtps://, console://"),
        ("smtp://mail.example.org?tls=1&ssl=1", "exclude each other"),
        ("smtp://mail.example.org?starttls=1", "unknown option(s) starttls"),
        ("smtp://mail.example.org?timeout=soon", "timeout must be a whole number"),
        ("smtp://:25", "name the mail server"),
        ("file://", "name the folder"),
        ("smtp://u:hunter2@mail.example.org:http", "smtp://u:***@mail.example.org:http"),
    ],
)
def test_a_bad_email_url_names_what_is_wrong(url, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)) as error:
        parse_email_url(url)
    assert "hunter2" not in str(error.value)
