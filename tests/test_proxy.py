"""Production behind a real reverse proxy: Debian's nginx on loopback, terminating TLS in
front of a real `klantpeil serve` with production settings.

Loopback is a whole network (127.0.0.0/8), so each simulated client connects from an
address of its own (127.0.0.2, 127.0.0.3, …) and nginx, the one trusted proxy, connects
to the app from 127.0.0.1. The test proves: no redirect loop over https; the real client
address reaches the app (the login and open-link limits count per client, not for
everyone behind the proxy); an X-Forwarded-For or X-Forwarded-Proto written by a client
is ignored, through the proxy and straight to the app; and failing logins from one
address, whatever they claim to be, lock out nobody else.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.conftest import free_port, klantpeil

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PASSWORD = "a-long-password-for-the-proxy-test"
REAL_USER = "real@proxy.example"
TOO_MANY = "Too many failed login attempts"
SETUP = f"""
from klantpeil.accounts.services import add_member
from klantpeil.collection.models import OpenLink
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, Organisation, Sector
sector = Sector.objects.get(key="municipalities")  # shipped: migrate loads the sectors
org = Organisation.objects.create(slug="proxyorg", name="Proxy Org", sector=sector)
Channel.unscoped_all_tenants.create(organisation=org, kind="counter")
add_member(email="{REAL_USER}", organisation=org, role="analyst", password="{PASSWORD}")
with tenant(org):
    OpenLink.objects.create(slug="balie", name="Balie",
        channel=Channel.objects.get(kind="counter"),
        instrument_version=latest_version(key="customer-survey"))
