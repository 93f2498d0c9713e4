"""What kind of installation this is, for the templates: a demo says that it is one."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def deployment(request: HttpRequest) -> dict:
    """``is_demo``: the banner that tells every visitor of a demo that it is one
    (``klantpeil demo`` sets ``KLANTPEIL_DEMO``; config/env.py)."""
    return {"is_demo": settings.KLANTPEIL_DEMO}
