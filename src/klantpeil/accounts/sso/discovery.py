"""The "test connection" button: fetch what the provider publishes and say plainly
what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree import ElementTree

import requests
from django.utils.translation import gettext as _

TIMEOUT = 5
MAX_BYTES = 512 * 1024
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@dataclass
class ConnectionReport:
    ok: bool
    url: str
    problems: list[str] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)


def discovery_url(issuer: str) -> str:
    if "/.well-known/" in issuer:
        return issuer
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _get(url: str) -> tuple[bytes | None, str | None]:
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False) as resp:
            if resp.status_code != 200:
                return None, _("The provider answered HTTP %(status)s at %(url)s.") % {
                    "status": resp.status_code,
                    "url": url,
                }
            body = resp.raw.read(MAX_BYTES + 1, decode_content=True)
            if len(body) > MAX_BYTES:
                return None, _("The document at %(url)s is too large.") % {"url": url}
            return body, None
    except requests.RequestException as exc:
        return None, _("Could not reach %(url)s: %(error)s") % {
            "url": url,
            "error": type(exc).__name__,
        }


def check_oidc(issuer: str) -> ConnectionReport:
    """Fetch the discovery document and check it names this issuer and the endpoints
    a sign-in needs, and that its signing keys can be read."""
    url = discovery_url(issuer)
    report = ConnectionReport(ok=False, url=url)
    body, problem = _get(url)
    if problem:
        report.problems.append(problem)
        return report
    try:
        doc = requests.models.complexjson.loads(body)
        assert isinstance(doc, dict)
    except (ValueError, AssertionError):
        report.problems.append(_("The discovery document is not JSON."))
        return report
    missing = [key for key in REQUIRED if not doc.get(key)]
    if missing:
        report.problems.append(
            _("The discovery document lacks: %(keys)s.") % {"keys": ", ".join(missing)}
        )
    expected = issuer.split("/.well-known/")[0].rstrip("/")
    if doc.get("issuer") and doc["issuer"].rstrip("/") != expected:
        report.problems.append(
            _("The provider calls itself %(found)s, not %(expected)s: sign-ins would be refused.")
            % {"found": doc["issuer"], "expected": expected}
        )
    for key in (*REQUIRED, "userinfo_endpoint"):
        if doc.get(key):
            report.found[key] = str(doc[key])
    if doc.get("jwks_uri"):
        keys, problem = _get(doc["jwks_uri"])
        if problem:
            report.problems.append(problem)
        else:
            try:
                count = len(requests.models.complexjson.loads(keys).get("keys", []))
            except (ValueError, AttributeError):
                count = 0
            if not count:
                report.problems.append(_("The provider publishes no signing keys."))
            report.found["signing keys"] = str(count)
    report.ok = not report.problems
    return report


def check_saml_metadata(url: str, entity_id: str) -> ConnectionReport:
    """Fetch the IdP metadata and check it describes ``entity_id`` with a sign-on URL."""
    report = ConnectionReport(ok=False, url=url)
    body, problem = _get(url)
    if problem:
        report.problems.append(problem)
        return report
    try:
        # expat never fetches external entities and (>= 2.4) bounds entity expansion.
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        report.problems.append(_("The metadata is not XML."))
        return report
    found_id = root.get("entityID", "")
    report.found["entityID"] = found_id
    if entity_id and found_id != entity_id:
        report.problems.append(
            _("The metadata describes %(found)s, not %(expected)s.")
            % {"found": found_id, "expected": entity_id}
        )
    sso = root.find(f".//{MD}IDPSSODescriptor/{MD}SingleSignOnService")
    if sso is None:
        report.problems.append(_("The metadata names no single sign-on service."))
    else:
        report.found["SingleSignOnService"] = sso.get("Location", "")
    report.ok = not report.problems
    return report
