"""The API contract is valid, generated, committed and checked (as KoboToolbox does it).

1. The committed ``src/klantpeil/api/openapi.json`` is valid OpenAPI 3.1
   (``openapi-spec-validator``).
2. It is exactly what the code generates now; when a route, parameter or output
   schema changes, regenerate it with ``make openapi`` (``klantpeil manage openapi``).
3. ``openapi-python-client`` generates a client from it (offline, warnings are
   errors), and that client talks to a real ``klantpeil serve`` on 127.0.0.1 with a
   real token: it lists measurements, stores one, and reads a 422 as the documented
   error shape.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from klantpeil.api.contract import COMMITTED, REGENERATE, committed_text, generated_document, render
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import _served

CLIENT_PACKAGE = "klantpeil_api_client"


def test_the_committed_openapi_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    document = json.loads(committed_text() or "{}")
    assert document.get("openapi", "").startswith("3.1"), f"{COMMITTED} is missing: {REGENERATE}"
    validate(document)  # raises with the path to the first invalid part


def test_the_committed_openapi_document_is_what_the_code_generates():
    generated = render(generated_document())
    committed = committed_text()
    if committed != generated:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    generated.splitlines(keepends=True),
                    "committed",
                    "generated",
                )
            )[:60]
        )
        pytest.fail(
            f"{COMMITTED.name} differs from what the API generates now. Regenerate and "
            f"commit it: {REGENERATE}\n{diff}"
        )


@pytest.fixture(scope="module")
def client_package(tmp_path_factory) -> Path:
    """A client generated from the committed document by openapi-python-client."""
    folder = tmp_path_factory.mktemp("client")
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: nothing but the generator
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(COMMITTED),
            "--output-path",
            str(folder / CLIENT_PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 and (folder / CLIENT_PACKAGE).is_dir(), output
    # As KoboToolbox treats them: a warning means part of the API has no client.
    assert "Warning" not in output and "Error" not in output, output
    return folder


@pytest.fixture
def served(tmp_path, request):
    """``klantpeil serve`` on a free port on 127.0.0.1 with one organisation and a
    read-and-write token, on a fresh database of the kind this pass runs on."""
    if connection.vendor == "postgresql":
        url = _served.fresh_postgres(os.environ["DATABASE_URL"], "contract")
        env = _served.environment(database_url=url, data_dir=str(tmp_path))
    else:
        env = _served.environment(data_dir=str(tmp_path))
    [token] = _served.prepare(env)
    server = _served.Server(env, threads=2)
    server.start()
    yield server, token
    server.stop()


def _module(folder: Path, name: str):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(f"{CLIENT_PACKAGE}.{name}" if name else CLIENT_PACKAGE)


def test_a_generated_client_lists_creates_and_reads_errors_from_the_running_api(
    client_package, served
):
    server, token = served
    package = _module(client_package, "")
    models = _module(client_package, "models")
    listing = _module(client_package, "api.measurements.klantpeil_collection_api_list_measurements")
    creating = _module(
        client_package, "api.measurements.klantpeil_collection_api_create_measurements"
    )
    client = package.AuthenticatedClient(base_url=server.base, token=token, timeout=30)

    empty = listing.sync(client=client)
    assert isinstance(empty, models.MeasurementPage)
    assert (empty.count, empty.items) == (0, [])

    answers = {**CUSTOMER_SURVEY_ANSWERS, "ivr_menu": 6}
    batch = models.MeasurementBatch(
        measurements=[
            models.MeasurementIn(
                instrument="customer-survey",
                occurred_at=datetime(2026, 9, 14, 8, 30, tzinfo=UTC),
                channel="phone",
                external_id="contract-1",
                answers=models.MeasurementInAnswers.from_dict(answers),
            )
        ]
    )
    stored = creating.sync_detailed(client=client, body=batch)
    assert stored.status_code == 201, stored.content
    assert isinstance(stored.parsed, models.IngestOut)
    assert (stored.parsed.created, stored.parsed.existing) == (1, 0)

    page = listing.sync(client=client, period="2026-09", channel="phone")
    assert isinstance(page, models.MeasurementPage) and page.count == 1
    [measurement] = page.items
    assert (measurement.external_id, measurement.instrument) == ("contract-1", "customer-survey")
    assert measurement.occurred_at == datetime(2026, 9, 14, 8, 30, tzinfo=UTC)
    assert measurement.answers.additional_properties["overall_grade"] == 8

    refused = listing.sync_detailed(client=client, limit=0)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Error)
    assert (refused.parsed.status, refused.parsed.code, refused.parsed.field) == (
        422,
        "invalid",
        "limit",
    )

    wrong = batch.to_dict()
    wrong["measurements"][0]["instrument"] = "no-such-instrument"
    invalid = creating.sync_detailed(client=client, body=models.MeasurementBatch.from_dict(wrong))
    assert invalid.status_code == 422
    assert isinstance(invalid.parsed, models.Error)
    [detail] = invalid.parsed.errors
    assert (detail.index, detail.field) == (0, "instrument")
    assert listing.sync(client=client).count == 1  # the refused batch wrote nothing
