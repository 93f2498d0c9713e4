"""The one place where the environment is read.

Every setting that differs between a laptop demo, the test suite and a
production deployment comes from here, typed, so settings.py never touches
``os.environ`` itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The environment asks for something Klantpeil cannot run with."""


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def default_data_dir() -> Path:
    return Path(user_data_dir("klantpeil", appauthor=False))


@dataclass(frozen=True)
class Environment:
    name: str
    debug: bool
    secret_key: str
    data_dir: Path
    database_url: str | None
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    secure_cookies: bool

    @property
    def production(self) -> bool:
        return self.name == "production"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "klantpeil.sqlite3"


def read_environment() -> Environment:
    name = os.environ.get("KLANTPEIL_ENV", "development").strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigurationError(f"KLANTPEIL_ENV={name!r} is not one of {', '.join(ENVIRONMENTS)}")
    production = name == "production"
    secret_key = os.environ.get("KLANTPEIL_SECRET_KEY", "")
    if production and (len(secret_key) < 50 or len(set(secret_key)) < 5):
        raise ConfigurationError(
            "KLANTPEIL_SECRET_KEY must be set to a random string of at least 50 characters "
            "in production (python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    if not secret_key:
        # Development and tests only: a fixed key is harmless where nothing is public.
        secret_key = "klantpeil-insecure-development-key-never-use-in-production-0123456789"
    data_dir = Path(os.environ.get("KLANTPEIL_DATA_DIR") or default_data_dir()).expanduser()
    return Environment(
        name=name,
        debug=_flag("KLANTPEIL_DEBUG", default=name == "development"),
        secret_key=secret_key,
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        allowed_hosts=_list(
            "KLANTPEIL_ALLOWED_HOSTS",
            [] if production else ["127.0.0.1", "localhost", "[::1]", "testserver"],
        ),
        csrf_trusted_origins=_list("KLANTPEIL_CSRF_TRUSTED_ORIGINS", []),
        secure_cookies=_flag("KLANTPEIL_SECURE_COOKIES", default=production),
    )
