"""The short version of ``bench/load.py``: 10 respondents for 10 s against a served instance.

The full run (50 respondents for 60 s) is ``python bench/load.py``; figures in
bench/README.md. Here, as there: no request fails, and the database holds exactly
one measurement per acknowledged submission, none twice, double taps included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

LOAD = Path(__file__).resolve().parent.parent / "bench" / "load.py"


def test_ten_respondents_for_ten_seconds_without_errors_and_nothing_stored_twice():
    arguments = ["--users", "10", "--seconds", "10", "--baseline-seconds", "3"]
    if connection.vendor == "postgresql":
        arguments += ["--postgres", os.environ["DATABASE_URL"]]
    result = subprocess.run(
        [sys.executable, str(LOAD), *arguments],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode in (0, 1), result.stderr
    figures = json.loads(result.stdout)
    for name in ("baseline", "load"):
        phase = figures[name]
        assert phase["errors"] == 0, phase["error_kinds"]
        assert phase["submissions_acknowledged"] > 0
        assert phase["measurements_stored"] == phase["submissions_acknowledged"]
        assert phase["answered_invitations"] == phase["submissions_acknowledged"]
        assert phase["answered_twice"] == 0 and phase["acknowledged_but_not_stored"] == 0
        assert not phase["links_ran_out"]
        # Every tenth respondent tapped twice; the second tap stored nothing.
        assert phase["double_taps_refused"] == phase["submissions_acknowledged"] // 10
    assert figures["load"]["users"] == 10
    assert figures["load"]["requests"] > 100
    assert result.returncode == 0


pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="SQLite or PostgreSQL"
)
