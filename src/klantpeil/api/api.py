"""The REST API, version 1, at /api/v1/."""

from ninja import Swagger

from klantpeil.analytics.api import router as analytics_router
from klantpeil.analytics.segments_api import router as segments_router
from klantpeil.api import errors
from klantpeil.api.auth import OrganisationToken
from klantpeil.api.errors import Api
from klantpeil.collection.api import router as collection_router
from klantpeil.distribution.api import router as distribution_router
from klantpeil.distribution.funnel_api import router as funnel_router
from klantpeil.instruments.api import router as instruments_router
from klantpeil.organisations.api import router as organisations_router

api = Api(
    title="Klantpeil API",
    version="1",
    description=(
        "Push contact events to invite respondents, store measurements collected elsewhere "
        "and read results. Every token belongs to one organisation; everything you see and "
        "write is that organisation's. Errors always have the shape "
        "`{status, code, message, field, errors: [{field, index, message, value}]}`."
    ),
    auth=OrganisationToken(),
    urls_namespace="api-v1",
    parser=errors.StorableTextParser(),
    # Deep links put a link inside each operation's toggle button: a control nested in a
    # control, which screen readers cannot reach (axe: nested-interactive).
    docs=Swagger(settings={"deepLinking": False}),
)
errors.install(api)
api.add_router("", instruments_router)
api.add_router("", organisations_router)
api.add_router("", collection_router)
api.add_router("", distribution_router)
api.add_router("", analytics_router)
api.add_router("", segments_router)
api.add_router("", funnel_router)
