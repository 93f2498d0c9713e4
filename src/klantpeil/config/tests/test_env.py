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
