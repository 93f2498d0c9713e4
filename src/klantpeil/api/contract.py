"""The API contract: the OpenAPI document generated from the code, and its committed copy.

Integrators generate clients from the committed ``openapi.json`` beside this module
(it ships in the package); a test fails when it differs from what the code generates,
and another validates it and generates a real client from it. After changing a route,
a parameter or an output schema, regenerate it with one command::

    make openapi        # or: klantpeil manage openapi
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMMITTED = Path(__file__).with_name("openapi.json")
REGENERATE = "make openapi  (or: klantpeil manage openapi)"


def generated_document() -> dict[str, Any]:
    """The OpenAPI document as ``/api/v1/openapi.json`` serves it, generated now."""
    from django.urls import reverse
    from django.utils import translation

    from klantpeil.api.api import api

    with translation.override("en"):  # descriptions never follow a request's language
        return api.get_openapi_schema(path_prefix=reverse("api-v1:api-root"))


def render(document: dict[str, Any]) -> str:
    """The document as committed: stable key order, two-space indents, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def committed_text() -> str:
    return COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
