"""The respondent's opt-out page: ``/s/opt-out/<signed token>``, no login.

GET shows a confirmation with one button (a link scanner that follows the link opts
nobody out); POST records the opt-out. A mail program's RFC 8058 one-click
unsubscribe is the same POST with ``List-Unsubscribe=One-Click`` in its body. The
signed token is the capability, so the POST needs no CSRF cookie.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from klantpeil.distribution import services
from klantpeil.distribution.models import OptOutSource

LANGUAGES = ("nl", "en")


@csrf_exempt
@never_cache
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    delivery = services.delivery_for_opt_out(token)
    if delivery is None:
        raise Http404
    chosen = request.GET.get("lang") or request.POST.get("lang")
    language = chosen if chosen in LANGUAGES else delivery.invitation.language
    language = language if language in LANGUAGES else "nl"
    done = False
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.opt_out(
            delivery, source=OptOutSource.ONE_CLICK if one_click else OptOutSource.LINK
        )
        done = True
    with translation.override(language):
        response = render(
            request,
            "distribution/opt_out.html",
            {
                "organisation": delivery.organisation,
                "language": language,
                "done": done,
                "action": request.path,
            },
        )
        response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response
