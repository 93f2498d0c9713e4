"""The provider's claims, and the ways it can be made to misbehave (OP_MISBEHAVE)."""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from oauth2_provider.oauth2_validators import OAuth2Validator


def _mode() -> str:
    # Read per request: the tests switch it through a file, without restarting.
    path = os.environ.get("OP_MODE_FILE")
    return Path(path).read_text().strip() if path and Path(path).exists() else ""


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever scope was granted

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": _mode() != "unverified",
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": f"{user.first_name} {user.last_name}".strip(),
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        mode = _mode()
        if mode == "audience":
            claims["aud"] = "someone-else"
        elif mode == "issuer":
            claims["iss"] = "https://impostor.example"
        return claims, expiration

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if _mode() != "signature":
            return signed
        # Same header (same key id) and claims, signed with a key the provider does
        # not publish.
        header, payload, _ = signed.split(".")
        other = serialization.load_pem_private_key(
            Path(os.environ["OP_OTHER_KEY"]).read_bytes(), password=None
        )
        signature = other.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
