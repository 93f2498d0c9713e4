"""Token authentication: a token belongs to one organisation and scopes every request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer

from klantpeil.accounts.models import ApiToken
from klantpeil.accounts.services import token_for_secret
from klantpeil.core import tenancy


class OrganisationToken(HttpBearer):
    openapi_description = "An API token made for one organisation: `Authorization: Bearer kp_…`"

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_for_secret(token)
        if api_token is None:
            return None
        # API messages are for developers: English, whatever the browser prefers.
        translation.activate("en")
        request.organisation = api_token.organisation
        # TenantMiddleware resets this when the response leaves.
        request._tenant_token = tenancy.activate(api_token.organisation)
        return api_token
