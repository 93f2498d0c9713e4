"""Fixtures for the single sign-on tests: a real OpenID provider in its own process."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]


def provider_port(variable: str) -> int:
    """A free loopback port, or the one pinned in ``variable``: the SQLite and the
    PostgreSQL runs of the suite go side by side, so a fixed default would collide."""
    from tests.conftest import free_port

    return int(os.environ.get(variable) or free_port())


CLIENT_ID = "klantpeil-test-client"
CLIENT_SECRET = "s3cret-for-the-test-provider-only-0123456789"
PASSWORD = "op-password-1"


def _pem(tmp: Path, name: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp / name
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@dataclass
class Provider:
    issuer: str
    mode_file: Path

    def misbehave(self, mode: str) -> None:
        """'' (behave), 'audience', 'issuer', 'signature' or 'unverified'."""
        self.mode_file.write_text(mode)


@pytest.fixture
def oidc_provider(tmp_path: Path) -> Iterator[Callable[..., Provider]]:
    """Start django-oauth-toolkit (OIDC mode, RS256 key made now) on loopback with
    the given users and Klantpeil's redirect URIs; stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(*, redirect_uris: list[str], users: list[dict]) -> Provider:
        port = provider_port("KLANTPEIL_TEST_OIDC_PORT")
        issuer = f"http://127.0.0.1:{port}/o"
        mode_file = tmp_path / "mode"
        mode_file.write_text("")
        env = os.environ | {
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
            "OP_PORT": str(port),
            "OP_DB": str(tmp_path / "op.sqlite3"),
            "OP_KEY": str(_pem(tmp_path, "op.pem")),
            "OP_OTHER_KEY": str(_pem(tmp_path, "other.pem")),
            "OP_ISSUER": issuer,
            "OP_MODE_FILE": str(mode_file),
            "OP_CLIENT_ID": CLIENT_ID,
            "OP_CLIENT_SECRET": CLIENT_SECRET,
            "OP_REDIRECT_URIS": " ".join(redirect_uris),
            "OP_USERS": json.dumps([{"password": PASSWORD, **u} for u in users]),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        log = (tmp_path / "op.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sso.oidc_provider.serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError((tmp_path / "op.log").read_text())
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return Provider(issuer=issuer, mode_file=mode_file)
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(
            "the test OpenID provider did not start: " + (tmp_path / "op.log").read_text()
        )

    yield start
    for proc in processes:
        proc.terminate()
        proc.wait(timeout=10)


def form_fields(html: str, form_id: str | None = None) -> dict[str, str]:
    """The hidden inputs of the first form (or the one with ``form_id``)."""
    if form_id:
        html = html[html.index(f'id="{form_id}"') :]
    form = html[: html.index("</form>")]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: htmllib.unescape(value) for name, value in found}


def continue_url(html: str) -> str:
    """Where Klantpeil's "taking you to your provider" page goes on to (its meta
    refresh and its link agree)."""
    refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', html).group(1)
    link = re.search(r'id="sso-continue" href="([^"]+)"', html).group(1)
    assert refresh == link
    return htmllib.unescape(link)


def sign_in_through_provider(
    base: str, email: str, username: str
) -> tuple[requests.Session, requests.Response]:
    """A real browser's requests, done by hand: Klantpeil's e-mail-first step, the
    provider's login form, and every redirect between the two servers."""
    session = requests.Session()
    session.headers["Accept-Language"] = "en"  # the tests read Klantpeil's English
    login = session.get(f"{base}/accounts/login/", timeout=10)
    assert login.status_code == 200
    csrf = session.cookies.get("csrftoken")
    response = session.post(
        f"{base}/accounts/sso/",
        data={"email": email, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=20,
    )
    if 'id="sso-continue"' not in response.text:
        return session, response  # Klantpeil answered itself (no provider for the domain)
    response = session.get(continue_url(response.text), timeout=20)
    assert "/login/" in response.url, response.url
    fields = {
        "csrfmiddlewaretoken": session.cookies.get("op_csrftoken"),
        "next": form_fields(response.text).get("next", ""),
        "username": username,
        "password": PASSWORD,
    }
    response = session.post(response.url, data=fields, timeout=30)
    return session, response
