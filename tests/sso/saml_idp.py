# ruff: noqa: E501 (the SAML documents below read best one element per line)
"""A minimal SAML 2.0 identity provider for the tests, on loopback.

Written for these tests (no SAML IdP product is packaged for this machine): it takes
the AuthnRequest of the HTTP-Redirect binding, and answers the HTTP-POST binding's
auto-submitting form with a Response whose Assertion is signed with xmlsec
(python3-saml's signer) by a key made at test start. ``misbehave`` makes it lie."""

from __future__ import annotations

import base64
import datetime as dt
import html
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def key_and_certificate(common_name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class MiniSamlIdp:
    def __init__(self, port: int, entity_id: str) -> None:
        self.entity_id = entity_id
        self.sso_url = f"http://127.0.0.1:{port}/sso"
        self.key, self.cert = key_and_certificate("idp.test")
        self.other_key, self.other_cert = key_and_certificate("impostor.test")
        self.mode = ""
        self.user: dict[str, str] = {}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                body = idp.answer(query["SAMLRequest"][0], query.get("RelayState", [""])[0])
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MiniSamlIdp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, saml_request: str, relay_state: str) -> str:
        request = ElementTree.fromstring(zlib.decompress(base64.b64decode(saml_request), -15))
        acs = request.get("AssertionConsumerServiceURL")
        sp_entity = request.find(f"{SAML}Issuer").text
        response = self.response(request.get("ID"), acs, sp_entity)
        return (
            f'<form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{response}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            "</form>"
        )

    def response(self, in_response_to: str, acs: str, sp_entity: str) -> str:
        now = dt.datetime.now(dt.UTC)
        later = _instant(now + dt.timedelta(minutes=5))
        email, given, family = self.user["email"], self.user["given"], self.user["family"]
        audience = "urn:someone-else" if self.mode == "audience" else sp_entity
        assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}">
<saml:Issuer>{self.entity_id}</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="{acs}" InResponseTo="{in_response_to}"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{later}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_s{uuid.uuid4().hex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>
<saml:Attribute Name="{CLAIMS}emailaddress"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="{CLAIMS}givenname"><saml:AttributeValue>{given}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="{CLAIMS}surname"><saml:AttributeValue>{family}</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion>"""
        if self.mode != "unsigned":
            key, cert = (
                (self.other_key, self.other_cert)
                if self.mode == "signature"
                else (self.key, self.cert)
            )
            assertion = OneLogin_Saml2_Utils.add_sign(
                assertion, key, cert, sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256
            )
            if isinstance(assertion, bytes):
                assertion = assertion.decode()
        response = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" Destination="{acs}" InResponseTo="{in_response_to}"><saml:Issuer>{self.entity_id}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{assertion}</samlp:Response>"""
        return base64.b64encode(response.encode()).decode()
