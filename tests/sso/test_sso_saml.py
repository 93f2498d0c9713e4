"""SAML 2.0: what runs without a SAML identity provider. The service-provider
metadata and the redirect to the IdP are real (python3-saml builds and deflates the
AuthnRequest); no SAML IdP is started here (see the README)."""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from klantpeil.accounts.sso.services import configure_identity_provider

# python3-saml refuses single-label host names such as the test client's "testserver".
HOST = "localhost"


def _certificate() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.gemeente-a.nl")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def saml_org(make_org, make_member):
    org = make_org("gemeente-a")
    manager = make_member("m@gemeente-a.nl", org, "manager")
    configure_identity_provider(
        organisation=org,
        by=manager,
        by_role="manager",
        values={
            "protocol": "saml",
            "display_name": "ADFS",
            "enabled": True,
            "default_role": "viewer",
            "oidc_issuer": "",
            "oidc_client_id": "",
            "saml_entity_id": "https://idp.gemeente-a.nl/adfs",
            "saml_sso_url": "https://idp.gemeente-a.nl/adfs/ls/",
            "saml_x509_cert": _certificate(),
            "saml_metadata_url": "",
        },
        domains=["gemeente-a.nl"],
        client_secret=None,
    )
    return org


@pytest.mark.django_db
def test_the_service_provider_metadata_names_our_endpoints(saml_org, client):
    pid = f"kp-org-{saml_org.pk}"
    response = client.get(f"/accounts/saml/{pid}/metadata/", HTTP_HOST=HOST)
    assert response.status_code == 200
    xml = response.content.decode()
    assert f'entityID="http://localhost/accounts/saml/{pid}/metadata/"' in xml
    assert f'Location="http://localhost/accounts/saml/{pid}/acs/"' in xml
    assert 'WantAssertionsSigned="true"' in xml


@pytest.mark.django_db
def test_the_e_mail_step_sends_the_browser_to_the_idp_with_an_authn_request(saml_org, client):
    client.get("/accounts/login/", HTTP_HOST=HOST)
    response = client.post("/accounts/sso/", {"email": "anna@gemeente-a.nl"}, HTTP_HOST=HOST)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://idp.gemeente-a.nl/adfs/ls/"
    )
    request = zlib.decompress(
        base64.b64decode(parse_qs(location.query)["SAMLRequest"][0]), -15
    ).decode()
    pid = f"kp-org-{saml_org.pk}"
    assert 'Destination="https://idp.gemeente-a.nl/adfs/ls/"' in request
    assert f'AssertionConsumerServiceURL="http://localhost/accounts/saml/{pid}/acs/"' in request
