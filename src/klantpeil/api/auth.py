"""Token authentication: a token belongs to one organisation and scopes every request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer

from klantpeil.accounts.models import ApiToken, Membership, TokenScope
from klantpeil.accounts.services import token_for_secret
from klantpeil.api.errors import ApiError
from klantpeil.core import tenancy

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The batch routes take up to 10,000 items: about 4 MB of customer surveys, more with
# comments. Every other request keeps Django's limit (DATA_UPLOAD_MAX_MEMORY_SIZE).
BATCH_ROUTES = frozenset({"measurements", "invitations"})
BATCH_BODY_LIMIT = 20_000_000  # bytes, as the README documents


def read_batch_body(request: HttpRequest) -> None:
    """Read a batch's body up to ``BATCH_BODY_LIMIT`` (413 beyond it), before django-ninja
    reads it under Django's smaller limit. Called once the token may write, so nobody
    without one makes the server hold 20 MB."""
    match = request.resolver_match
    if request.method != "POST" or match is None or hasattr(request, "_body"):
        return
    if match.route.rpartition("/")[2] not in BATCH_ROUTES:
        return
    too_large = ApiError(
        413, "too_large", f"The request body may be at most {BATCH_BODY_LIMIT:,} bytes."
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BATCH_BODY_LIMIT:
        raise too_large
    body = request.read(BATCH_BODY_LIMIT + 1)
    if len(body) > BATCH_BODY_LIMIT:
        raise too_large
    # What HttpRequest.body caches once read; from here on request.body is this.
    request._body = body


def token_unit_scope(api_token: ApiToken) -> frozenset[int] | None:
    """The units a token reads: those its maker is limited to in the token's
    organisation, as of now (a member limited after making a token limits the token
    too); None, the whole organisation, for a token made by someone who is not
    limited there (an operator's, a command's)."""
    if api_token.created_by_id is None:
        return None
    membership = Membership.objects.filter(
        user_id=api_token.created_by_id, organisation_id=api_token.organisation_id
    ).first()
    return membership.unit_scope() if membership is not None else None


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
        request.auth = api_token  # a refused body is recorded too
        read_batch_body(request)
        request.organisation = api_token.organisation
        # TenantMiddleware resets this when the response leaves.
        request._tenant_token = tenancy.activate(
            api_token.organisation, token_unit_scope(api_token)
        )
        return api_token
