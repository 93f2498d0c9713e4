"""Token authentication: a token belongs to one organisation and scopes every request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer

from klantpeil.accounts.models import ApiToken, TokenScope
from klantpeil.accounts.services import token_for_secret
from klantpeil.api.errors import ApiError
from klantpeil.core import tenancy

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class OrganisationToken(HttpBearer):
    openapi_description = (
        "An API token made for one organisation: `Authorization: Bearer kp_…`. "
        "A read-only token gets 403 on every write."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_for_secret(token)
        if api_token is None:
            return None
        # API messages are for developers: English, whatever the browser prefers.
        translation.activate("en")
        if api_token.scope == TokenScope.READ and request.method not in READ_METHODS:
            request.auth = api_token  # the refused attempt still goes to the audit log
            raise ApiError(403, "read_only_token", "This token may only read.")
        request.organisation = api_token.organisation
        # TenantMiddleware resets this when the response leaves.
        request._tenant_token = tenancy.activate(api_token.organisation)
        return api_token
