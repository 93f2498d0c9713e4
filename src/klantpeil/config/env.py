"""The one place where the environment is read.

Every setting that differs between a laptop demo, the test suite and a
production deployment comes from here, typed, so settings.py never touches
``os.environ`` itself.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

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


EMAIL_SCHEMES = ("smtp", "smtps", "console", "file", "memory")
EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}
# A mail server that does not answer must not hold a request (and its thread) for long.
DEFAULT_EMAIL_TIMEOUT = 10


@dataclass(frozen=True)
class EmailSettings:
    """Where mail goes, parsed from ``KLANTPEIL_EMAIL_URL``; ``django_settings()`` gives
    the ``EMAIL_*`` settings. ``url`` is the address without its password (for logs)."""

    backend: str
    url: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    use_ssl: bool = False
    timeout: int = DEFAULT_EMAIL_TIMEOUT
    file_path: str = ""

    def django_settings(self) -> dict[str, object]:
        values: dict[str, object] = {
            "EMAIL_BACKEND": self.backend,
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": self.user,
            "EMAIL_HOST_PASSWORD": self.password,
            "EMAIL_USE_TLS": self.use_tls,
            "EMAIL_USE_SSL": self.use_ssl,
            "EMAIL_TIMEOUT": self.timeout,
        }
        if self.file_path:
            values["EMAIL_FILE_PATH"] = self.file_path
        return values


def parse_email_url(url: str, *, variable: str = "KLANTPEIL_EMAIL_URL") -> EmailSettings:
    """``smtp://user:password@host:587?tls=1`` (STARTTLS), ``smtps://…`` or ``?ssl=1``
    (TLS from the start, port 465 by default), ``?timeout=S``; ``console://`` (print each
    mail on standard output), ``file:///folder`` (one file per mail, for tests and
    demos) and ``memory://`` (kept in memory, for tests). User and password may be
    percent-encoded (``%40`` for ``@``)."""

    def bad(reason: str) -> ConfigurationError:
        return ConfigurationError(f"{variable}={_without_password(url)!r}: {reason}")

    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in EMAIL_SCHEMES:
        accepted = ", ".join(f"{s}://" for s in EMAIL_SCHEMES)
        raise bad(f"the scheme must be one of {accepted}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"tls", "ssl", "timeout"}
    if unknown:
        raise bad(f"unknown option(s) {', '.join(sorted(unknown))}; use tls, ssl or timeout")
    backend = EMAIL_BACKENDS[scheme]
    safe = _without_password(url.strip())
    if scheme in ("console", "memory"):
        return EmailSettings(backend=backend, url=safe)
    if scheme == "file":
        folder = unquote(parts.path)
        if not folder:
            raise bad("name the folder: file:///path/to/folder")
        return EmailSettings(backend=backend, url=safe, file_path=folder)

    def yes(name: str) -> bool:
        return query.get(name, "0").strip().lower() in {"1", "true", "yes", "on"}

    use_ssl = scheme == "smtps" or yes("ssl")
    use_tls = yes("tls")
    if use_ssl and use_tls:
        raise bad("tls (STARTTLS) and ssl (TLS from the start) exclude each other")
    try:
        port = parts.port or (465 if use_ssl else 25)
    except ValueError as exc:
        raise bad("the port must be a number from 1 to 65535") from exc
    try:
        timeout = int(query.get("timeout", DEFAULT_EMAIL_TIMEOUT))
    except ValueError as exc:
        raise bad("timeout must be a whole number of seconds") from exc
    if not parts.hostname:
        raise bad("name the mail server: smtp://host:587")
    if timeout < 1:
        raise bad("timeout must be at least 1 second")
    return EmailSettings(
        backend=backend,
        url=safe,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


PROXY_HEADERS = ("x-forwarded", "forwarded")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: list[str], *, variable: str) -> tuple[IPNetwork, ...]:
    """Addresses and CIDR ranges (``127.0.0.1``, ``10.0.0.0/8``, ``::1``)."""
    networks = []
    for item in raw:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigurationError(
                f"{variable}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from exc
    return tuple(networks)


def _positive_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name}={raw!r}: give a whole number of 1 or more")
    return int(raw)


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
    # Reverse proxies whose X-Forwarded-For/-Proto (or Forwarded) headers are believed
    # (core/middleware.py ProxyMiddleware); empty: every peer is the client itself.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    trusted_proxy_hops: int | None = None
    proxy_headers: str = "x-forwarded"
    email: EmailSettings = field(
        default_factory=lambda: EmailSettings(backend=EMAIL_BACKENDS["console"], url="console://")
    )
    email_from: str = "Klantpeil <klantpeil@localhost>"
    demo: bool = False
    # Survey distribution (distribution/): the SMS provider's endpoint and key, the
    # public address of the service for links in messages sent by the worker (empty:
    # the address the invitation was made through), and the key of contact hashes.
    sms_url: str = ""
    sms_key: str = field(default="", repr=False)
    public_url: str = ""
    contact_hash_key: str = field(default="", repr=False)
    smtp_connections: int = 4

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
    trusted_proxies = parse_networks(
        _list("KLANTPEIL_TRUSTED_PROXIES", []), variable="KLANTPEIL_TRUSTED_PROXIES"
    )
    hops = _positive_int("KLANTPEIL_TRUSTED_PROXY_HOPS")
    if hops is not None and not trusted_proxies:
        raise ConfigurationError(
            "KLANTPEIL_TRUSTED_PROXY_HOPS needs KLANTPEIL_TRUSTED_PROXIES: the addresses "
            "the proxy in front of Klantpeil connects from"
        )
    proxy_headers = os.environ.get("KLANTPEIL_PROXY_HEADERS", "x-forwarded").strip().lower()
    if proxy_headers not in PROXY_HEADERS:
        raise ConfigurationError(
            f"KLANTPEIL_PROXY_HEADERS={proxy_headers!r} is not one of {', '.join(PROXY_HEADERS)}"
        )
    # Outside production a mail is printed on the console unless told otherwise; in
    # production it goes to the local mail server, as Django does by default.
    email_url = os.environ.get("KLANTPEIL_EMAIL_URL", "").strip() or (
        "smtp://localhost:25" if production else "console://"
    )
    return Environment(
        name=name,
        # Tracebacks and URL lists only for a developer who asks (never in a demo).
        debug=_flag("KLANTPEIL_DEBUG", default=False),
        secret_key=secret_key,
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        allowed_hosts=_list(
            "KLANTPEIL_ALLOWED_HOSTS",
            [] if production else ["127.0.0.1", "localhost", "[::1]", "testserver"],
        ),
        csrf_trusted_origins=_list("KLANTPEIL_CSRF_TRUSTED_ORIGINS", []),
        secure_cookies=_flag("KLANTPEIL_SECURE_COOKIES", default=production),
        trusted_proxies=trusted_proxies,
        trusted_proxy_hops=hops,
        proxy_headers=proxy_headers,
        email=parse_email_url(email_url),
        email_from=os.environ.get("KLANTPEIL_EMAIL_FROM", "").strip()
        or "Klantpeil <klantpeil@localhost>",
        demo=_flag("KLANTPEIL_DEMO", default=False),
        sms_url=_http_url("KLANTPEIL_SMS_URL"),
        sms_key=os.environ.get("KLANTPEIL_SMS_KEY", "").strip(),
        public_url=_http_url("KLANTPEIL_PUBLIC_URL").rstrip("/"),
        contact_hash_key=os.environ.get("KLANTPEIL_CONTACT_HASH_KEY", "").strip(),
        smtp_connections=_positive_int("KLANTPEIL_SMTP_CONNECTIONS") or 4,
    )


def _http_url(name: str) -> str:
    """An http(s) address from ``name``, or empty when unset."""
    raw = os.environ.get(name, "").strip()
    if raw and (urlsplit(raw).scheme not in ("http", "https") or not urlsplit(raw).hostname):
        raise ConfigurationError(f"{name}={raw!r}: give an http:// or https:// address")
    return raw