print("ready")
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with `cryptography` (a dependency
    of two-factor login), so the proxy terminates real TLS."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  upstream klantpeil {{ server 127.0.0.1:{app}; }}
  # What an operator writes: the proxy tells the scheme and appends the client's address.
  server {{
    listen 127.0.0.1:{https} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://klantpeil;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
  server {{
    listen 127.0.0.1:{http};
    location / {{
      proxy_pass http://klantpeil;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


def _wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} stopped:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{what} did not come up:\n{log.read_text()}")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    if NGINX is None:
        pytest.skip(
            "nginx is not installed (Debian: apt-get install nginx; scripts/test.sh does it "
            "when run as root): the reverse-proxy tests are skipped"
        )
    if os.environ.get("DATABASE_URL"):
        pytest.skip(
            "the proxied server keeps its own SQLite file whatever the suite's database: "
            "the reverse-proxy tests run in the SQLite pass"
        )
    folder = tmp_path_factory.mktemp("proxy")
    data_dir = folder / "data"
    env = {
        "DATABASE_URL": "",
        "KLANTPEIL_ENV": "production",
        "KLANTPEIL_SECRET_KEY": secrets.token_urlsafe(64),
        "KLANTPEIL_ALLOWED_HOSTS": "127.0.0.1",
        "KLANTPEIL_TRUSTED_PROXIES": "127.0.0.1",
        "KLANTPEIL_DATA_DIR": str(data_dir),
    }
    for args in (["migrate"], ["manage", "shell", "-c", SETUP]):
        result = klantpeil(*args, env=env)
        assert result.returncode == 0, result.stderr + result.stdout
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    server_log = folder / "serve.log"
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    server = subprocess.Popen(
        [sys.executable, "-m", "klantpeil.cli", "serve", "--no-worker", "--port", str(app_port)],
        env={**clean, **env},
        stdout=server_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    cert, key = _certificate(folder)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True)
        # Run as root, nginx's workers drop to an unprivileged user that writes here.
        os.chmod(folder / "tmp" / sub, 0o777)
    conf = folder / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            d=folder, app=app_port, https=https_port, http=http_port, cert=cert, key=key
        )
    )
    nginx_log = folder / "error.log"
    proxy = subprocess.Popen(
        [NGINX, "-p", str(folder), "-e", str(nginx_log), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(app_port, server, server_log, "klantpeil serve")
        _wait_for(http_port, proxy, nginx_log, "nginx")
        yield {"app": app_port, "https": https_port, "http": http_port, "log": server_log}
    finally:
        proxy.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        server.terminate()
        for process in (proxy, server):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


class Client:
    """One browser at its own loopback address: keeps its cookies, follows nothing."""

    def __init__(self, address: str, port: int, *, tls: bool) -> None:
        self.address, self.port, self.tls = address, port, tls
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        source = (self.address, 0)
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=30, source_address=source, context=context
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30, source_address=source
            )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            scheme = "https" if self.tls else "http"
            sent.setdefault("Origin", f"{scheme}://127.0.0.1:{self.port}")
            sent.setdefault("Referer", f"{scheme}://127.0.0.1:{self.port}{path}")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, text

    def csrf(self, path: str) -> str:
        response, text = self.request("GET", path, headers={"Accept-Language": "en"})
        assert response.status == 200, (path, response.status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)

    def log_in(self, email: str, password: str, headers=None) -> tuple[int, str]:
        # The form's token stays valid until a login succeeds (Django then rotates it).
        token = self.login_token = getattr(self, "login_token", None) or self.csrf(
            "/accounts/login/"
        )
        response, text = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": email, "password": password},
            headers={"Accept-Language": "en", **(headers or {})},
        )
        if response.status == 302:
            return 302, response.getheader("Location")
        return response.status, TOO_MANY if TOO_MANY in text else "refused"


def _fail_logins(client: Client, count: int, headers=None) -> None:
    for i in range(count):
        status, outcome = client.log_in(f"made-up-{i}@nowhere.example", "wrong", headers)
        assert (status, outcome) == (200, "refused"), i


def test_https_through_the_proxy_does_not_loop_and_plain_http_is_sent_to_https(proxied):
    browser = Client("127.0.0.2", proxied["https"], tls=True)
    response, text = browser.request("GET", "/accounts/login/")
    assert response.status == 200  # not 301 to itself
    assert response.getheader("Strict-Transport-Security").startswith("max-age=31536000")
    assert 'name="csrfmiddlewaretoken"' in text
    plain = Client("127.0.0.2", proxied["http"], tls=False)
    response, _ = plain.request("GET", "/accounts/login/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{proxied['http']}/accounts/login/"


def test_a_client_that_claims_https_itself_is_not_believed(proxied):
    # Straight to the app, not through the proxy: the header is the client's own word.
    direct = Client("127.0.0.3", proxied["app"], tls=False)
    response, _ = direct.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 301
    # Through the proxy over plain http: nginx overwrites the scheme with the real one.
    plain = Client("127.0.0.3", proxied["http"], tls=False)
    response, _ = plain.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 301


def test_failed_logins_lock_out_their_own_address_only_whatever_it_claims(proxied):
    attacker = Client("127.0.0.4", proxied["https"], tls=True)
    victim = Client("127.0.0.5", proxied["https"], tls=True)
    # Ten failures for made-up e-mails, each claiming to come from the victim's address.
    _fail_logins(attacker, 10, {"X-Forwarded-For": "127.0.0.5"})
    # The limit holds the attacker's real address (even the right password is refused)…
    assert attacker.log_in(REAL_USER, PASSWORD) == (200, TOO_MANY)
    assert attacker.log_in(REAL_USER, PASSWORD, {"X-Forwarded-For": "127.0.0.9"}) == (
        200,
        TOO_MANY,
    )
    # …and nobody else: not the framed victim, not another client behind the same proxy.
    assert victim.log_in(REAL_USER, PASSWORD) == (302, "/app/")
    assert Client("127.0.0.6", proxied["https"], tls=True).log_in(REAL_USER, PASSWORD) == (
        302,
        "/app/",
    )
    home, _ = victim.request("GET", "/app/")  # one organisation: straight to it
    assert (home.status, home.getheader("Location")) == (302, "/app/proxyorg/")
    overview, text = victim.request("GET", "/app/proxyorg/")
    assert overview.status == 200 and "Proxy Org" in text


def test_the_open_link_limit_counts_per_client_not_for_everyone(proxied):
    counter = Client("127.0.0.10", proxied["https"], tls=True)
    other = Client("127.0.0.11", proxied["https"], tls=True)
    token = counter.csrf("/o/balie")
    statuses = []
    for _ in range(21):  # empty answers: refused by the form, but counted by the limit
        response, _ = counter.request("POST", "/o/balie", {"csrfmiddlewaretoken": token})
        statuses.append(response.status)
    assert statuses == [422] * 20 + [429]
    token = other.csrf("/o/balie")
    response, _ = other.request("POST", "/o/balie", {"csrfmiddlewaretoken": token})
    assert response.status == 422  # its own count, not the proxy's
