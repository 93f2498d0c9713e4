"""Resolves the organisation of every /app/ request: the one tenancy gate of the web app;
and, first of all middleware, who the client is behind a trusted reverse proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from klantpeil.accounts.permissions import may_open
from klantpeil.accounts.selectors import membership_in
from klantpeil.core import tenancy


class TenantMiddleware:
    """For any view whose URL carries ``<org>``, require a membership and scope the request.

    Not a member, not signed in for a member-only page, and no such organisation
    all answer 404, so nobody learns which organisations exist.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None
        request.membership = None
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_tenant_token", None)
            if token is not None:
                tenancy.deactivate(token)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get("org")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        membership = membership_in(user=request.user, organisation_slug=slug)
        if membership is None:
            raise Http404("No such organisation")
        request.organisation = membership.organisation
        request.membership = membership
        # A member limited to units reads only those units (core/tenancy.py).
        request._tenant_token = tenancy.activate(membership.organisation, membership.unit_scope())
        route = request.resolver_match.view_name if request.resolver_match else ""
        if not may_open(membership.role, route):
            if route == "app:overview":  # where a login lands: the shopper's day instead
                return redirect("app:fieldwork:shopper-today", org=slug)
            raise PermissionDenied
        return None


# --- the client behind a reverse proxy ------------------------------------------------

PROXY_META = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


def _address(value: str) -> str | None:
    """An IP address from a proxy header: ``192.0.2.1``, ``192.0.2.1:4711``,
    ``"[2001:db8::1]:4711"`` or ``2001:db8::1``; None for ``unknown``, ``_hidden`` or junk."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _forwarded_elements(header: str) -> list[tuple[str, str]]:
    """RFC 7239 ``Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]"`` as
    (for, proto) pairs, the client's first. Quoted commas are not expected in for/proto."""
    hops = []
    for element in header.split(","):
        pairs = {}
        for pair in element.split(";"):
            name, _, value = pair.partition("=")
            pairs[name.strip().lower()] = value.strip().strip('"')
        hops.append((pairs.get("for", ""), pairs.get("proto", "")))
    return hops


def _trusted(address: str | None, networks: tuple) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def resolve_client(
    *,
    peer: str,
    hops: list[tuple[str, str]],
    trusted: tuple,
    hop_count: int | None = None,
) -> tuple[str, str | None]:
    """The client's address and the scheme it used, from the peer (who connected to us)
    and the proxies' record of the hops before it, the client's first: (address, scheme
    that address used towards the next hop; "" when not recorded).

    Only a peer in ``trusted`` is believed. Then the client is the address
    ``hop_count`` places from the end of the record when a hop count is set (the
    number of proxies in front of Klantpeil), otherwise the last address that is not
    itself a trusted proxy, walking back from the peer: what a client writes in the
    header itself stays to the left of what the proxies append, so it is never taken.
    The scheme is None when the record does not say (the connection's own counts).
    """
    if not hops or not _trusted(_address(peer), trusted):
        return peer, None
    if hop_count is not None:
        index = max(len(hops) - hop_count, 0)
    else:
        index = len(hops) - 1
        while index > 0 and _trusted(_address(hops[index][0]), trusted):
            index -= 1
    address = _address(hops[index][0])
    if address is None:
        # "unknown", an obfuscated name or junk: the nearest proxy is all we know.
        return peer, None
    scheme = hops[index][1].strip().lower()
    return address, scheme if scheme in ("http", "https") else None


class ProxyMiddleware:
    """Behind a trusted reverse proxy, the client's address (``REMOTE_ADDR``, which every
    rate limit and lockout keys on) and scheme (https, for the HTTPS redirect and secure
    cookies) come from the proxy's headers; from anyone else those headers are removed.

    Settings (config/env.py): ``KLANTPEIL_TRUSTED_PROXIES`` (addresses and networks the
    proxy connects from), ``KLANTPEIL_TRUSTED_PROXY_HOPS`` (optional: the number of
    proxies in a chain) and ``KLANTPEIL_PROXY_HEADERS`` (``x-forwarded``: X-Forwarded-For
    and X-Forwarded-Proto, the default; or ``forwarded``: RFC 7239). The peer's own
    address stays in ``request.META["KLANTPEIL_PEER_ADDR"]``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.trusted = settings.KLANTPEIL_TRUSTED_PROXIES
        self.hop_count = settings.KLANTPEIL_TRUSTED_PROXY_HOPS
        self.header = settings.KLANTPEIL_PROXY_HEADERS

    def _hops(self, meta: dict) -> list[tuple[str, str]]:
        if self.header == "forwarded":
            return _forwarded_elements(meta["HTTP_FORWARDED"]) if "HTTP_FORWARDED" in meta else []
        chain = [a for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        protos = [p.strip() for p in meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")]
        if not chain:
            # A proxy that tells the scheme only: the peer is the client.
            chain = [meta.get("REMOTE_ADDR", "")]
        if len(protos) != len(chain):
            # A proxy that sets the scheme rather than appending to it: its one value
            # (the nearest proxy's word, when there are several) is the client's.
            protos = [protos[-1]] * len(chain)
        return list(zip(chain, protos, strict=True))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta["KLANTPEIL_PEER_ADDR"] = peer
        if self.trusted and _trusted(_address(peer), self.trusted):
            client, scheme = resolve_client(
                peer=peer, hops=self._hops(meta), trusted=self.trusted, hop_count=self.hop_count
            )
            meta["REMOTE_ADDR"] = client
            if scheme:
                meta["wsgi.url_scheme"] = scheme
        else:
            # Not from our proxy: what these headers claim is the client's own word.
            for name in PROXY_META:
                meta.pop(name, None)
        return self.get_response(request)
