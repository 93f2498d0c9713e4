import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from klantpeil.config.env import ConfigurationError, read_environment

STRONG_KEY = "a-strong-and-varied-secret-key-" + "0123456789" * 3


def test_development_defaults_to_sqlite_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KLANTPEIL_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("KLANTPEIL_DATA_DIR", str(tmp_path))
    env = read_environment()
    assert env.name == "development" and env.debug
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
