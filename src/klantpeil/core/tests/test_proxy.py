"""Who the client is behind a reverse proxy (ProxyMiddleware), through the real Django stack.

tests/test_proxy.py proves the same with Debian's nginx in front of `klantpeil serve`;
here the cases a single nginx cannot show: chains of proxies, networks, a hop count,
RFC 7239 ``Forwarded``, IPv6, and junk in the headers.
"""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from klantpeil.core.middleware import resolve_client

PROXIES = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))
PASSWORD = "pw-for-tests-only"
TOO_MANY = "Too many failed login attempts"


def _hops(*addresses: str, proto: str = "https") -> list[tuple[str, str]]:
    return [(address, proto) for address in addresses]


@pytest.mark.parametrize(
    ("peer", "hops", "hop_count", "expected"),
    [
        # Not from a trusted proxy: the peer is the client, whatever the header says.
        ("192.0.2.9", _hops("198.51.100.1"), None, ("192.0.2.9", None)),
        # One proxy: what the client wrote itself stays left of what nginx appended.
        ("10.0.0.2", _hops("203.0.113.66", "198.51.100.1"), None, ("198.51.100.1", "https")),
        # A chain of trusted proxies is walked back to the first untrusted address.
        (
            "10.0.0.2",
            _hops("198.51.100.1", "10.1.2.3", "10.0.0.7"),
            None,
            ("198.51.100.1", "https"),
        ),
        # Only trusted proxies in the record: the first of them is as far as it goes.
        ("10.0.0.2", _hops("10.9.9.9", "10.0.0.7"), None, ("10.9.9.9", "https")),
        # A hop count trusts positions: two proxies, the second-last entry is the client.
        (
            "10.0.0.2",
            _hops("203.0.113.66", "198.51.100.1", "192.0.2.44"),
            2,
            ("198.51.100.1", "https"),
        ),
        # Fewer entries than hops: the first entry, never the peer's own claim beyond it.
        ("10.0.0.2", _hops("198.51.100.1"), 3, ("198.51.100.1", "https")),
        # IPv6 with brackets and a port, as Forwarded writes it.
        ("fd00::1", _hops('"[2001:db8::7]:4711"'), None, ("2001:db8::7", "https")),
        ("10.0.0.2", _hops("198.51.100.1:5555"), None, ("198.51.100.1", "https")),
        # Junk or an obfuscated name: the proxy is all that is known, and no scheme.
        ("10.0.0.2", _hops("unknown"), None, ("10.0.0.2", None)),
        ("10.0.0.2", _hops("_hidden"), None, ("10.0.0.2", None)),
        # Only http and https are schemes.
        ("10.0.0.2", _hops("198.51.100.1", proto="gopher"), None, ("198.51.100.1", None)),
        ("10.0.0.2", _hops("198.51.100.1", proto="HTTP"), None, ("198.51.100.1", "http")),
        # No record at all.
        ("10.0.0.2", [], None, ("10.0.0.2", None)),
    ],
)
def test_resolve_client(peer, hops, hop_count, expected):
    assert resolve_client(peer=peer, hops=hops, trusted=PROXIES, hop_count=hop_count) == expected


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _seen(client: Client, peer: str, **headers) -> tuple[str, str, dict]:
    response = client.get("/healthz", REMOTE_ADDR=peer, **headers)
    request = response.wsgi_request
    return request.META["REMOTE_ADDR"], request.scheme, request.META


@override_settings(KLANTPEIL_TRUSTED_PROXIES=PROXIES)
def test_the_middleware_believes_trusted_proxies_only(db):
    client = Client()
    address, scheme, meta = _seen(
        client,
        "10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.1",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert (address, scheme) == ("198.51.100.1", "https")
    assert meta["KLANTPEIL_PEER_ADDR"] == "10.0.0.2"
    address, scheme, meta = _seen(
        client,
        "192.0.2.9",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_FORWARDED="for=198.51.100.1;proto=https",
    )
    assert (address, scheme) == ("192.0.2.9", "http")
    # Removed, so nothing further down can be fooled by them either.
    assert not {"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED"} & set(meta)


@override_settings(KLANTPEIL_TRUSTED_PROXIES=PROXIES, KLANTPEIL_PROXY_HEADERS="forwarded")
def test_rfc_7239_forwarded_when_chosen(db):
    client = Client()
    address, scheme, _ = _seen(
        client,
        "10.0.0.2",
        HTTP_FORWARDED='for=203.0.113.66, for="[2001:db8::7]:4711";proto=https;by=10.0.0.2',
        HTTP_X_FORWARDED_FOR="198.51.100.99",  # not the chosen header: ignored
    )
    assert (address, scheme) == ("2001:db8::7", "https")


@override_settings(KLANTPEIL_TRUSTED_PROXIES=())
def test_without_trusted_proxies_nothing_is_believed(db):
    address, scheme, _ = _seen(
        Client(), "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_X_FORWARDED_PROTO="https"
    )
    assert (address, scheme) == ("10.0.0.2", "http")


def _log_in(client, peer, email, password, **headers):
    response = client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=peer,
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )
    if response.status_code == 302:
        return "in"
    return "locked" if TOO_MANY in response.content.decode() else "refused"


@override_settings(KLANTPEIL_TRUSTED_PROXIES=PROXIES)
def test_login_limits_key_on_the_real_client_and_the_account(make_org, make_member):
    make_member("real@alpha.example", make_org("alpha"), "analyst")
    proxy = "10.0.0.2"
    attacker = Client()
    # Ten failures with made-up e-mails from one client behind the proxy.
    for i in range(10):
        outcome = _log_in(
            attacker, proxy, f"x{i}@nowhere.example", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1"
        )
        assert outcome == "refused"
    assert (
        _log_in(
            attacker, proxy, "real@alpha.example", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1"
        )
        == "locked"
    )
    # Everyone else behind the same proxy signs in.
    assert (
        _log_in(
            Client(), proxy, "real@alpha.example", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2"
        )
        == "in"
    )
    # An untrusted client posing as someone else is counted as itself.
    poser = Client()
    for i in range(10):
        outcome = _log_in(
            poser,
            "192.0.2.9",
            f"y{i}@nowhere.example",
            "wrong",
            HTTP_X_FORWARDED_FOR="198.51.100.3",
        )
        assert outcome == "refused"
    assert _log_in(Client(), "192.0.2.9", "real@alpha.example", PASSWORD) == "locked"
    assert (
        _log_in(
            Client(), proxy, "real@alpha.example", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.3"
        )
        == "in"
    )
    # And the account's own lock (five failures) holds from any address.
    for i in range(5):
        client_address = f"198.51.100.{20 + i}"
        outcome = _log_in(
            Client(), proxy, "real@alpha.example", "wrong", HTTP_X_FORWARDED_FOR=client_address
        )
        assert outcome == "refused"
    assert (
        _log_in(
            Client(), proxy, "real@alpha.example", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.40"
        )
        == "locked"
    )
