"""SAML 2.0: what runs without a SAML identity provider. The service-provider
metadata and the redirect to the IdP are real (python3-saml builds and deflates the
AuthnRequest); no SAML IdP is started here (see the README)."""

from __future__ import annotations

import base64
import datetime as dt
import html as htmllib
import re
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from klantpeil.accounts.models import Membership, User
from klantpeil.accounts.sso.services import configure_identity_provider
from tests.sso.conftest import continue_url, provider_port
from tests.sso.saml_idp import MiniSamlIdp

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
    assert response.status_code == 200
    location = urlsplit(continue_url(response.content.decode()))
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://idp.gemeente-a.nl/adfs/ls/"
    )
    request = zlib.decompress(
        base64.b64decode(parse_qs(location.query)["SAMLRequest"][0]), -15
    ).decode()
    pid = f"kp-org-{saml_org.pk}"
    assert 'Destination="https://idp.gemeente-a.nl/adfs/ls/"' in request
    assert f'AssertionConsumerServiceURL="http://localhost/accounts/saml/{pid}/acs/"' in request


IDP_ENTITY = "https://idp.gemeente-a.nl/saml"


@pytest.fixture
def saml_world(live_server, make_org, make_member):
    org = make_org("gemeente-a")
    manager = make_member("m@gemeente-a.nl", org, "manager")
    with MiniSamlIdp(provider_port("KLANTPEIL_TEST_SAML_IDP_PORT"), IDP_ENTITY) as idp:
        idp.user = {"email": "anna@gemeente-a.nl", "given": "Anna", "family": "de Vries"}
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
                "saml_entity_id": IDP_ENTITY,
                "saml_sso_url": idp.sso_url,
                "saml_x509_cert": idp.cert,
                "saml_metadata_url": "",
            },
            domains=["gemeente-a.nl"],
            client_secret=None,
        )
        yield {"org": org, "idp": idp, "base": live_server.url}


def _saml_sign_in(base: str, email: str) -> tuple[requests.Session, requests.Response]:
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    session.get(f"{base}/accounts/login/", timeout=10)
    form = session.post(
        f"{base}/accounts/sso/",
        data={"email": email, "csrfmiddlewaretoken": session.cookies.get("csrftoken")},
        timeout=20,
    )
    form = session.get(continue_url(form.text), timeout=20)
    assert form.url.startswith("http://127.0.0.1:"), form.url
    action = htmllib.unescape(re.search(r'action="([^"]+)"', form.text).group(1))
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.text))
    fields = {k: htmllib.unescape(v) for k, v in fields.items()}
    return session, session.post(action, data=fields, timeout=20)


def _in_app(session: requests.Session, base: str) -> bool:
    page = session.get(f"{base}/app/", timeout=10)
    return page.status_code == 200 and page.url.startswith(f"{base}/app/")


@pytest.mark.django_db(transaction=True)
def test_a_signed_assertion_signs_in_and_makes_the_member_once(saml_world):
    base, org = saml_world["base"], saml_world["org"]
    session, _ = _saml_sign_in(base, "anna@gemeente-a.nl")
    assert _in_app(session, base)
    user = User.objects.get(email="anna@gemeente-a.nl")
    assert (user.first_name, user.last_name) == ("Anna", "de Vries")
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [
        (org.pk, "viewer")
    ]
    session, _ = _saml_sign_in(base, "anna@gemeente-a.nl")
    assert _in_app(session, base)
    assert User.objects.filter(email="anna@gemeente-a.nl").count() == 1
    assert SocialAccount.objects.get().provider == f"kp-org-{org.pk}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["unsigned", "signature", "audience", "other-domain"])
def test_a_bad_assertion_signs_nobody_in(saml_world, mode):
    base, idp = saml_world["base"], saml_world["idp"]
    if mode == "other-domain":
        idp.user = {"email": "bob@insurer-b.nl", "given": "Bob", "family": "J"}
    else:
        idp.mode = mode
    session, response = _saml_sign_in(base, "anna@gemeente-a.nl")
    # python3-saml refuses the first three (allauth's "login failed" page, 401); the
    # adapter refuses a person of a domain this organisation did not claim (403).
    assert response.status_code == (403 if mode == "other-domain" else 401)
    assert response.url.endswith("/acs/finish/")
    assert not _in_app(session, base)
    assert not SocialAccount.objects.exists()
    assert not User.objects.exclude(email="m@gemeente-a.nl").exists()
