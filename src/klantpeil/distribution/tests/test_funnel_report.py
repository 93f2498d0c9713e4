"""The report carries the invitation funnel: a sheet in the workbook, a section in the PDF."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from klantpeil.core.tenancy import tenant
from klantpeil.distribution.tests.test_funnel import hand_built  # noqa: F401
from klantpeil.metrics.periods import parse_period
from klantpeil.reports.build import build


def test_the_workbook_has_an_invitations_sheet(hand_built):  # noqa: F811
    from openpyxl import load_workbook

    with tenant(hand_built):
        book = load_workbook(io.BytesIO(build(parse_period("2026-10"), fmt="xlsx", lang="en")))
    rows = list(book["Invitations"].iter_rows(values_only=True))
    assert rows[0] == ("Step", "Invitations", "Share of made", "Of the step before")
    by_step = {r[0]: r[1:] for r in rows[1:]}
    assert by_step["Made"] == (12, 1.0, None)
    assert by_step["Completed"][0] == 2
    assert by_step["Skipped: asked recently (fatigue rule)"][0] == 1
    assert by_step["Opted out through this invitation"][0] == 1


def test_no_invitations_no_sheet(hand_built):  # noqa: F811
    from openpyxl import load_workbook

    with tenant(hand_built):
        book = load_workbook(io.BytesIO(build(parse_period("2026-09"), fmt="xlsx", lang="en")))
    assert "Invitations" not in book.sheetnames


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_the_pdf_has_a_funnel_section_in_dutch(hand_built, tmp_path):  # noqa: F811
    with tenant(hand_built):
        pdf = build(parse_period("2026-10"), fmt="pdf", lang="nl")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Uitnodigingstrechter" in text
    assert "Ingevuld" in text
